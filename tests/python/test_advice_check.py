"""The hindsight check against the scoreboard's naive judge
(benchmarks/advice_judge.py, which shares no code with the package and
really refits every policy): on real datasets, every policy both replay has
the same realized quality, to float precision.

The package is given a dataset's first 60% of time, as the scoreboard gives
it; its check replays the periods after the replay grid's middle. The judge
is given the same rows, as the package saw them (a label not yet known at
"now" is no label), and judges from that middle on. Settings make the two
fit the same models: no sampling of training rows, every labelled row
scored, and windows that hold enough rows (the package extends a window
that holds fewer than model_drift_backtest_min_train_rows; the judge
does not)."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, run_dbt, write_parquet

sys.path.insert(0, str(REPO / "benchmarks"))
import advice_datasets  # noqa: E402
import advice_judge  # noqa: E402
import advice_quality  # noqa: E402

SAME_MODELS = {
    "model_drift_backtest_max_rows_per_fit": 1_000_000,
    "model_drift_backtest_max_eval_rows_per_period": 1_000_000,
    "model_drift_backtest_min_train_rows": 50,
    "model_drift_backtest_row_counts": [50, 100, 200, 400],
}


@pytest.mark.parametrize("name", ["weather_temperature", "txhousing", "seattle_weather"])
def test_advice_check_equals_the_naive_judge(tmp_path, name):
    dataset = advice_datasets.prepare([name])[name]
    frame = pd.read_parquet(dataset.path)
    split_at = advice_quality.split_time(frame, dataset)
    history = frame[advice_judge.as_naive_times(frame[dataset.event_at]) < split_at].reset_index(drop=True)
    path = write_parquet(history, tmp_path / "history.parquet")
    dbt_vars = {**advice_quality.dbt_vars(dataset, path, split_at, 0.02), **SAME_MODELS}
    run = run_dbt(["build", "--select", "+model_drift__advice_check"], tmp_path / "build", dbt_vars=dbt_vars)
    assert run.ok, run.output
    check = run.table("model_drift__advice_check")
    assert check["verdict"].iloc[0] in {"ok", "miss"}
    as_of = pd.Timestamp(check["as_of_at"].iloc[0])

    # the rows as the package saw them: a label that arrives after "now" is not known yet
    seen = history.copy()
    if dataset.label_at:
        seen.loc[seen[dataset.label_at] > split_at, dataset.target] = None
    grid = advice_judge.JudgeGrid.build(seen, dataset, as_of, dataset.window_periods, seed=0,
                                        max_rows_per_fit=1_000_000, n_jobs=2)
    compared = 0
    for row in check.itertuples():
        window = "all" if row.spec_name == "all" else int(row.spec_name.split("_")[1])
        k = grid.F if pd.isna(row.retrain_every_periods) else int(row.retrain_every_periods)
        if k > grid.F:
            continue
        assert row.realized_quality == pytest.approx(grid.quality(window, k), rel=1e-9, abs=1e-12), (
            row.spec_name, row.retrain_every_periods)
        compared += 1
    assert compared >= 2 * len(dataset.window_periods) + 2
    assert np.isfinite(check["realized_loss"]).all()

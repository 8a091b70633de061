"""Small and plain data still get answers: a 600-row monthly history with
only numeric features builds every model, the recommendations included;
too little history for a learning curve is a row that says what to do, and
doing it works."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import run_dbt, write_parquet

PYTHON_MARTS = ["--select", "+model_drift__retraining_recommendations", "+model_drift__advice_check",
                "+model_drift__learning_curve"]


def small_history(months: int = 36, rows_per_month: int = 17, seed: int = 5) -> pd.DataFrame:
    """About 600 rows over three years, numbers only: a binary outcome whose
    dependence on x2 grows month by month."""
    generator = np.random.default_rng(seed)
    n = months * rows_per_month
    month = np.repeat(np.arange(months), rows_per_month)
    event_at = pd.Timestamp("2020-01-01") + pd.to_timedelta(month * 30 + generator.integers(0, 28, n), unit="D")
    x = generator.standard_normal((n, 3))
    logit = 2.0 * x[:, 0] + 0.08 * month * x[:, 1]
    return pd.DataFrame({
        "event_at": event_at,
        "label_at": event_at + pd.Timedelta(days=1),
        "target": (generator.random(n) < 1 / (1 + np.exp(-logit))).astype(int),
        "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2],
    }).sort_values("event_at", ignore_index=True)


def build(tmp_path, **extra):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_parquet(small_history(), tmp_path / "small.parquet")
    dbt_vars = {
        "model_drift_input_path": str(path), "model_drift_label_at": "label_at", "model_drift_task": "binary",
        "model_drift_period": "month", "model_drift_backtest_window_periods": [3, 6, 12],
        "model_drift_as_of": "2023-01-01 00:00:00", **extra,
    }
    return run_dbt(["build", *PYTHON_MARTS], tmp_path / "build", dbt_vars=dbt_vars)


def test_a_small_numeric_history_gets_every_answer_and_says_what_it_cannot_tell(tmp_path):
    run = build(tmp_path)
    assert run.ok, run.output
    answers = run.table("model_drift__retraining_recommendations", "question_number").set_index("question_number")
    assert list(answers.index) == [1, 2, 3, 4, 5]
    q3 = answers.loc[3, "answer"]
    assert q3.startswith("Cannot tell yet: too little labelled history") and "model_drift_backtest_row_counts" in q3
    assert answers.loc[5, "answer"].startswith(("Retrain every", "No scheduled retraining needed within"))
    # the 3-month window holds fewer than 200 rows at every fit: still compared, on its newest 200 rows
    windows = run.table("model_drift__training_window_comparison").set_index("spec_name")
    assert windows.loc["window_3", "extended_fit_count"] > 0 and windows.loc["window_3", "paired_periods"] > 0
    assert run.table("model_drift__advice_check")["verdict"].iloc[0] in {"ok", "miss", "cannot judge"}

    # the fix the answer names works when followed
    fixed = build(tmp_path / "fixed", model_drift_backtest_row_counts=[50, 100, 200, 400])
    assert fixed.ok, fixed.output
    assert len(fixed.table("model_drift__learning_curve")) >= 3
    note = fixed.table("model_drift__learning_curve_fit")["note"].iloc[0]
    assert note is None or pd.isna(note)

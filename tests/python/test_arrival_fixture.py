"""Q2 marts on a six-row fixture whose every number was worked out by hand.

tests/fixtures/arrivals_small.csv (Monday 2024-01-01 .. Thursday 2024-01-04):
  day 1: rows 1, 2, 3 (row 3 unlabelled); labels after 2 h and 4 h
  day 2: row 4, labelled after 24 h (its label arrives on day 3)
  day 3: nothing (a gap), but row 4's label arrives
  day 4: rows 5, 6; labels after 0.5 h and 8 h; row 6 has no region
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import REPO, SQL_LAYER, run_dbt

FIXTURE = REPO / "tests" / "fixtures" / "arrivals_small.csv"
VARS = {
    "model_drift_input_path": str(FIXTURE),
    "model_drift_event_at": "happened_at",
    "model_drift_label_at": "labelled_at",
    "model_drift_target": "outcome",
    "model_drift_prediction": "score",
    "model_drift_id": "row_key",
    "model_drift_segments": ["region"],
    "model_drift_as_of": "2024-02-01",
}


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    run = run_dbt(["build", *SQL_LAYER], tmp_path_factory.mktemp("fixture"), dbt_vars=VARS)
    assert run.ok, run.output
    assert "3 unit tests" in run.output  # the SQL unit tests in models/marts/arrival ran too
    return run


def close(a, b):
    if b is None:
        return a is None or (isinstance(a, float) and math.isnan(a))
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def test_arrival_by_period_overall(build):
    rows = build.table("model_drift__arrival_by_period where segment_column = 'all'", "period_start")
    expected = [
        # rows, labelled, labels received, p50, p90, p99, max, gap
        (3, 2, 2, 3.0, 3.8, 3.98, 4.0, False),
        (1, 1, 0, 24.0, 24.0, 24.0, 24.0, False),
        (0, 0, 1, None, None, None, None, True),
        (2, 2, 2, 4.25, 7.25, 7.925, 8.0, False),
    ]
    assert list(rows.period_start) == [pd.Timestamp(f"2024-01-0{d}") for d in (1, 2, 3, 4)]
    for (_, row), want in zip(rows.iterrows(), expected):
        got = (row.row_count, row.labelled_row_count, row.labels_received_count,
               row.label_delay_hours_p50, row.label_delay_hours_p90,
               row.label_delay_hours_p99, row.label_delay_hours_max, row.is_gap)
        assert got[:3] == want[:3]
        assert all(close(g, w) for g, w in zip(got[3:7], want[3:7])), (got, want)
        assert got[7] == want[7]
    assert list(rows.cumulative_row_count) == [3, 4, 4, 6]
    assert list(rows.period_day_of_week) == [1, 2, 3, 4]
    assert rows.label_coverage.isna().tolist() == [False, False, True, False]


def test_segments_keep_every_period_and_null_values(build):
    rows = build.table("model_drift__arrival_by_period where segment_column = 'region'", "segment_value, period_start")
    counts = {v: list(g.row_count) for v, g in rows.groupby("segment_value")}
    assert counts == {"(null)": [0, 0, 0, 1], "north": [2, 0, 0, 1], "south": [1, 1, 0, 0]}


def test_arrival_summary_overall(build):
    summary = build.table("model_drift__arrival_summary where segment_column = 'all'").iloc[0]
    assert (summary.period_count, summary.periods_with_rows, summary.gap_period_count,
            summary.longest_gap_periods) == (4, 3, 1, 1)
    assert (summary.row_count, summary.labelled_row_count) == (6, 5)
    assert close(summary.label_coverage, 5 / 6)
    assert close(summary.rows_per_period_mean, 1.5)
    assert close(summary.rows_per_period_median, 1.5)  # median of 3, 1, 0, 2
    assert close(summary.row_count_trend_per_period, -0.4)  # least squares of 3, 1, 0, 2 on 1..4
    # all delays: 0.5, 2, 4, 8, 24
    assert close(summary.label_delay_hours_p50, 4.0)
    assert close(summary.label_delay_hours_p90, 17.6)
    assert close(summary.label_delay_hours_p99, 23.36)
    assert close(summary.label_delay_hours_max, 24.0)
    assert close(summary.labels_per_period_recent, 1.25)  # 5 labels arrived over 4 days
    assert close(summary.periods_to_labelled_rows_needed, 8000.0)
    assert close(summary.hours_to_labelled_rows_needed, 8000.0 * 24)
    assert summary.busiest_day_of_week == "Monday"
    assert summary.quietest_day_of_week == "Wednesday"
    assert summary.answer.startswith(
        "1.5 rows arrive per day on average (trend -26.67% per day); 1 of 4 days had no rows")
    assert "83.3% of rows have a label" in summary.answer
    assert "10,000 new labelled rows take 8,000.0 days" in summary.answer


def test_day_of_week_counts_days_without_rows(build):
    rows = build.table("model_drift__arrival_by_day_of_week where segment_column = 'all'", "day_of_week")
    assert list(rows.day_of_week_name) == ["Monday", "Tuesday", "Wednesday", "Thursday"]
    assert list(rows.rows_per_day_mean) == [3.0, 1.0, 0.0, 2.0]
    assert close(rows.rows_index_vs_average_day.sum(), 4.0)


def test_recent_window_var_changes_the_rate(tmp_path):
    run = run_dbt(["build", "--select", "+model_drift__arrival_summary"], tmp_path,
                  dbt_vars={**VARS, "model_drift_arrival_recent_periods": 2, "model_drift_labelled_rows_needed": 30})
    assert run.ok, run.output
    summary = run.table("model_drift__arrival_summary where segment_column = 'all'").iloc[0]
    assert summary.recent_period_count == 2
    assert close(summary.labels_per_period_recent, 1.5)  # days 3 and 4: 1 + 2 labels
    assert close(summary.periods_to_labelled_rows_needed, 20.0)


@pytest.mark.parametrize("period, starts", [("hour", 78), ("week", 1), ("month", 1)])
def test_other_grains(tmp_path, period, starts):
    run = run_dbt(["build", "--select", "+model_drift__arrival_by_period"], tmp_path,
                  dbt_vars={**VARS, "model_drift_period": period})
    assert run.ok, run.output
    rows = run.table("model_drift__arrival_by_period where segment_column = 'all'", "period_start")
    assert rows.row_count.sum() == 6
    assert set(rows.period_grain) == {period}
    assert len(rows) == starts  # hours: 2024-01-01 08:00 .. 2024-01-04 13:00, gaps included
    if period == "hour":
        assert rows.is_gap.sum() == 78 - 6
    else:
        assert rows.period_start.iloc[0] == pd.Timestamp("2024-01-01")  # a Monday, the 1st

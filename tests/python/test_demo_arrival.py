"""The demo's Q2 figures against an independent pandas/numpy computation from
the raw parquet file. Counts must match exactly; label-delay percentiles use
linear interpolation on both sides (SQL percentile_cont, numpy's default), so
they match to floating-point rounding (1e-9 relative)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import DEMO_PARQUET


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    frame = pd.read_parquet(DEMO_PARQUET)
    frame["day"] = frame.scheduled_departure_at.dt.floor("D")
    frame["label_day"] = frame.arrived_at.dt.floor("D")
    frame["delay_hours"] = (frame.arrived_at - frame.scheduled_departure_at).dt.total_seconds() / 3600
    frame["labelled"] = frame.is_arrival_delayed.notna()
    return frame


def slices(raw: pd.DataFrame):
    yield ("all", "all"), raw
    for origin, group in raw.groupby("origin"):
        yield ("origin", origin), group


def expected_by_day(group: pd.DataFrame, days: pd.DatetimeIndex) -> pd.DataFrame:
    by_day = group.groupby("day").agg(
        row_count=("flight_id", "size"),
        labelled_row_count=("labelled", "sum"),
        label_delay_hours_p50=("delay_hours", lambda d: np.quantile(d.dropna(), 0.5)),
        label_delay_hours_p90=("delay_hours", lambda d: np.quantile(d.dropna(), 0.9)),
        label_delay_hours_p99=("delay_hours", lambda d: np.quantile(d.dropna(), 0.99)),
        label_delay_hours_max=("delay_hours", "max"),
    )
    by_day["labels_received_count"] = group.groupby("label_day").size()
    return by_day.reindex(days).fillna({"row_count": 0, "labelled_row_count": 0, "labels_received_count": 0})


def test_arrival_by_period_matches_pandas(demo_build, raw):
    marts = demo_build.table("model_drift__arrival_by_period")
    days = pd.date_range(raw.day.min(), raw.day.max(), freq="D")
    assert marts.period_start.nunique() == len(days) == 365
    for (column, value), group in slices(raw):
        got = (marts[(marts.segment_column == column) & (marts.segment_value == value)]
               .set_index("period_start").sort_index())
        want = expected_by_day(group, days)
        assert list(got.index) == list(want.index)
        for name in ["row_count", "labelled_row_count", "labels_received_count"]:
            assert (got[name].to_numpy() == want[name].to_numpy()).all(), (value, name)
        for name in ["label_delay_hours_p50", "label_delay_hours_p90", "label_delay_hours_p99",
                     "label_delay_hours_max"]:
            np.testing.assert_allclose(got[name].to_numpy(), want[name].to_numpy(), rtol=1e-9,
                                       err_msg=f"{value} {name}")
        assert got.is_gap.sum() == (want.row_count == 0).sum()


def test_arrival_summary_matches_pandas(demo_build, raw):
    summary = demo_build.table("model_drift__arrival_summary").set_index(["segment_column", "segment_value"])
    days = pd.date_range(raw.day.min(), raw.day.max(), freq="D")
    for key, group in slices(raw):
        got = summary.loc[key]
        per_day = group.groupby("day").size().reindex(days, fill_value=0)
        labels_per_day = group.groupby("label_day").size().reindex(days, fill_value=0)
        delays = group.delay_hours.dropna()
        assert got.row_count == len(group)
        assert got.labelled_row_count == group.labelled.sum()
        np.testing.assert_allclose(got.label_coverage, group.labelled.mean(), rtol=1e-12)
        np.testing.assert_allclose(got.rows_per_period_mean, per_day.mean(), rtol=1e-12)
        np.testing.assert_allclose(got.rows_per_period_median, per_day.median(), rtol=1e-12)
        slope = np.polyfit(np.arange(1, len(days) + 1), per_day.to_numpy(float), 1)[0]
        np.testing.assert_allclose(got.row_count_trend_per_period, slope, rtol=1e-9)
        for p in (50, 90, 99):
            np.testing.assert_allclose(got[f"label_delay_hours_p{p}"], np.quantile(delays, p / 100), rtol=1e-9)
        recent = labels_per_day.iloc[-28:].mean()
        np.testing.assert_allclose(got.labels_per_period_recent, recent, rtol=1e-12)
        np.testing.assert_allclose(got.periods_to_labelled_rows_needed, 10_000 / recent, rtol=1e-12)
        weekday_means = per_day.groupby(per_day.index.day_of_week).mean()
        names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        assert got.busiest_day_of_week == names[weekday_means.idxmax()]
        assert got.quietest_day_of_week == names[weekday_means.idxmin()]
        np.testing.assert_allclose(got.day_of_week_peak_to_trough_ratio, weekday_means.max() / weekday_means.min(),
                                   rtol=1e-12)


def test_demo_input_checks_are_clean(demo_build):
    checks = demo_build.table("model_drift__input_checks").set_index("check_name")
    # an integer 0/1 target and a binary score: these value checks do not apply
    not_applicable = {"non_finite_target", "unknown_predicted_class"}
    assert set(checks.index[checks.status == "not applicable"]) == not_applicable
    assert set(checks.status[~checks.index.isin(not_applicable)]) == {"ok"}
    assert (checks.input_row_count == 336_776).all()

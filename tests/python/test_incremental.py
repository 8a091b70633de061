"""Incremental daily builds (var model_drift_incremental): after a new day of
rows and the late labels of the days before it, an incremental run gives the
same tables as a full build of the package's plain tables; it leaves periods
before its lookback alone; a changed setting stops it until --full-refresh;
an input without label times needs the lookback var."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import SQL_LAYER, run_dbt, write_parquet

START = pd.Timestamp("2024-03-01")
DAYS = 12
ROWS_PER_DAY = 80
LABEL_DELAY_HOURS = 60  # labels come up to two and a half days late: the lookback is 4 days
FINGERPRINTS = {"settings_fingerprint", "reference_fingerprint"}
BASE_VARS = {
    "model_drift_event_at": "event_at",
    "model_drift_label_at": "label_at",
    "model_drift_target": "target",
    "model_drift_prediction": "score",
    "model_drift_id": "id",
    "model_drift_segments": ["region"],
    "model_drift_reference_periods": 3,
}


def history() -> pd.DataFrame:
    """DAYS days of scored rows, a numeric and a text feature, labels 0 to 60 hours late."""
    rng = np.random.default_rng(12)
    n = DAYS * ROWS_PER_DAY
    day = np.repeat(np.arange(DAYS), ROWS_PER_DAY)
    event_at = START + pd.to_timedelta(day, "D") + pd.to_timedelta(rng.integers(0, 86_400, n), "s")
    x = rng.normal(size=n) + 0.1 * day  # drifts a little every day
    score = 1 / (1 + np.exp(-x))
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "event_at": event_at,
        "label_at": event_at + pd.to_timedelta(rng.integers(0, LABEL_DELAY_HOURS * 3600, n), "s"),
        "region": rng.choice(["north", "south"], n),
        "colour": rng.choice(["red", "green", "blue"], n),
        "x": x,
        "score": score,
        "target": (rng.random(n) < score).astype("int64"),
    })


def known_by(frame: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """The input as a warehouse holds it at `now`: the events so far, labels not yet known left null."""
    seen = frame[frame.event_at < now].copy()
    unknown = seen.label_at > now
    seen.loc[unknown, "label_at"] = pd.NaT
    seen["target"] = seen.target.astype("Int64").mask(unknown)
    return seen


def day(n: int) -> pd.Timestamp:
    return START + pd.Timedelta(days=n)


def build(workdir, frame: pd.DataFrame, now: pd.Timestamp, *args: str, command: str = "build", **overrides):
    path = write_parquet(frame, workdir.parent / f"{workdir.name}_input.parquet")
    dbt_vars = {**BASE_VARS, "model_drift_input_path": str(path), "model_drift_as_of": str(now), **overrides}
    return run_dbt([command, *SQL_LAYER, *args], workdir, dbt_vars=dbt_vars)


def tables(database) -> dict[str, pd.DataFrame]:
    """Every table of the build but the settings (which hold the var model_drift_incremental)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        names = [name for name, in connection.execute(
            "select table_name from duckdb_tables() where table_name != 'model_drift__settings'").fetchall()]
        return {name: connection.sql(f'select * from "{name}"').df() for name in names}


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order without the fingerprint columns (sorted by every column, floats to 6 digits)."""
    frame = frame.drop(columns=[c for c in frame.columns if c in FINGERPRINTS])
    key = frame.apply(lambda c: c.round(6) if c.dtype.kind == "f" else c.astype(str))
    return frame.loc[key.sort_values(list(key.columns)).index].reset_index(drop=True)


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """Days 0-9 built, then day 10 and the labels that came meanwhile added incrementally; a full build beside."""
    frame = history()
    incremental = tmp_path_factory.mktemp("incremental") / "dbt"
    first = build(incremental, known_by(frame, day(10)), day(10), model_drift_incremental=True)
    assert first.ok, first.output[-6000:]
    second = build(incremental, known_by(frame, day(11)), day(11), model_drift_incremental=True)
    assert second.ok, second.output[-6000:]
    full = build(tmp_path_factory.mktemp("full") / "dbt", known_by(frame, day(11)), day(11))
    assert full.ok, full.output[-6000:]
    return frame, incremental, second, full


def test_an_incremental_run_equals_a_full_build(builds):
    frame, _, second, full = builds
    assert "ERROR=0" in second.output and "WARN=0" in second.output, second.output[-3000:]
    got, want = tables(second.database), tables(full.database)
    assert set(got) == set(want)
    for name in sorted(want):
        pd.testing.assert_frame_equal(canonical(got[name]), canonical(want[name]), check_exact=False, rtol=1e-9,
                                      obj=name)
    # and the fixture does what it claims: day 9 gained labels between the runs
    quality = got["int_model_drift__quality_by_period"]
    day_nine = quality[(quality.period_start == day(9)) & (quality.segment_column == "all")]
    first_known = known_by(frame, day(10))
    assert day_nine.labelled_row_count.iloc[0] > first_known[first_known.event_at >= day(9)].target.notna().sum()


def test_periods_before_the_lookback_are_not_recomputed(builds):
    frame, incremental, second, _ = builds
    old, recent = day(2), day(9)  # the lookback reaches back 4 days from day 10, the newest period stored
    with duckdb.connect(str(second.database)) as connection:
        connection.execute("update int_model_drift__arrival_events set row_count = -1 where period_start in (?, ?)",
                           [old, recent])
    # dbt run, not build: the tampered counts would rightly fail the marts' tests
    rerun = build(incremental, known_by(frame, day(11)), day(11), command="run", model_drift_incremental=True)
    assert rerun.ok, rerun.output[-6000:]
    events = tables(rerun.database)["int_model_drift__arrival_events"]
    counts = events[events.segment_column == "all"].set_index("period_start").row_count
    assert counts[old] == -1  # left as stored
    assert counts[recent] == ROWS_PER_DAY  # recomputed


def test_a_changed_setting_stops_the_run_until_a_full_refresh(tmp_path):
    frame = known_by(history(), day(11))
    first = build(tmp_path / "dbt", frame, day(11), model_drift_incremental=True)
    assert first.ok, first.output[-6000:]
    changed = build(tmp_path / "dbt", frame, day(11), model_drift_incremental=True, model_drift_drift_bins=20)
    assert not changed.ok
    assert "was built with other settings than this run's" in changed.output
    assert "dbt build --full-refresh" in changed.output
    refreshed = build(tmp_path / "dbt", frame, day(11), "--full-refresh", model_drift_incremental=True,
                      model_drift_drift_bins=20)
    assert refreshed.ok, refreshed.output[-6000:]


def test_no_label_times_need_the_lookback_var(tmp_path):
    frame = known_by(history(), day(11)).drop(columns=["label_at"])
    run = build(tmp_path / "dbt", frame, day(11), model_drift_incremental=True, model_drift_label_at=None)
    assert not run.ok
    assert "var model_drift_incremental_lookback_periods" in run.output and "no label times" in run.output
    run = build(tmp_path / "dbt", frame, day(11), model_drift_incremental=True, model_drift_label_at=None,
                model_drift_incremental_lookback_periods=3)
    assert run.ok, run.output[-6000:]

"""Every bad-input case: either the build fails with a message that names the
var or column and the fix, or the row is handled as the README documents and
counted in model_drift__input_checks."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import SQL_LAYER, run_dbt, write_parquet

ROLES = {
    "model_drift_event_at": "event_at",
    "model_drift_label_at": "label_at",
    "model_drift_target": "target",
    "model_drift_id": "id",
    "model_drift_as_of": "2024-03-01",
}


def clean_frame() -> pd.DataFrame:
    """Two rows a day for five days; labels arrive three hours later."""
    events = pd.date_range("2024-01-01 06:00", periods=10, freq="12h")
    return pd.DataFrame({
        "id": range(1, 11),
        "event_at": events,
        "label_at": events + pd.Timedelta(hours=3),
        "target": [0, 1] * 5,
        "amount": [float(i) for i in range(10)],
    })


def build(tmp_path, frame: pd.DataFrame, select: str = "+model_drift__arrival_summary model_drift__input_checks",
          **overrides):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_parquet(frame, tmp_path / "input.parquet")
    dbt_vars = {**ROLES, "model_drift_input_path": str(path), **overrides}
    return run_dbt(["build", "--select", *select.split()], tmp_path / "dbt", dbt_vars=dbt_vars)


def check(run, name: str) -> pd.Series:
    checks = run.table("model_drift__input_checks").set_index("check_name")
    return checks.loc[name]


def overall(run) -> pd.Series:
    return run.table("model_drift__arrival_summary where segment_column = 'all'").iloc[0]


def assert_fails_with(run, *phrases: str) -> None:
    assert not run.ok, "the build should have failed"
    for phrase in phrases:
        assert phrase in run.output, f"missing {phrase!r} in:\n{run.output[-3000:]}"


# --- structural problems fail the build, naming the var, the column and the fix ---

def test_missing_role_column(tmp_path):
    run = build(tmp_path, clean_frame(), model_drift_label_at="labelled_when")
    assert_fails_with(run, "model_drift_label_at", "'labelled_when'", "Columns available: id, event_at", "or to null")


def test_mistyped_event_time(tmp_path):
    frame = clean_frame().assign(event_at=lambda f: f.event_at.astype(str))
    run = build(tmp_path, frame)
    assert_fails_with(run, "column 'event_at' (var model_drift_event_at) has type VARCHAR",
                      "must be a timestamp or a date")


def test_non_binary_target_with_binary_task(tmp_path):
    frame = clean_frame().assign(target=[0, 1, 2, 1, 0, 1, 0, 1, 0, 1])
    run = build(tmp_path, frame, model_drift_task="binary")
    assert_fails_with(run, "target column 'target' has 1 non-null values other than 0 and 1", "model_drift_task")


def test_ambiguous_integer_target_asks_for_the_task(tmp_path):
    frame = clean_frame().assign(target=[0, 1, 2, 1, 0, 1, 0, 1, 0, 3])
    run = build(tmp_path, frame)
    assert_fails_with(run, "could be classes or a quantity", "set var model_drift_task")


@pytest.mark.parametrize("target, task", [
    ([True, False] * 5, "binary"),
    (["a", "b", "c", "a", "b"] * 2, "multiclass"),
    ([0.5 * i for i in range(10)], "regression"),
])
def test_task_is_inferred_where_safe(tmp_path, target, task):
    run = build(tmp_path, clean_frame().assign(target=target), select="stg_model_drift__observations")
    assert run.ok, run.output
    staged = run.table("stg_model_drift__observations")
    assert staged.target.notna().all()
    if task == "binary":
        assert set(staged.target) == {0, 1}


def test_string_target_with_positive_class(tmp_path):
    frame = clean_frame().assign(target=["late", "on time"] * 5)
    run = build(tmp_path, frame, select="stg_model_drift__observations", model_drift_task="binary",
                model_drift_positive_class="late")
    assert run.ok, run.output
    assert list(run.table("stg_model_drift__observations", "cast(observation_id as int)").target) == [1, 0] * 5
    unset = build(tmp_path / "unset", frame, select="stg_model_drift__observations", model_drift_task="binary")
    assert_fails_with(unset, "set var model_drift_positive_class")


@pytest.mark.parametrize("var, value, phrases", [
    ("model_drift_period", "fortnight", ["var model_drift_period is 'fortnight'", "hour, day, week, month"]),
    ("model_drift_task", "ranking", ["var model_drift_task is 'ranking'", "binary, multiclass, regression"]),
    ("model_drift_labelled_rows_needed", 0, ["var model_drift_labelled_rows_needed is '0'", ">= 1"]),
    ("model_drift_arrival_recent_periods", "many", ["var model_drift_arrival_recent_periods is 'many'"]),
    ("model_drift_input_check_severity", "loud", ["var model_drift_input_check_severity is 'loud'", "warn or error"]),
    ("model_drift_as_of", "yesterday", ["var model_drift_as_of is 'yesterday'", "YYYY-MM-DD"]),
    ("model_drift_segments", ["region"], ["var model_drift_segments lists column 'region'", "Columns available"]),
    ("model_drift_features", ["event_at"], ["lists column 'event_at', which already has a role"]),
    ("model_drift_event_at", None, ["var model_drift_event_at is not set"]),
])
def test_bad_settings(tmp_path, var, value, phrases):
    assert_fails_with(build(tmp_path, clean_frame(), **{var: value}), *phrases)


def test_reserved_output_name(tmp_path):
    frame = clean_frame().assign(prediction=0.5)  # a column named like a role, without that role
    assert_fails_with(build(tmp_path, frame), "'prediction' has a name model_drift reserves", "model_drift_prediction")
    unset = build(tmp_path / "unset", clean_frame(), model_drift_label_at=None)
    assert_fails_with(unset, "'label_at' has a name model_drift reserves", "var model_drift_label_at")


def test_no_input_configured(tmp_path):
    run = run_dbt(["build"], tmp_path, dbt_vars={"model_drift_event_at": "event_at"})
    assert_fails_with(run, "no input is configured", "model_drift_input_path", "model_drift_input_table")


def test_input_file_missing(tmp_path):
    run = run_dbt(["build"], tmp_path, dbt_vars={**ROLES, "model_drift_input_path": str(tmp_path / "nope.parquet")})
    assert_fails_with(run, "model_drift_input_path is", "no such file exists")


def test_input_table_missing(tmp_path):
    run = run_dbt(["build"], tmp_path, dbt_vars={**ROLES, "model_drift_input_table": "observations_nowhere"})
    assert_fails_with(run, "observations_nowhere\" does not exist", "model_drift_input_schema")


def test_input_as_warehouse_table(tmp_path):
    """The source path: the user's table in the warehouse, named by vars."""
    import duckdb

    (tmp_path / "dbt").mkdir()
    with duckdb.connect(str(tmp_path / "dbt" / "warehouse.duckdb")) as connection:
        connection.execute("create schema raw")
        connection.register("frame", clean_frame())
        connection.execute("create table raw.scored_events as select * from frame")
    run = run_dbt(["build", *SQL_LAYER], tmp_path / "dbt", dbt_vars={
        **ROLES, "model_drift_input_schema": "raw", "model_drift_input_table": "scored_events"})
    assert run.ok, run.output
    assert overall(run).row_count == 10


# --- row-level problems are handled as documented, and counted ---

def test_clean_input_passes_every_check(tmp_path):
    run = build(tmp_path, clean_frame())
    assert run.ok, run.output
    checks = run.table("model_drift__input_checks").set_index("check_name")
    # an integer target and no prediction: the value checks of those roles do not apply
    not_applicable = {"non_finite_target", "non_finite_prediction", "prediction_out_of_range",
                      "unknown_predicted_class"}
    assert set(checks.index[checks.status == "not applicable"]) == not_applicable
    assert set(checks.status[~checks.index.isin(not_applicable)]) == {"ok"}
    assert "Warning in test" not in run.output


def test_null_event_times_are_dropped_and_counted(tmp_path):
    frame = clean_frame()
    frame.loc[[2, 5], "event_at"] = pd.NaT
    run = build(tmp_path, frame)
    assert run.ok, run.output
    assert (check(run, "null_event_at").rows_affected, check(run, "null_event_at").status) == (2, "warn")
    assert overall(run).row_count == 8
    assert "Warning in test model_drift_input_check_passes" in run.output


def test_input_check_severity_error_makes_bad_rows_fatal(tmp_path):
    frame = clean_frame()
    frame.loc[2, "event_at"] = pd.NaT
    run = build(tmp_path, frame, model_drift_input_check_severity="error")
    assert_fails_with(run, "Failure in test model_drift_input_check_passes")


def test_label_before_event_is_ignored_but_target_kept(tmp_path):
    frame = clean_frame()
    frame.loc[0, "label_at"] = frame.loc[0, "event_at"] - pd.Timedelta(hours=1)
    run = build(tmp_path, frame)
    assert run.ok, run.output
    assert check(run, "label_before_event").rows_affected == 1
    summary = overall(run)
    assert summary.labelled_row_count == 10          # the target still counts
    assert summary.label_delay_hours_max == 3.0      # no negative delay


def test_duplicate_ids_keep_one_row(tmp_path):
    frame = clean_frame()
    frame.loc[9, "id"] = 1
    frame.loc[8, "id"] = 1
    run = build(tmp_path, frame)
    assert run.ok, run.output
    assert check(run, "duplicate_id").rows_affected == 2
    assert overall(run).row_count == 8


def test_null_ids_are_never_duplicates(tmp_path):
    frame = clean_frame().astype({"id": "Int64"})
    frame.loc[[3, 4], "id"] = pd.NA
    run = build(tmp_path, frame)
    assert run.ok, run.output
    assert check(run, "null_id").rows_affected == 2
    assert check(run, "duplicate_id").rows_affected == 0
    assert overall(run).row_count == 10


def test_future_event_and_label_times(tmp_path):
    frame = clean_frame()
    # as_of is 2024-01-03 12:00: rows from then on are in the future, and the
    # label of the row at 06:00 on 2024-01-03... arrives at 09:00, before now.
    run = build(tmp_path, frame, model_drift_as_of="2024-01-03 08:00:00")
    assert run.ok, run.output
    # events at 01-01 06/18, 01-02 06/18, 01-03 06:00 are past; 5 are future
    assert check(run, "future_event_at").rows_affected == 5
    # the 01-03 06:00 event's label arrives at 09:00, after now: not known yet
    assert check(run, "future_label_at").rows_affected == 1
    summary = overall(run)
    assert (summary.row_count, summary.labelled_row_count) == (5, 4)


def test_label_time_without_target_and_target_without_label_time(tmp_path):
    frame = clean_frame().astype({"target": "Int64"})
    frame.loc[0, "target"] = pd.NA
    frame.loc[1, "label_at"] = pd.NaT
    run = build(tmp_path, frame)
    assert run.ok, run.output
    assert check(run, "label_at_without_target").rows_affected == 1
    assert check(run, "target_without_label_at").rows_affected == 1
    summary = overall(run)
    assert summary.labelled_row_count == 9           # row 1 still has its label


def test_roles_not_configured_are_not_applicable(tmp_path):
    frame = clean_frame().drop(columns=["label_at"])
    run = build(tmp_path, frame, model_drift_label_at=None, model_drift_id=None)
    assert run.ok, run.output
    checks = run.table("model_drift__input_checks").set_index("check_name")
    assert checks.loc["duplicate_id"].status == "not applicable"
    assert checks.loc["label_before_event"].status == "not applicable"
    summary = overall(run)
    assert summary.recent_label_rate_basis == "event_at"
    assert pd.isna(summary.label_delay_hours_p50)
    assert "labels arrive" not in summary.answer     # that clause drops out, the sentence stays


def test_time_zone_aware_input_uses_the_wall_clock_of_model_drift_timezone(tmp_path):
    """The same instants, once as UTC timestamptz and once as New York wall clock,
    give the same periods when model_drift_timezone is America/New_York."""
    wall_clock = clean_frame()
    wall_clock["event_at"] = pd.date_range("2024-01-01 20:00", periods=10, freq="5h")  # evenings cross UTC midnight
    wall_clock["label_at"] = wall_clock.event_at + pd.Timedelta(hours=3)
    aware = wall_clock.copy()
    for column in ["event_at", "label_at"]:
        aware[column] = aware[column].dt.tz_localize("America/New_York").dt.tz_convert("UTC")
    settings = {"model_drift_timezone": "America/New_York"}
    naive_run = build(tmp_path / "naive", wall_clock, **settings)
    aware_run = build(tmp_path / "aware", aware, **settings)
    assert naive_run.ok and aware_run.ok, naive_run.output + aware_run.output
    columns = ["period_start", "row_count", "labelled_row_count", "labels_received_count", "label_delay_hours_p50"]
    naive_periods = naive_run.table("model_drift__arrival_by_period", "period_start")[columns]
    aware_periods = aware_run.table("model_drift__arrival_by_period", "period_start")[columns]
    pd.testing.assert_frame_equal(naive_periods, aware_periods)
    assert naive_periods.period_start.iloc[0] == pd.Timestamp("2024-01-01")  # 20:00 New York, 01:00 UTC the next day
    utc_run = build(tmp_path / "utc", aware)  # default UTC: the first event falls on 2024-01-02
    assert utc_run.ok, utc_run.output
    first_period = utc_run.table("model_drift__arrival_by_period", "period_start").period_start.iloc[0]
    assert first_period == pd.Timestamp("2024-01-02")


def test_dates_are_accepted_as_event_times(tmp_path):
    frame = clean_frame().assign(event_at=lambda f: f.event_at.dt.date).drop(columns=["label_at"])
    run = build(tmp_path, frame, model_drift_label_at=None)
    assert run.ok, run.output
    assert overall(run).period_count == 5


def test_a_period_with_no_rows_is_a_row_of_zeros(tmp_path):
    frame = clean_frame()
    frame = frame[frame.event_at.dt.day != 3]  # drop 2024-01-03 entirely
    run = build(tmp_path, frame)
    assert run.ok, run.output
    rows = run.table("model_drift__arrival_by_period", "period_start")
    gap = rows[rows.period_start == pd.Timestamp("2024-01-03")].iloc[0]
    assert (gap.row_count, gap.labelled_row_count, bool(gap.is_gap)) == (0, 0, True)
    assert pd.isna(gap.label_coverage)  # 0/0 is unknown, not 0
    assert (overall(run).gap_period_count, overall(run).longest_gap_periods) == (1, 1)


def test_csv_input(tmp_path):
    path = tmp_path / "input.csv"
    clean_frame().to_csv(path, index=False)
    run = run_dbt(["build", *SQL_LAYER], tmp_path / "dbt", dbt_vars={**ROLES, "model_drift_input_path": str(path)})
    assert run.ok, run.output
    assert overall(run).row_count == 10

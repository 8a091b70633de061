"""Any real table: hostile column names, non-finite and out-of-range values,
and empty input.

Column names and a positive class reach the SQL only through
model_drift.quote_name and model_drift.string_literal; these tests build on
names that would end an unescaped identifier or string early, on DuckDB and
PostgreSQL, and check afterwards that the warehouse holds the package's
relations, the input and a sentinel table the injection-like name targets,
nothing else and nothing less.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import (
    BUILD_AFTER_SEED,
    INSTALLED_SQL_LAYER,
    INTEGRATION_SCHEMA,
    SQL_LAYER,
    run_dbt,
    run_integration,
    write_parquet,
)

DAYS = 40
ROWS_PER_DAY = 30
AS_OF = "2024-06-01"

# Single and double quotes, a backslash, spaces, a keyword, unicode, a
# leading digit, mixed case, and a name that reads like an injection.
EVENT_AT = 'event "at"'
LABEL_AT = "label's at"
TARGET = "o'utcome"
PREDICTION = 'sc"ore'
ID = "order"
SEGMENT = "o'brien"
FEATURES = ['away"elo', "x\"; drop table y; --", "with space", "café", "1st", "MixedCase", "back\\slash"]
POSITIVE = "it's \"yes\""
SENTINEL = "y"


def scored_days(seed: int):
    """DAYS days of ROWS_PER_DAY events, a signal and its logistic score."""
    rng = np.random.default_rng(seed)
    n = DAYS * ROWS_PER_DAY
    days = np.repeat(np.arange(DAYS), ROWS_PER_DAY)
    events = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D") + pd.to_timedelta(rng.integers(0, 86_400, n), "s")
    signal = rng.normal(size=n)
    return rng, n, events, signal, 1 / (1 + np.exp(-signal))


def hostile_frame() -> pd.DataFrame:
    rng, n, events, signal, score = scored_days(11)
    return pd.DataFrame({
        ID: np.arange(1, n + 1),
        EVENT_AT: events,
        LABEL_AT: events + pd.Timedelta(hours=2),
        TARGET: np.where(rng.random(n) < score, POSITIVE, "no"),
        PREDICTION: score,
        SEGMENT: rng.choice(["d'arcy", 'o"hare', "plain"], n),
        FEATURES[0]: signal + rng.normal(size=n),
        FEATURES[1]: rng.integers(0, 9, n),
        FEATURES[2]: rng.choice(["a'b", 'c"d', "e"], n),
        FEATURES[3]: rng.normal(size=n),
        FEATURES[4]: rng.integers(0, 3, n).astype(bool),
        FEATURES[5]: rng.normal(size=n),
        FEATURES[6]: rng.choice(["\\", "\\'", "ok"], n),
    })


def role_vars() -> dict:
    return {
        "model_drift_event_at": EVENT_AT, "model_drift_label_at": LABEL_AT, "model_drift_target": TARGET,
        "model_drift_prediction": PREDICTION, "model_drift_id": ID, "model_drift_segments": [SEGMENT],
        "model_drift_task": "binary", "model_drift_positive_class": POSITIVE, "model_drift_as_of": AS_OF,
    }


def assert_hostile_marts(tables: dict[str, pd.DataFrame], frame: pd.DataFrame) -> None:
    drift = tables["model_drift__feature_drift_by_period"]
    assert set(FEATURES) <= set(drift.feature_name), sorted(set(drift.feature_name))
    assert set(drift.segment_column) == {"all", SEGMENT}
    assert {"d'arcy", 'o"hare'} <= set(drift.segment_value)
    shares = tables["model_drift__category_share_by_period"]
    assert {"a'b", 'c"d', "\\", "\\'"} <= set(shares.category)
    checks = tables["model_drift__input_checks"].set_index("check_name")
    assert checks.loc["null_event_at", "column_name"] == EVENT_AT
    assert checks.loc["duplicate_id", "column_name"] == ID
    # the positive class with both quotes was matched: the share of 1s is the frame's
    performance = tables["model_drift__performance_by_period"]
    positive = performance[(performance.metric_name == "positive_rate") & (performance.segment_column == "all")]
    assert positive.metric_value.notna().all() and len(positive) == DAYS
    expected = (frame[TARGET] == POSITIVE).mean()
    weighted = (positive.metric_value * positive.metric_row_count).sum() / positive.metric_row_count.sum()
    assert weighted == pytest.approx(expected, rel=1e-12)


def package_relation(name: str) -> bool:
    return name.startswith(("model_drift__", "int_model_drift__", "stg_model_drift__"))


def test_hostile_names_build_on_duckdb(tmp_path):
    import duckdb

    frame = hostile_frame()
    path = write_parquet(frame, tmp_path / "input.parquet")
    database = tmp_path / "dbt" / "warehouse.duckdb"
    database.parent.mkdir(parents=True)
    with duckdb.connect(str(database)) as connection:
        connection.sql(f"create table {SENTINEL} as select 1 as kept")
    run = run_dbt(["build", *SQL_LAYER], tmp_path / "dbt",
                  dbt_vars={**role_vars(), "model_drift_input_path": str(path)})
    assert run.ok, run.output[-6000:]
    assert "ERROR=0" in run.output, run.output[-3000:]
    with duckdb.connect(str(database), read_only=True) as connection:
        relations = {row[0] for row in connection.sql("select table_name from information_schema.tables").fetchall()}
        assert connection.sql(f"select kept from {SENTINEL}").fetchall() == [(1,)]
    assert SENTINEL in relations
    assert {r for r in relations if r != SENTINEL and not package_relation(r)} == set()
    assert_hostile_marts({name: run.table(name) for name in [
        "model_drift__feature_drift_by_period", "model_drift__category_share_by_period",
        "model_drift__input_checks", "model_drift__performance_by_period"]}, frame)


def test_hostile_names_build_on_postgres(tmp_path, postgres_server):
    """The input is a PostgreSQL table whose columns carry the hostile names."""
    import psycopg2
    from psycopg2 import sql

    frame = hostile_frame()
    server = dict(host="127.0.0.1", port=int(postgres_server["MODEL_DRIFT_PG_PORT"]), user="model_drift",
                  password=postgres_server["MODEL_DRIFT_PG_PASSWORD"])
    # a database of its own: the server is shared with test_engines.py's builds
    admin = psycopg2.connect(**server, dbname="model_drift")
    admin.autocommit = True
    admin.cursor().execute("create database model_drift_hostile")
    admin.close()
    connect = dict(server, dbname="model_drift_hostile")
    env = {**postgres_server, "MODEL_DRIFT_PG_DATABASE": "model_drift_hostile"}
    types = {ID: "bigint", EVENT_AT: "timestamp", LABEL_AT: "timestamp", PREDICTION: "double precision",
             FEATURES[0]: "double precision", FEATURES[1]: "bigint", FEATURES[3]: "double precision",
             FEATURES[4]: "boolean", FEATURES[5]: "double precision"}
    with psycopg2.connect(**connect) as connection, connection.cursor() as cursor:
        cursor.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(INTEGRATION_SCHEMA)))
        cursor.execute(sql.SQL("create table {}.{} (kept integer)").format(
            sql.Identifier(INTEGRATION_SCHEMA), sql.Identifier(SENTINEL)))
        columns = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(types.get(c, "text"))) for c in frame.columns)
        cursor.execute(sql.SQL("create table {}.hostile_input ({})").format(
            sql.Identifier(INTEGRATION_SCHEMA), columns))
        rows = [tuple(v.item() if hasattr(v, "item") else (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v)
                      for v in row)
                for row in frame.itertuples(index=False)]
        cursor.executemany(sql.SQL("insert into {}.hostile_input values ({})").format(
            sql.Identifier(INTEGRATION_SCHEMA), sql.SQL(", ").join(sql.Placeholder() * len(frame.columns))), rows)
    dbt_vars = {**role_vars(), "model_drift_input_table": "hostile_input", "model_drift_model_version": None,
                "model_drift_model_versions_table": None, "model_drift_timezone": "UTC",
                "model_drift_top_categories": 10}  # the integration project keeps 2
    import yaml

    build_command = [*BUILD_AFTER_SEED, *INSTALLED_SQL_LAYER,
                     "--vars", yaml.safe_dump(dbt_vars, default_flow_style=True)]
    for command in (["deps"], build_command):
        run = run_integration(command, tmp_path, "postgres", env)
        assert run.ok, run.output[-6000:]
    with psycopg2.connect(**connect) as connection, connection.cursor() as cursor:
        cursor.execute("select table_name from information_schema.tables where table_schema = %s", [INTEGRATION_SCHEMA])
        relations = {row[0] for row in cursor.fetchall()}
        cursor.execute(sql.SQL("select count(*) from {}.{}").format(
            sql.Identifier(INTEGRATION_SCHEMA), sql.Identifier(SENTINEL)))
        assert cursor.fetchone() == (0,)
        tables = {}
        for name in ["model_drift__feature_drift_by_period", "model_drift__category_share_by_period",
                     "model_drift__input_checks", "model_drift__performance_by_period"]:
            cursor.execute(sql.SQL("select * from {}.{}").format(
                sql.Identifier(INTEGRATION_SCHEMA), sql.Identifier(name)))
            tables[name] = pd.DataFrame(cursor.fetchall(), columns=[d.name for d in cursor.description])
        cursor.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(INTEGRATION_SCHEMA)))
    assert {SENTINEL, "hostile_input"} <= relations
    assert {r for r in relations if r not in (SENTINEL, "hostile_input") and not package_relation(r)} == set()
    for table in tables.values():
        for column in table.columns:
            if table[column].dtype == object and table[column].map(lambda v: hasattr(v, "is_finite")).any():
                table[column] = table[column].astype(float)
    assert_hostile_marts(tables, frame)


# --- non-finite and out-of-range values ----------------------------------------------------------

def values_frame() -> pd.DataFrame:
    """A clean binary input, then one bad value of each kind on a few rows."""
    rng, n, events, x, score = scored_days(5)
    frame = pd.DataFrame({
        "id": np.arange(1, n + 1), "event_at": events, "label_at": events + pd.Timedelta(hours=2),
        "target": (rng.random(n) < score).astype(float), "prediction": score, "x": x, "z": rng.normal(size=n),
        "colour": rng.choice(["red", "blue"], n),
    })
    frame.loc[[3, 50, 900], "x"] = [np.inf, -np.inf, np.nan]
    frame.loc[[7], "z"] = np.inf
    frame.loc[[10, 11], "prediction"] = [1.7, -0.2]     # a margin, not a probability
    frame.loc[[12], "prediction"] = np.inf
    frame.loc[[20, 21], "target"] = [np.inf, np.nan]
    return frame


VALUE_VARS = {"model_drift_event_at": "event_at", "model_drift_label_at": "label_at", "model_drift_target": "target",
              "model_drift_prediction": "prediction", "model_drift_id": "id", "model_drift_as_of": AS_OF}


def write_nan_parquet(frame: pd.DataFrame, path) -> str:
    """Write NaN as NaN: pandas and DuckDB's import of a frame turn it into null."""
    import duckdb

    nan_columns = [c for c in ("x", "target") if c in frame and pd.api.types.is_float_dtype(frame[c])]
    replaced = ", ".join(f"case when isnan_{c} then 'NaN'::double else {c} end as {c}" for c in nan_columns)
    with duckdb.connect() as connection:
        connection.register("frame", frame.assign(**{f"isnan_{c}": frame[c].isna() for c in nan_columns}))
        flags = ", ".join(f"isnan_{c}" for c in nan_columns)
        connection.sql(
            f"copy (select * exclude ({flags}) replace ({replaced}) from frame) to '{path}' (format parquet)")
        nan_kept = connection.sql(f"select count(*) from read_parquet('{path}') where isnan(x)").fetchall()[0][0]
    assert nan_kept == 1, "the fixture must hold a real NaN"
    return str(path)


# a backtest small enough for 40 days of 30 rows
SMALL_BACKTEST = {
    "model_drift_estimator": "linear", "model_drift_backtest_cutoffs": 4,
    "model_drift_backtest_window_periods": [7, 14],
    "model_drift_backtest_row_counts": [100, 200, 400], "model_drift_backtest_learning_ages": 5,
    "model_drift_backtest_min_train_rows": 50, "model_drift_backtest_n_jobs": 1,
}


def test_non_finite_and_out_of_range_values_are_counted_and_handled(tmp_path):
    frame = values_frame()
    path = write_nan_parquet(frame, tmp_path / "input.parquet")
    # every model, the Python marts included
    run = run_dbt(["build"], tmp_path / "dbt",
                  dbt_vars={**VALUE_VARS, **SMALL_BACKTEST, "model_drift_input_path": path})
    assert run.ok, run.output[-6000:]
    assert len(run.table("model_drift__retraining_recommendations")) == 5
    checks = run.table("model_drift__input_checks").set_index("check_name")
    assert checks.loc["non_finite_feature", ["rows_affected", "status", "column_name"]].tolist() == [4, "warn", "x, z"]
    assert checks.loc["non_finite_prediction", "rows_affected"] == 1
    assert checks.loc["prediction_out_of_range", ["rows_affected", "status"]].tolist() == [2, "warn"]
    assert checks.loc["non_finite_target", "rows_affected"] == 2
    assert checks.loc["unknown_predicted_class", "status"] == "not applicable"
    # the warnings come from the input check test, the build itself passes
    assert "WARN" in run.output and "input_check_passes" in run.output
    drift = run.table("model_drift__feature_drift_by_period where segment_column = 'all'")
    assert {"x", "z", "prediction", "target", "colour"} <= set(drift.feature_name)
    numeric = drift[drift.feature_type == "numeric"]
    assert np.isfinite(numeric[["value_mean", "psi", "ks_statistic", "wasserstein"]].dropna().to_numpy(float)).all()
    # the bad values are nulls now: x's first day counts the 29 finite values of its 30
    first_x = drift[(drift.feature_name == "x")].sort_values("period_start").iloc[0]
    assert (first_x.row_count, first_x.value_count) == (ROWS_PER_DAY, ROWS_PER_DAY - 1)
    # log loss is scored on the in-range probabilities only, against scikit-learn
    from sklearn.metrics import log_loss

    performance = run.table(
        "model_drift__performance_by_period where segment_column = 'all' and metric_name = 'log_loss'")
    day = performance.sort_values("period_start").iloc[0]
    first = frame[(frame.event_at < pd.Timestamp("2024-01-02"))]
    usable = first[np.isfinite(first.target) & (first.prediction >= 0) & (first.prediction <= 1)]
    assert day.metric_value == pytest.approx(log_loss(usable.target, usable.prediction, labels=[0, 1]), rel=1e-9)


def test_out_of_range_scores_are_fatal_with_the_severity_var(tmp_path):
    path = write_nan_parquet(values_frame(), tmp_path / "input.parquet")
    run = run_dbt(["build", *SQL_LAYER], tmp_path / "dbt",
                  dbt_vars={**VALUE_VARS, "model_drift_input_path": path, "model_drift_input_check_severity": "error"})
    assert not run.ok
    assert "input_check_passes" in run.output, run.output[-3000:]


def test_multiclass_predictions_of_unknown_classes_are_counted(tmp_path):
    frame = values_frame().drop(columns=["prediction"])
    frame["target"] = np.array(["cat", "dog", "emu"])[np.arange(len(frame)) % 3]
    frame["prediction"] = frame["target"]
    frame.loc[[1, 2, 3], "prediction"] = ["Cat", "wolf", "wolf"]
    path = write_nan_parquet(frame, tmp_path / "input.parquet")
    run = run_dbt(["build", *SQL_LAYER], tmp_path / "dbt",
                  dbt_vars={**VALUE_VARS, "model_drift_input_path": path, "model_drift_task": "multiclass"})
    assert run.ok, run.output[-6000:]
    checks = run.table("model_drift__input_checks").set_index("check_name")
    assert checks.loc["unknown_predicted_class", ["rows_affected", "status"]].tolist() == [3, "warn"]


# --- empty input: one message, whichever way it is empty -----------------------------------------

NO_ROWS = "the observations input has no usable rows"


def _empty_inputs(tmp_path):
    typed = pd.DataFrame({"event_at": pd.Series([], dtype="datetime64[us]"), "target": pd.Series([], dtype="int64")})
    yield "typed empty parquet", write_parquet(typed, tmp_path / "typed.parquet")
    pd.DataFrame().to_parquet(tmp_path / "pandas.parquet")
    yield "pandas empty parquet", tmp_path / "pandas.parquet"
    (tmp_path / "zero.csv").write_bytes(b"")
    yield "zero-byte csv", tmp_path / "zero.csv"
    (tmp_path / "header.csv").write_text("event_at,target\n")
    yield "header-only csv", tmp_path / "header.csv"


def test_empty_input_fails_with_one_message(tmp_path):
    for label, path in _empty_inputs(tmp_path):
        run = run_dbt(["build", *SQL_LAYER], tmp_path / label.replace(" ", "_"),
                      dbt_vars={"model_drift_input_path": str(path)})
        assert not run.ok, label
        assert NO_ROWS in run.output and "model_drift_input_path" in run.output, (label, run.output[-3000:])


def test_input_whose_rows_are_all_dropped_fails_with_the_same_message(tmp_path):
    frame = pd.DataFrame({"event_at": pd.date_range("2030-01-01", periods=20, freq="D"), "target": [0, 1] * 10})
    path = write_parquet(frame, tmp_path / "future.parquet")
    run = run_dbt(["build", *SQL_LAYER], tmp_path / "dbt",
                  dbt_vars={"model_drift_input_path": str(path), "model_drift_as_of": AS_OF})
    assert not run.ok
    assert NO_ROWS in run.output and "model_drift_as_of" in run.output, run.output[-3000:]


def test_empty_warehouse_table_fails_with_the_same_message(tmp_path):
    import duckdb

    database = tmp_path / "dbt" / "warehouse.duckdb"
    database.parent.mkdir(parents=True)
    with duckdb.connect(str(database)) as connection:
        connection.sql("create table main.events (event_at timestamp, target integer)")
    run = run_dbt(["build", *SQL_LAYER], tmp_path / "dbt",
                  dbt_vars={"model_drift_input_schema": "main", "model_drift_input_table": "events"})
    assert not run.ok
    assert NO_ROWS in run.output and "model_drift_input_table" in run.output, run.output[-3000:]

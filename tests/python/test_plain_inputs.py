"""Inputs with only one kind of column: every SQL model builds and every dbt
test passes when no column is categorical (numbers only, a regression target
or none) or no column is numeric (text features, no prediction). The drift
tables hold the columns there are, and the empty ones are typed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import SQL_LAYER, run_dbt, write_parquet

DAYS = 60
ROWS_PER_DAY = 40
REFERENCE_DAYS = 28  # model_drift_reference_periods' default, with model_drift_reference: first

BASE_VARS = {
    "model_drift_event_at": "event_at",
    "model_drift_label_at": "label_at",
    "model_drift_target": "target",
    "model_drift_id": "id",
    "model_drift_as_of": "2024-06-01",
}


def base_frame(seed: int) -> tuple[pd.DataFrame, np.random.Generator]:
    """DAYS days of ROWS_PER_DAY rows, each labelled two hours after its event."""
    rng = np.random.default_rng(seed)
    n = DAYS * ROWS_PER_DAY
    days = np.repeat(np.arange(DAYS), ROWS_PER_DAY)
    events = pd.Timestamp("2024-01-01") + pd.to_timedelta(days, "D") + pd.to_timedelta(rng.integers(0, 86_400, n), "s")
    frame = pd.DataFrame({"id": np.arange(1, n + 1), "event_at": events, "label_at": events + pd.Timedelta(hours=2)})
    return frame, rng


def numeric_binary_frame() -> pd.DataFrame:
    """(a) a float and an integer feature, a 0/1 target and a score."""
    frame, rng = base_frame(1)
    x_float = rng.normal(size=len(frame)) + np.where(frame.index >= len(frame) // 2, 0.5, 0.0)  # drifts halfway
    score = 1 / (1 + np.exp(-x_float))
    return frame.assign(
        x_float=x_float,
        x_int=rng.integers(0, 50, len(frame)).astype("int64"),
        target=(rng.random(len(frame)) < score).astype("int64"),
        prediction=score,
    )


def text_frame() -> pd.DataFrame:
    """(b) text features only, a 0/1 target and no prediction: no numeric column at all."""
    frame, rng = base_frame(2)
    return frame.assign(
        colour=rng.choice(["red", "green", "blue"], len(frame)),
        city=rng.choice([f"city_{i:02d}" for i in range(15)], len(frame)),  # more than the top 10
        target=rng.integers(0, 2, len(frame)).astype("int64"),
    )


def regression_frame() -> pd.DataFrame:
    """(c) numeric features, a float target and a numeric prediction: no categorical column."""
    frame, rng = base_frame(3)
    x_float = rng.normal(size=len(frame))
    x_int = rng.integers(0, 20, len(frame)).astype("int64")
    return frame.assign(
        x_float=x_float,
        x_int=x_int,
        target=3.0 * x_float + 0.2 * x_int + rng.normal(size=len(frame)),
        prediction=3.0 * x_float + 0.2 * x_int,
    )


def build(tmp_path, frame: pd.DataFrame, **overrides):
    path = write_parquet(frame, tmp_path / "input.parquet")
    run = run_dbt(["build", *SQL_LAYER], tmp_path / "dbt",
                  dbt_vars={**BASE_VARS, "model_drift_input_path": str(path), **overrides})
    assert run.ok, run.output[-6000:]
    assert "ERROR=0" in run.output and "WARN=0" in run.output, run.output[-3000:]
    return run


def column_types(run, table: str) -> dict[str, str]:
    import duckdb

    with duckdb.connect(str(run.database), read_only=True) as connection:
        rows = connection.execute(
            "select column_name, data_type from information_schema.columns where table_name = ? "
            "order by ordinal_position",
            [table]).fetchall()
    return dict(rows)


CATEGORY_SHARE_TYPES = {
    "segment_column": "VARCHAR", "segment_value": "VARCHAR", "feature_name": "VARCHAR", "period_grain": "VARCHAR",
    "period_start": "TIMESTAMP", "category": "VARCHAR", "category_rank": "INTEGER", "value_count": "BIGINT",
    "share": "DOUBLE", "reference_value_count": "BIGINT", "reference_share": "DOUBLE",
}
TOP_CATEGORY_TYPES = {"feature_name": "VARCHAR", "category": "VARCHAR", "category_rank": "INTEGER",
                      "reference_count": "BIGINT"}
BIN_EDGE_TYPES = {"feature_name": "VARCHAR", "edge_number": "INTEGER", "upper_edge": "DOUBLE",
                  "is_decile_edge": "BOOLEAN"}


def assert_numeric_drift(drift: pd.DataFrame, features: list[str]) -> None:
    """Every day of every numeric column, with its distances after the reference."""
    for feature in features:
        rows = drift[drift.feature_name == feature]
        assert len(rows) == DAYS, feature
        assert set(rows.feature_type) == {"numeric"}, feature
        assert (rows.row_count == ROWS_PER_DAY).all(), feature
        assert rows.value_mean.notna().all() and rows.psi.notna().all(), feature
        assert rows.ks_statistic.notna().all() and rows.wasserstein.notna().all(), feature
        assert rows.chi_square.isna().all() and rows.distinct_categories.isna().all(), feature


def assert_no_categorical_drift(run) -> None:
    """The categorical tables are empty but keep their columns and types."""
    assert run.table("int_model_drift__drift_top_categories").empty
    assert run.table("model_drift__category_share_by_period").empty
    assert column_types(run, "int_model_drift__drift_top_categories") == TOP_CATEGORY_TYPES
    assert column_types(run, "model_drift__category_share_by_period") == CATEGORY_SHARE_TYPES


def test_numeric_features_binary_target(tmp_path):
    run = build(tmp_path, numeric_binary_frame(), model_drift_prediction="prediction")
    drift = run.table("model_drift__feature_drift_by_period")
    assert set(drift.feature_name) == {"x_float", "x_int", "prediction", "target"}
    assert_numeric_drift(drift, ["x_float", "x_int", "prediction"])
    # the 0/1 target is the only categorical column (label drift), so it is the only one with shares
    target = drift[drift.feature_name == "target"]
    assert set(target.feature_type) == {"categorical"} and target.chi_square.notna().all()
    shares = run.table("model_drift__category_share_by_period")
    assert set(shares.feature_name) == {"target"} and set(shares.category) == {"0", "1"}
    assert set(run.table("int_model_drift__drift_bin_edges").feature_name) == {"x_float", "x_int", "prediction"}
    # the drift injected halfway shows in the float feature, not in the integer one
    latest = drift[drift.period_start == drift.period_start.max()].set_index("feature_name")
    assert latest.psi["x_float"] > latest.psi["x_int"]
    roc_auc = run.table("model_drift__performance_by_period where metric_name = 'roc_auc' and segment_column = 'all'")
    assert len(roc_auc) == DAYS


def test_numeric_features_no_target(tmp_path):
    """Numbers only and nothing categorical followed: a model scored in production, no labels yet."""
    frame = numeric_binary_frame().drop(columns=["target", "label_at"])
    run = build(tmp_path, frame, model_drift_target=None, model_drift_label_at=None, model_drift_task="binary",
                model_drift_prediction="prediction")
    drift = run.table("model_drift__feature_drift_by_period")
    assert set(drift.feature_name) == {"x_float", "x_int", "prediction"}
    assert_numeric_drift(drift, ["x_float", "x_int", "prediction"])
    assert_no_categorical_drift(run)


def test_text_features_only(tmp_path):
    frame = text_frame()
    run = build(tmp_path, frame)
    drift = run.table("model_drift__feature_drift_by_period")
    assert set(drift.feature_name) == {"colour", "city", "target"}
    assert set(drift.feature_type) == {"categorical"}
    assert drift.ks_statistic.isna().all() and drift.value_mean.isna().all()
    assert drift.psi.notna().all() and drift.chi_square.notna().all()
    # no numeric column: no bin edges, typed
    assert run.table("int_model_drift__drift_bin_edges").empty
    assert column_types(run, "int_model_drift__drift_bin_edges") == BIN_EDGE_TYPES
    tops = run.table("int_model_drift__drift_top_categories")
    assert tops.groupby("feature_name").size().to_dict() == {"colour": 3, "city": 10, "target": 2}
    shares = run.table("model_drift__category_share_by_period")
    city = shares[(shares.feature_name == "city") & (shares.segment_column == "all")]
    assert "__other__" in set(city.category)
    daily = city.groupby("period_start").value_count.sum()
    assert len(daily) == DAYS and (daily == ROWS_PER_DAY).all()
    reference = frame[frame.event_at < pd.Timestamp("2024-01-01") + pd.Timedelta(days=REFERENCE_DAYS)]
    colour = tops[tops.feature_name == "colour"].set_index("category").reference_count
    assert colour.to_dict() == reference.colour.value_counts().to_dict()


def test_regression_target_numeric_features(tmp_path):
    run = build(tmp_path, regression_frame(), model_drift_prediction="prediction")
    drift = run.table("model_drift__feature_drift_by_period")
    assert set(drift.feature_name) == {"x_float", "x_int", "prediction", "target"}
    assert set(drift.set_index("feature_name").feature_role.to_dict().items()) == {
        ("x_float", "feature"), ("x_int", "feature"), ("prediction", "prediction"), ("target", "target")}
    assert_numeric_drift(drift, ["x_float", "x_int", "prediction", "target"])
    assert_no_categorical_drift(run)
    performance = run.table("model_drift__performance_by_period where segment_column = 'all'")
    assert set(performance.metric_name) == {"mae", "rmse", "mape", "r2", "bias"}
    r2 = performance[performance.metric_name == "r2"].metric_value
    assert len(r2) == DAYS and (r2 > 0.5).all()

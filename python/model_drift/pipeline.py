"""What the dbt Python models call: the library's analyses on the marts they
read, with the settings of the build (``model_drift.settings``: every var
validated by the dbt macro model_drift.settings(), no default here), and
output frames with fixed column types so a null is NULL in the warehouse,
never NaN. Problems a user can fix raise ``model_drift.UserError``, whose
message names the var or column and the fix."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from model_drift.analysis import decay_tables, learning_tables, window_table
from model_drift.backtest import PERIOD_OFFSETS, BacktestConfig, encode_features, run_backtest
from model_drift.errors import UserError
from model_drift.estimators import resolve_estimator
from model_drift.metrics import check_metric
from model_drift.policy import PolicyCosts, policy_table
from model_drift.recommendations import Evidence, recommendations_table
from model_drift.replay import DecaySettings, advice_check, grid_from_scores

STANDARD_COLUMNS = {
    "event_at", "label_at", "target", "prediction", "model_version", "observation_id",
    "period_start", "is_labelled", "label_delay_hours",
}

# Output schemas: column -> pandas dtype. dbt contracts cover SQL models
# only, so the Python marts hold their schema here (and tests check it).
SCHEMAS: dict[str, dict[str, str]] = {
    "backtest_scores": {
        "fit_id": "Int64", "cutoff_number": "Int64", "cutoff_at": "datetime64[us]", "spec_name": "string",
        "spec_kind": "string", "spec_size": "Int64", "train_rows": "Int64", "train_first_event_at": "datetime64[us]",
        "eval_period_start": "datetime64[us]", "model_age_periods": "Int64", "metric_name": "string",
        "metric_value": "Float64", "eval_rows": "Int64",
    },
    "decay_curve": {
        "spec_name": "string", "metric_name": "string", "model_age_periods": "Int64", "cutoff_count": "Int64",
        "expected_quality": "Float64", "band_low": "Float64", "band_high": "Float64", "expected_loss": "Float64",
        "fitted_quality": "Float64", "is_beyond_tolerance": "boolean",
    },
    "decay_curve_fit": {
        "spec_name": "string", "metric_name": "string", "family": "string", "parameters": "string",
        "aicc": "Float64", "delta_aicc": "Float64", "rmse": "Float64", "r2": "Float64", "is_chosen": "boolean",
    },
    "decay_summary": {
        "spec_name": "string", "metric_name": "string", "regime": "string", "reason": "string",
        "chosen_family": "string", "cutoff_count": "Int64", "horizon_periods": "Int64", "fresh_quality": "Float64",
        "tolerance": "Float64", "tolerance_kind": "string", "tolerance_in_metric_units": "Float64",
        "loss_at_horizon": "Float64", "loss_at_horizon_low": "Float64", "loss_at_horizon_high": "Float64",
        "periods_to_tolerance": "Float64", "periods_to_tolerance_low": "Float64",
        "periods_to_tolerance_high": "Float64",
        "abrupt_change_at": "datetime64[us]", "abrupt_change_loss": "Float64",
    },
    "learning_curve": {
        "metric_name": "string", "train_rows": "Int64", "cutoff_count": "Int64", "quality": "Float64",
        "band_low": "Float64", "band_high": "Float64", "fitted_quality": "Float64",
    },
    "learning_curve_fit": {
        "metric_name": "string", "family": "string", "plateau_quality": "Float64", "gap": "Float64",
        "exponent": "Float64", "baseline_quality": "Float64", "rmse": "Float64", "r2": "Float64",
        "rows_for_95pct": "Float64", "rows_for_99pct": "Float64", "labelled_rows_per_period": "Float64",
        "periods_for_95pct": "Float64", "periods_for_99pct": "Float64", "largest_rows_tried": "Int64",
        "is_still_rising": "boolean", "note": "string",
    },
    "retraining_policy_backtest": {
        "spec_name": "string", "window_periods": "Int64", "retrain_every_periods": "Int64", "metric_name": "string",
        "evaluation_periods": "Int64", "mean_quality": "Float64", "baseline_spec_name": "string",
        "baseline_quality": "Float64", "mean_loss": "Float64", "mean_loss_low": "Float64", "mean_loss_high": "Float64",
        "first_half_loss": "Float64", "second_half_loss": "Float64", "end_of_cycle_loss": "Float64",
        "worst_period_quality": "Float64", "retrains_over_history": "Int64", "history_periods": "Int64",
        "tolerance_in_metric_units": "Float64", "is_within_tolerance": "boolean", "cost_per_period": "Float64",
        "is_cost_optimal": "boolean",
    },
    "advice_check": {
        "as_of_at": "datetime64[us]", "judged_from_at": "datetime64[us]", "judged_periods": "Int64",
        "spec_name": "string", "retrain_every_periods": "Int64", "metric_name": "string",
        "realized_quality": "Float64", "realized_loss": "Float64", "retrains": "Int64",
        "is_within_tolerance": "boolean",
        "is_advised": "boolean", "is_hindsight_best": "boolean", "best_spec_name": "string",
        "tolerance_in_metric_units": "Float64", "retrain_ratio": "Float64", "verdict": "string", "reason": "string",
    },
    "retraining_recommendations": {
        "question_number": "Int64", "question": "string", "answer": "string", "value": "Float64", "unit": "string",
        "low": "Float64", "high": "Float64", "confidence": "string", "backing_table": "string",
        "spec_name": "string", "limited_by": "string", "cost_optimal_value": "Float64",
    },
    "training_window_comparison": {
        "spec_name": "string", "window_periods": "Int64", "metric_name": "string", "quality": "Float64",
        "difference_vs_all": "Float64", "difference_low": "Float64", "difference_high": "Float64",
        "first_half_difference": "Float64", "second_half_difference": "Float64", "paired_periods": "Int64",
        "fit_count": "Int64", "extended_fit_count": "Int64", "is_recommended": "boolean",
        "verdict": "string", "reason": "string",
    },
}


def typed(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """`frame` with exactly the columns of `table`'s schema, in order, with
    nullable types (NaN and None both become NULL)."""
    schema = SCHEMAS[table]
    missing = set(schema) - set(frame.columns)
    if missing:
        raise AssertionError(f"{table} lacks columns {sorted(missing)}")
    out = pd.DataFrame(index=frame.index)
    for column, dtype in schema.items():
        values = frame[column]
        if dtype.startswith("datetime"):
            out[column] = pd.to_datetime(values).astype(dtype)
        elif dtype == "string":
            out[column] = values.astype("object").where(values.notna(), None).astype("string")
        else:
            out[column] = pd.array(values.astype("object").where(values.notna(), None).tolist(), dtype=dtype)
    return out.reset_index(drop=True)


def infer_task(frame: pd.DataFrame, configured: str | None) -> str:
    """The task: the var's value, or read back from the type staging gave the target."""
    if configured:
        return configured
    target = frame["target"]
    if pd.api.types.is_integer_dtype(target) or pd.api.types.is_bool_dtype(target):
        return "binary"
    if pd.api.types.is_float_dtype(target):
        # staging casts binary targets to integers; nullable ints arrive as floats
        return "binary" if target.dropna().isin([0, 1]).all() else "regression"
    return "multiclass"


def feature_columns(columns: Sequence[str], features: Sequence[str] | None, segments: Sequence[str]) -> list[str]:
    """The features the backtest trains on: var model_drift_features, or every
    column without a role (as the SQL drift models choose them)."""
    by_lower = {c.lower(): c for c in columns}
    if features is not None:
        missing = [f for f in features if f.lower() not in by_lower]
        if missing:
            some = [c for c in columns if c.lower() not in STANDARD_COLUMNS][:3]
            raise UserError(f"var model_drift_features lists {missing}, which are not columns of the observations; "
                            f"list columns of the input, e.g. {some}")
        return [by_lower[f.lower()] for f in features]
    excluded = STANDARD_COLUMNS | {s.lower() for s in segments}
    return [c for c in columns if c.lower() not in excluded]


def backtest_config(frame: pd.DataFrame, settings: Mapping[str, Any], categorical, numeric) -> BacktestConfig:
    task = infer_task(frame, settings["task"])
    resolve_estimator(settings["estimator"])  # fail early, naming the var
    inferred_from = None if settings["task"] else frame["target"]
    return BacktestConfig(
        task=task,
        metric=check_metric(task, settings["metric"], inferred_from),
        threshold=settings["threshold"],
        period=settings["period"],
        categorical=tuple(categorical),
        numeric=tuple(numeric),
        cutoff_count=settings["backtest_cutoffs"],
        window_periods=tuple(settings["backtest_window_periods"]),
        row_counts=tuple(settings["backtest_row_counts"]),
        learning_curve_ages=settings["backtest_learning_ages"],
        max_rows_per_fit=settings["backtest_max_rows_per_fit"],
        min_train_rows=settings["backtest_min_train_rows"],
        max_replay_fits=settings["backtest_max_replay_fits"],
        max_eval_rows_per_period=settings["backtest_max_eval_rows_per_period"],
        estimator=settings["estimator"],
        seed=settings["seed"],
        n_jobs=settings["backtest_n_jobs"],
    )


# int_model_drift__backtest_input's column: the rows its period had before sampling
PERIOD_ROWS_COLUMN = "period_row_count"


def _unsampled(observations: pd.DataFrame, settings: Mapping[str, Any], log: Callable[[str], None]) -> pd.DataFrame:
    """The observations without int_model_drift__backtest_input's period sizes,
    after logging what its sample kept (cleaned observations pass unchanged)."""
    if PERIOD_ROWS_COLUMN not in observations.columns:
        return observations
    sizes = observations.groupby("period_start")[PERIOD_ROWS_COLUMN].first()
    cap = settings["backtest_max_rows_per_period"]
    log(
        f"backtest input: {len(observations):,} of {int(sizes.sum()):,} cleaned rows; {int((sizes > cap).sum())} of "
        f"{len(sizes)} periods had more than var model_drift_backtest_max_rows_per_period = {cap:,} rows and "
        "are a hash sample of about that many"
    )
    return observations.drop(columns=PERIOD_ROWS_COLUMN)


def backtest_scores_table(observations: pd.DataFrame, settings: Mapping[str, Any],
                          log: Callable[[str], None] = print) -> pd.DataFrame:
    """model_drift__backtest_scores from int_model_drift__backtest_input (or the
    cleaned observations)."""
    observations = _unsampled(observations, settings, log)
    features = feature_columns(list(observations.columns), settings["features"], settings["segments"])
    if not features:
        raise UserError(
            "the backtest has no feature to train on: every input column has a role or is a segment "
            "(var model_drift_segments); add to the input the columns a model would learn from (var "
            "model_drift_features null uses every column without a role)"
        )
    if observations["is_labelled"].sum() == 0:
        raise UserError(
            f"the backtest needs labelled rows, and no row has a target (var model_drift_target is "
            f"'{settings['roles']['target']}'): point var model_drift_target at the column with the ground truth"
        )
    frame, categorical, numeric = encode_features(observations, features)
    del observations  # the encoded frame replaces it: one copy of the input in memory, not two
    config = backtest_config(frame, settings, categorical, numeric)
    result = run_backtest(frame, config, log=log)
    log(
        f"backtest: {result.fit_count} fits in {result.wall_seconds:.1f} s "
        f"(fitting {result.fit_seconds:.1f} s, predicting {result.predict_seconds:.1f} s, summed over workers)"
    )
    return typed(result.scores, "backtest_scores")


def _scores(scores: pd.DataFrame) -> pd.DataFrame:
    scores = scores.copy()
    scores["metric_value"] = pd.to_numeric(scores["metric_value"], errors="coerce")
    return scores


def _decay_settings(settings: Mapping[str, Any]) -> DecaySettings:
    return DecaySettings(
        tolerance=settings["tolerance"],
        tolerance_kind=settings["tolerance_kind"],
        seed=settings["seed"],
    )


def decay_table(scores: pd.DataFrame, settings: Mapping[str, Any], table: str) -> pd.DataFrame:
    """One of decay_curve, decay_curve_fit, decay_summary."""
    decay = _decay_settings(settings)
    scores = _scores(scores)
    metric = scores["metric_name"].iloc[0]
    spec = settings["decay_spec"]
    if spec not in set(scores["spec_name"]):
        fitted = sorted(s for s in set(scores["spec_name"]) if not s.startswith("rows_"))
        raise UserError(
            f"var model_drift_decay_spec is '{spec}', which the backtest did not fit; use one of "
            f"{', '.join(fitted)}, e.g. --vars '{{model_drift_decay_spec: all}}'"
        )
    curve, fits, summary = _decay_tables_once(scores, metric, spec, decay)
    return typed({"decay_curve": curve, "decay_curve_fit": fits, "decay_summary": summary}[table], table)


# dbt builds the three decay marts from one computation (its bootstrap refits
# the curve families 200 times): dbt-duckdb runs Python models in its own
# process, so the last result is kept, keyed by the scores' content.
_DECAY_LOCK = threading.Lock()
_DECAY_LAST: dict = {}


def _decay_tables_once(scores: pd.DataFrame, metric: str, spec: str, decay: DecaySettings):
    digest = hashlib.sha256(pd.util.hash_pandas_object(scores, index=False).to_numpy().tobytes()).hexdigest()
    key = (digest, metric, spec, decay)
    with _DECAY_LOCK:  # a second thread waits for the first one's result
        if key not in _DECAY_LAST:
            _DECAY_LAST.clear()
            _DECAY_LAST[key] = decay_tables(scores, metric, spec, decay)
        return _DECAY_LAST[key]


def learning_table(scores: pd.DataFrame, arrival_summary: pd.DataFrame, settings: Mapping[str, Any],
                   table: str) -> pd.DataFrame:
    """learning_curve or learning_curve_fit; calendar time from the Q2 label rate."""
    scores = _scores(scores)
    overall = arrival_summary[(arrival_summary["segment_column"] == "all")]
    rate = float(overall["labels_per_period_recent"].iloc[0]) if len(overall) else None
    curve, fit = learning_tables(scores, scores["metric_name"].iloc[0], rate if rate and rate > 0 else None,
                                 seed=settings["seed"])
    return typed({"learning_curve": curve, "learning_curve_fit": fit}[table], table)


def windows_table(scores: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    """model_drift__training_window_comparison from the backtest scores."""
    scores = _scores(scores)
    table = window_table(scores, scores["metric_name"].iloc[0], PERIOD_OFFSETS[settings["period"]],
                         seed=settings["seed"])
    table["window_periods"] = table["window_periods"].astype("object").where(table["window_periods"].notna(), None)
    return typed(table, "training_window_comparison")


def policy_backtest_table(scores: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    """model_drift__retraining_policy_backtest from the backtest scores."""
    costs = PolicyCosts(settings["retrain_cost"], settings["quality_unit_cost"])
    scores = _scores(scores)
    return typed(policy_table(scores, scores["metric_name"].iloc[0], _decay_settings(settings), costs),
                 "retraining_policy_backtest")


def advice_check_table(scores: pd.DataFrame, settings: Mapping[str, Any]) -> pd.DataFrame:
    """model_drift__advice_check: the advice as of the replay's middle, judged on what followed."""
    scores = _scores(scores)
    table = advice_check(grid_from_scores(scores, scores["metric_name"].iloc[0]), _decay_settings(settings),
                         PERIOD_OFFSETS[settings["period"]])
    if table.empty:
        table = pd.DataFrame([{column: None for column in SCHEMAS["advice_check"]}])
        table["metric_name"] = scores["metric_name"].iloc[0]
        table["verdict"] = "cannot judge"
        table["reason"] = ("the replay grid has fewer than 4 fit times: collect more history, or raise "
                           "model_drift_backtest_max_replay_fits")
    return typed(table, "advice_check")


def recommendations(
    decay_summary: pd.DataFrame,
    arrival_summary: pd.DataFrame,
    learning_fit: pd.DataFrame,
    windows: pd.DataFrame,
    policy: pd.DataFrame,
    settings: Mapping[str, Any],
) -> pd.DataFrame:
    """model_drift__retraining_recommendations from the evidence marts."""
    evidence = Evidence(
        period=settings["period"],
        decay=decay_summary.iloc[0],
        arrival=arrival_summary[arrival_summary["segment_column"] == "all"].iloc[0],
        learning=learning_fit.iloc[0],
        windows=windows,
        policy=policy,
        alert_max_psi=settings["alert_max_psi"],
        floors=tuple(settings["retrain_floors"]),
    )
    return typed(recommendations_table(evidence), "retraining_recommendations")


__all__ = [
    "backtest_scores_table", "decay_table", "learning_table", "windows_table", "policy_backtest_table",
    "recommendations", "advice_check_table", "typed", "SCHEMAS",
]

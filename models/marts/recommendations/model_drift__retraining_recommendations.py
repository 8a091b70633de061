"""Q1-Q5 in one table: a sentence, a number with its range, a confidence
word and the table that backs each answer."""

from model_drift.pipeline import recommendations


def model(dbt, session):
    dbt.config(materialized="table")
    return recommendations(
        decay_summary=dbt.ref("model_drift__decay_summary").df(),
        arrival_summary=dbt.ref("model_drift__arrival_summary").df(),
        learning_fit=dbt.ref("model_drift__learning_curve_fit").df(),
        windows=dbt.ref("model_drift__training_window_comparison").df(),
        policy=dbt.ref("model_drift__retraining_policy_backtest").df(),
        raw_settings=dbt.config.get("model_drift_settings"),
    )

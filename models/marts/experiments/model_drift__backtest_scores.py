"""The backtest grid: every (cutoff, training spec) fitted once, scored on every later period."""

from model_drift.pipeline import backtest_scores_table


def model(dbt, session):
    dbt.config(materialized="table")
    observations = dbt.ref("int_model_drift__observations_cleaned").df()
    return backtest_scores_table(observations, dbt.config.get("model_drift_settings"))

"""Q1: decay_summary, read off the backtest scores."""

from model_drift.pipeline import decay_table


def model(dbt, session):
    dbt.config(materialized="table")
    scores = dbt.ref("model_drift__backtest_scores").df()
    return decay_table(scores, dbt.config.get("model_drift_settings"), "decay_summary")

"""Q5 evidence: every (retrain interval, training window) policy replayed on
the backtest scores, no new fit."""

from model_drift.pipeline import policy_backtest_table


def model(dbt, session):
    dbt.config(materialized="table")
    scores = dbt.ref("model_drift__backtest_scores").df()
    return policy_backtest_table(scores, dbt.config.get("model_drift_settings"))

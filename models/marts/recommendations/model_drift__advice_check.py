"""The advice checked in hindsight: the recommendation as of the replay's
middle, replayed on the periods that followed, from the same grid."""

from model_drift.pipeline import advice_check_table


def model(dbt, session):
    dbt.config(materialized="table")
    scores = dbt.ref("model_drift__backtest_scores").df()
    return advice_check_table(scores, dbt.config.get("model_drift_settings"))

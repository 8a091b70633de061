"""Q4: quality per training window on identical evaluation periods, and the verdict."""

from model_drift.pipeline import windows_table


def model(dbt, session):
    dbt.config(materialized="table")
    scores = dbt.ref("model_drift__backtest_scores").df()
    return windows_table(scores, dbt.config.get("model_drift_settings"))

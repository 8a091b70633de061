"""Q3: learning_curve, read off the backtest scores; calendar time from the Q2 label rate."""

from model_drift.pipeline import learning_table


def model(dbt, session):
    dbt.config(materialized="table")
    scores = dbt.ref("model_drift__backtest_scores").df()
    arrival = dbt.ref("model_drift__arrival_summary").df()
    return learning_table(scores, arrival, dbt.config.get("model_drift_settings"), "learning_curve")

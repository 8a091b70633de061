"""Q5 evidence: every (retrain interval, training window) policy replayed on
the backtest scores, no new fit."""

from model_drift.frames import to_pandas
from model_drift.pipeline import policy_backtest_table
from model_drift.settings import read_settings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = read_settings(to_pandas(dbt.ref("model_drift__settings")))
    scores = to_pandas(dbt.ref("model_drift__backtest_scores"))
    return policy_backtest_table(scores, settings)

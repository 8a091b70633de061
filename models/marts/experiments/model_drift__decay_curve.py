"""Q1: decay_curve, read off the backtest scores."""

from model_drift.frames import to_pandas
from model_drift.pipeline import decay_table
from model_drift.settings import read_settings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = read_settings(to_pandas(dbt.ref("model_drift__settings")))
    scores = to_pandas(dbt.ref("model_drift__backtest_scores"))
    return decay_table(scores, settings, "decay_curve")

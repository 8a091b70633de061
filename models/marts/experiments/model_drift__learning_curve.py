"""Q3: learning_curve, read off the backtest scores; calendar time from the Q2 label rate."""

from model_drift.frames import to_pandas
from model_drift.pipeline import learning_table
from model_drift.settings import read_settings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = read_settings(to_pandas(dbt.ref("model_drift__settings")))
    scores = to_pandas(dbt.ref("model_drift__backtest_scores"))
    arrival = to_pandas(dbt.ref("model_drift__arrival_summary"))
    return learning_table(scores, arrival, settings, "learning_curve")

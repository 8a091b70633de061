"""The advice checked in hindsight: the recommendation as of the replay's
middle, replayed on the periods that followed, from the same grid."""

from model_drift.frames import to_pandas
from model_drift.pipeline import advice_check_table
from model_drift.settings import read_settings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = read_settings(to_pandas(dbt.ref("model_drift__settings")))
    scores = to_pandas(dbt.ref("model_drift__backtest_scores"))
    return advice_check_table(scores, settings)

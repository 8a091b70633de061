"""The backtest grid: every (cutoff, training spec) fitted once, scored on every later period."""

from model_drift.frames import to_pandas
from model_drift.pipeline import backtest_scores_table
from model_drift.settings import read_settings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = read_settings(to_pandas(dbt.ref("model_drift__settings")))
    # the cleaned observations, periods larger than var model_drift_backtest_max_rows_per_period
    # sampled; passed without a name here, so the backtest can free them once encoded
    return backtest_scores_table(to_pandas(dbt.ref("int_model_drift__backtest_input")), settings)

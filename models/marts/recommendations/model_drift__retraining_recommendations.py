"""Q1-Q5 in one table: a sentence, a number with its range, a confidence
word and the table that backs each answer."""

from model_drift.frames import to_pandas
from model_drift.pipeline import recommendations
from model_drift.settings import read_settings


def model(dbt, session):
    dbt.config(materialized="table")
    settings = read_settings(to_pandas(dbt.ref("model_drift__settings")))
    return recommendations(
        decay_summary=to_pandas(dbt.ref("model_drift__decay_summary")),
        arrival_summary=to_pandas(dbt.ref("model_drift__arrival_summary")),
        learning_fit=to_pandas(dbt.ref("model_drift__learning_curve_fit")),
        windows=to_pandas(dbt.ref("model_drift__training_window_comparison")),
        policy=to_pandas(dbt.ref("model_drift__retraining_policy_backtest")),
        settings=settings,
    )

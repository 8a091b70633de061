"""Errors a user can act on: a problem with the settings or the data reaches
the user of `dbt build` as one line naming the var and a fix, and following
the fix literally (the `--vars` it gives) makes the build pass."""

from __future__ import annotations

import pickle
import re
import traceback

import pytest
import yaml

from conftest import run_dbt, write_parquet
from model_drift import UserError
from model_drift.backtest import InsufficientHistory
from model_drift.metrics import check_metric
from test_small_history import small_history

PYTHON_MARTS = ["--select", "+model_drift__retraining_recommendations", "+model_drift__advice_check"]
MONTHLY = {
    "model_drift_label_at": "label_at", "model_drift_period": "month",
    "model_drift_backtest_window_periods": [3, 6, 12], "model_drift_as_of": "2023-01-01 00:00:00",
}


def build(tmp_path, frame, **dbt_vars):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_parquet(frame, tmp_path / "input.parquet")
    return run_dbt(["build", *PYTHON_MARTS], tmp_path / "build",
                   dbt_vars={"model_drift_input_path": str(path), **MONTHLY, **dbt_vars})


def python_error(run) -> str:
    """The error dbt printed for the failed Python model: the one line after
    dbt-duckdb's "Python model failed:" (and nothing else of it)."""
    assert not run.ok, run.output[-3000:]
    assert "Traceback" not in run.output, run.output[-5000:]
    lines = run.output.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == "Python model failed:")
    message, after = lines[at + 1].strip(), lines[at + 2].strip()
    assert after == "", f"more than one line: {lines[at + 1:at + 4]}"
    return message


def suggested_vars(message: str) -> dict:
    """The --vars '{...}' the message suggests, as dbt reads them."""
    found = re.search(r"--vars '(\{.*?\})'", message)
    assert found, message
    return yaml.safe_load(found[1])


# --- the class --------------------------------------------------------------------

def test_a_user_error_prints_as_one_line_and_keeps_its_traceback_for_debuggers():
    def fail():
        try:
            {}["missing"]
        except KeyError:
            # no `from`: the implicit chaining is what the test checks
            raise UserError("var model_drift_x is 1; use 2, e.g. --vars '{model_drift_x: 2}'")  # noqa: B904

    with pytest.raises(UserError) as caught:
        fail()
    assert "".join(traceback.format_exception(caught.value)) == (
        "model_drift.UserError: var model_drift_x is 1; use 2, e.g. --vars '{model_drift_x: 2}'\n")
    assert caught.tb is not None  # pytest, logging and debuggers still see where it came from
    assert isinstance(caught.value, ValueError)
    again = pickle.loads(pickle.dumps(caught.value))  # e.g. back from a parallel worker
    assert type(again) is UserError and str(again) == str(caught.value)
    assert issubclass(InsufficientHistory, UserError)


def test_a_bug_keeps_its_full_traceback():
    try:
        {}["missing"]
    except KeyError as error:
        assert "Traceback" in "".join(traceback.format_exception(error))


def test_a_binary_metric_on_an_inferred_multiclass_target_suggests_binary_with_the_positive_class():
    with pytest.raises(UserError) as caught:
        check_metric("multiclass", "roc_auc", ["no", "yes", None, "no"])
    message = str(caught.value)
    assert "var model_drift_task is not set, so the task was inferred as multiclass (the target holds text)" in message
    assert suggested_vars(message) == {"model_drift_task": "binary", "model_drift_positive_class": "yes"}
    assert "or set var model_drift_metric to one of accuracy, macro_f1, weighted_f1" in message
    with pytest.raises(UserError, match=r"\(var model_drift_task is regression\); use one of mae"):
        check_metric("regression", "roc_auc")


# --- through dbt: one line, and the fix works ---------------------------------------------

def test_a_yes_no_target_with_a_binary_metric_gets_a_fix_that_works(tmp_path):
    history = small_history()
    frame = history.assign(target=history["target"].map({1: "yes", 0: "no"}))
    failed = build(tmp_path / "failed", frame, model_drift_metric="roc_auc")
    message = python_error(failed)
    assert message.startswith("model_drift.UserError: var model_drift_metric is 'roc_auc', which is not a multiclass "
                              "metric, and var model_drift_task is not set"), message
    fix = suggested_vars(message)
    assert fix == {"model_drift_task": "binary", "model_drift_positive_class": "yes"}, message

    fixed = build(tmp_path / "fixed", frame, model_drift_metric="roc_auc", **fix)
    assert fixed.ok, fixed.output[-5000:]
    scores = fixed.table("model_drift__backtest_scores")
    assert set(scores["metric_name"]) == {"roc_auc"} and scores["metric_value"].notna().any()


def test_too_little_labelled_history_names_a_min_train_rows_that_works(tmp_path):
    thin = small_history(rows_per_month=5)  # 180 labelled rows: no period has 200 known before it
    failed = build(tmp_path / "failed", thin, model_drift_task="binary")
    message = python_error(failed)
    assert message.startswith("model_drift.backtest.InsufficientHistory: only 0 period(s) have 200 labelled rows "
                              "known before them (var model_drift_backtest_min_train_rows)"), message
    fix = suggested_vars(message)
    assert list(fix) == ["model_drift_backtest_min_train_rows"]
    assert 10 <= fix["model_drift_backtest_min_train_rows"] < 200

    fixed = build(tmp_path / "fixed", thin, model_drift_task="binary", **fix)
    assert fixed.ok, fixed.output[-5000:]
    answers = fixed.table("model_drift__retraining_recommendations", "question_number")
    assert list(answers["question_number"]) == [1, 2, 3, 4, 5]

"""One settings source: every var is validated by macros/settings.sql before
any model runs, whoever reads it (SQL marts, alerts, Python marts), on every
engine; the Python marts read the validated values from model_drift__settings
and keep no default of their own."""

from __future__ import annotations

import dataclasses
import json
import re

import duckdb
import pytest
import yaml

from conftest import FIXTURE_VARS, INTEGRATION_PROJECT, INTEGRATION_SCHEMA, REPO, run_dbt
from model_drift.backtest import BacktestConfig
from model_drift.metrics import DEFAULT_METRIC, METRICS_BY_TASK
from model_drift.recommendations import Evidence
from model_drift.replay import DecaySettings
from model_drift.settings import read_settings

QUALITY_ALERT = ["--select", "+model_drift_alert_quality_below_tolerance"]
PACKAGE_VARS = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
ROLE_VARS = {"event_at": "event_at", "target": "target", "label_at": "label_at", "prediction": "prediction",
             "model_version": "model_version", "id": "observation_id"}


def assert_fails_before_any_model(run, *phrases: str) -> None:
    assert not run.ok, run.output[-3000:]
    for phrase in phrases:
        assert phrase in run.output, f"missing {phrase!r} in:\n{run.output[-3000:]}"
    assert "OK created" not in run.output and " START " not in run.output, run.output[-3000:]


# --- the alert that read vars raw ------------------------------------------------

def test_a_metric_typo_fails_the_alert_build_naming_the_var_and_the_valid_metrics(tmp_path):
    run = run_dbt(["build", *QUALITY_ALERT], tmp_path,
                  dbt_vars={**FIXTURE_VARS, "model_drift_alerts": ["quality_below_tolerance"],
                            "model_drift_metric": "auc"})
    assert_fails_before_any_model(run, "var model_drift_metric is 'auc', which is not a metric",
                                  "e.g. --vars '{model_drift_metric: roc_auc}'")
    # the macro's lists are the library's (macros/settings.sql decision_metrics, metrics.METRICS_BY_TASK)
    listed = re.search(r"use one of (binary: .*?); multiclass: (.*?); regression: (.*?), e\.g\.", run.output)
    macro = {task: names.removeprefix("binary: ").split(", ") for task, names in zip(METRICS_BY_TASK, listed.groups())}
    assert macro == {task: list(names) for task, names in METRICS_BY_TASK.items()}
    assert {task: names[0] for task, names in macro.items()} == DEFAULT_METRIC


def test_fresh_periods_zero_fails_the_alert_build_naming_the_var(tmp_path):
    run = run_dbt(["build", *QUALITY_ALERT], tmp_path,
                  dbt_vars={**FIXTURE_VARS, "model_drift_alerts": ["quality_below_tolerance"],
                            "model_drift_decay_fresh_periods": 0})
    assert_fails_before_any_model(run, "var model_drift_decay_fresh_periods is '0'", "whole number >= 1",
                                  "e.g. --vars '{model_drift_decay_fresh_periods: 7}'")


def test_a_metric_of_another_task_fails_where_the_task_becomes_known(tmp_path):
    # task not set: 'mae' is a metric, so it passes the macro; the 0/1 target makes the task binary,
    # and the alert (which used to find no rows and pass) fails naming the var
    on = {**FIXTURE_VARS, "model_drift_alerts": ["quality_below_tolerance"], "model_drift_metric": "mae"}
    inferred = run_dbt(["build", *QUALITY_ALERT], tmp_path / "inferred", dbt_vars=on)
    assert not inferred.ok
    assert ("var model_drift_metric is 'mae', which is not a binary metric, and var model_drift_task is not set, "
            "so the task was inferred as binary") in inferred.output, inferred.output[-3000:]
    # task set: the macro knows at once, before any model runs
    stated = run_dbt(["build", *QUALITY_ALERT], tmp_path / "stated", dbt_vars={**on, "model_drift_task": "binary"})
    assert_fails_before_any_model(stated, "var model_drift_metric is 'mae', which is not a binary metric "
                                          "(var model_drift_task is binary)",
                                  "e.g. --vars '{model_drift_metric: roc_auc}'")


# --- vars only the Python marts read ------------------------------------------------

@pytest.mark.parametrize("var, value, phrase", [
    ("model_drift_backtest_cutoffs", 1, "whole number >= 2, e.g. --vars '{model_drift_backtest_cutoffs: 5}'"),
    ("model_drift_backtest_window_periods", [], "list of whole numbers >= 1, e.g."),
    ("model_drift_estimator", "gbm", "use one of hist_gradient_boosting, linear, random_forest"),
    ("model_drift_decay_spec", "window_5", "use all or a window of model_drift_backtest_window_periods: all, window_7"),
    ("model_drift_backtest_n_jobs", 0, "other than 0 (-1 = every core), e.g."),
    ("model_drift_retrain_cost", 100, "set both for a cost-optimal interval, or neither, e.g."),
    ("model_drift_retrain_floors", ["weekly"], "the floors are label_delay, labelled_rows_needed, e.g."),
    ("model_drift_seed", -1, "whole number >= 0, e.g."),
])
def test_a_python_only_var_fails_before_any_model_runs(tmp_path, var, value, phrase):
    run = run_dbt(["build", "--select", "+model_drift__backtest_scores"], tmp_path,
                  dbt_vars={**FIXTURE_VARS, var: value})
    assert_fails_before_any_model(run, f"model_drift: var {var} ", phrase)


def test_the_sql_only_path_validates_python_vars_too(tmp_path):
    """PostgreSQL and Spark, where the Python marts are disabled, still reject
    a bad var: dbt renders every SQL model while parsing (no server needed)."""
    deps = run_dbt(["deps"], tmp_path / "deps", project_dir=INTEGRATION_PROJECT)
    assert deps.ok, deps.output
    for target in ("postgres", "spark"):
        run = run_dbt(["ls"], tmp_path / target, project_dir=INTEGRATION_PROJECT, target=target,
                      dbt_vars={"model_drift_backtest_max_rows_per_fit": 5})
        assert not run.ok, (target, run.output[-3000:])
        assert "var model_drift_backtest_max_rows_per_fit is '5'; it must be a whole number >= 10" in run.output, target


# --- the settings table, in a project that installs the package -----------------------

def pipeline_keys() -> set[str]:
    code = (REPO / "python" / "model_drift" / "pipeline.py").read_text()
    return set(re.findall(r'settings\["(\w+)"\]', code))


def test_the_installed_package_runs_its_hooks_and_writes_every_var_to_the_settings_table(tmp_path):
    deps = run_dbt(["deps"], tmp_path / "deps", project_dir=INTEGRATION_PROJECT)
    assert deps.ok, deps.output
    run = run_dbt(["run", "--select", "model_drift__settings"], tmp_path / "run",
                  project_dir=INTEGRATION_PROJECT, target="duckdb")
    assert run.ok, run.output
    # the package's three hooks (validate_settings, refresh_settings_table, the Python-marts notice) ran
    # in the installing project
    assert all(f"OK hook: model_drift.on-run-start.{n}" in run.output for n in range(3)), run.output
    with duckdb.connect(str(run.database), read_only=True) as connection:
        settings = read_settings(connection.sql(f"select * from {INTEGRATION_SCHEMA}.model_drift__settings").df())
    # every var of the package, by its name without the prefix (the column roles under roles)
    for var in PACKAGE_VARS:
        key = var.removeprefix("model_drift_")
        if key in ROLE_VARS:
            assert ROLE_VARS[key] in settings["roles"], var
        else:
            assert key in settings, var
    assert pipeline_keys() <= set(settings), pipeline_keys() - set(settings)
    # the installing project's values, not the package defaults
    assert settings["estimator"] == "linear" and settings["backtest_n_jobs"] == 1
    assert settings["decay_fresh_periods"] == 3 and settings["backtest_window_periods"] == [7, 14]
    assert settings["roles"]["target"] == "outcome" and settings["metric"] is None


def test_a_var_change_reaches_the_settings_table_when_the_build_does_not_select_it(tmp_path):
    """`dbt build -s model_drift__backtest_scores+ --vars ...` must not run the Python marts on the old settings."""
    def stored() -> dict:
        with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
            return read_settings(connection.sql("select * from model_drift__settings").df())

    assert run_dbt(["run", "--select", "model_drift__settings"], tmp_path, dbt_vars=FIXTURE_VARS).ok
    assert stored()["tolerance"] == 0.02
    changed = {**FIXTURE_VARS, "model_drift_tolerance": 0.07}
    other = run_dbt(["run", "--select", "stg_model_drift__observations"], tmp_path, dbt_vars=changed)
    assert other.ok and "brought up to this run's vars" in other.output, other.output[-3000:]
    assert stored()["tolerance"] == 0.07
    again = run_dbt(["run", "--select", "stg_model_drift__observations"], tmp_path, dbt_vars=changed)
    assert again.ok and "brought up to this run's vars" not in again.output  # unchanged: no write


def test_read_settings_matches_columns_case_insensitively_and_names_the_fix():
    import pandas as pd

    from model_drift import UserError

    assert read_settings(pd.DataFrame({"SETTINGS_JSON": [json.dumps({"seed": 0})]})) == {"seed": 0}
    with pytest.raises(UserError, match=r"dbt build --select model_drift__settings\+"):
        read_settings(pd.DataFrame({"settings_json": []}))


# --- no default in Python ------------------------------------------------------------------

def test_python_keeps_no_default_for_any_var():
    # the only defaults left are not vars: the replay's share of history and the bootstrap draws
    defaults = {cls.__name__: {f.name for f in dataclasses.fields(cls)
                               if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING}
                for cls in (BacktestConfig, DecaySettings, Evidence)}
    assert defaults == {"BacktestConfig": {"replay_share"}, "DecaySettings": {"bootstrap"}, "Evidence": set()}
    code = (REPO / "python" / "model_drift" / "pipeline.py").read_text()
    assert "settings.get(" not in code and " or -1" not in code


def test_only_the_settings_macro_reads_vars():
    readers = []
    for path in [*REPO.glob("models/**/*.sql"), *REPO.glob("models/**/*.py"), *REPO.glob("models/**/*.yml"),
                 *REPO.glob("macros/**/*.sql"), *REPO.glob("tests/dbt/**/*.sql")]:
        if re.search(r"\bvar\(", path.read_text()) and path.name != "settings.sql":
            readers.append(path.relative_to(REPO).as_posix())
    # a sources YAML cannot call a macro: it reads the input's location vars itself
    assert readers == ["models/staging/_staging__sources.yml"], readers


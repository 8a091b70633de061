"""The package installed the way a user installs it (integration_tests/).

integration_tests/ is a separate dbt project with `local: ../` in its
packages.yml, its own profiles.yml, its own input table (seeds it loads and
points the package's vars at) and its own vars. Packaging mistakes - a path
relative to the wrong folder, a config that applies only in the package's
own project, a Python import that works only from the repository - show up
here rather than in a user's project.
"""

from __future__ import annotations

import duckdb

from conftest import INTEGRATION_SCHEMA, SQL_MARTS, run_integration

PYTHON_MARTS = [
    "model_drift__backtest_scores", "model_drift__decay_curve", "model_drift__decay_curve_fit",
    "model_drift__decay_summary", "model_drift__learning_curve", "model_drift__learning_curve_fit",
    "model_drift__training_window_comparison",
    "model_drift__retraining_policy_backtest", "model_drift__retraining_recommendations",
    "model_drift__advice_check",
]


def test_every_model_and_test_builds_on_duckdb(integration_duckdb):
    assert "ERROR=0" in integration_duckdb.output, integration_duckdb.output
    # the input-check warnings are the fixture's planted bad rows, nothing else
    assert "WARN=1 " in integration_duckdb.output, integration_duckdb.output
    assert "model_drift: the backtest and recommendation models are dbt Python models" not in integration_duckdb.output


def test_python_marts_run_from_the_installed_package(integration_duckdb):
    with duckdb.connect(str(integration_duckdb.database), read_only=True) as connection:
        for name in [*SQL_MARTS, *PYTHON_MARTS]:
            count = connection.sql(f"select count(*) from {INTEGRATION_SCHEMA}.{name}").fetchall()[0][0]
            assert count > 0, f"{name} is empty in the integration project"


def test_input_is_the_projects_own_table(integration_duckdb):
    with duckdb.connect(str(integration_duckdb.database), read_only=True) as connection:
        checks = dict(connection.sql(
            f"select check_name, rows_affected from {INTEGRATION_SCHEMA}.model_drift__input_checks").fetchall())
        seeded = connection.sql(f"select count(*) from {INTEGRATION_SCHEMA}.scored_events").fetchall()[0][0]
        summary = connection.sql(
            f"select row_count from {INTEGRATION_SCHEMA}.model_drift__arrival_summary where segment_column = 'all'"
        ).fetchall()[0][0]
    # the planted problems: a label before its event, a duplicate id; events after as-of are dropped
    assert checks["label_before_event"] == 1
    assert checks["duplicate_id"] == 1
    assert summary == seeded - checks["duplicate_id"] - checks["future_event_at"]


def _listed(target: str, resource_type: str, workdir) -> list[str]:
    run = run_integration(["ls", "--resource-type", resource_type, "--output", "name"], workdir, target)
    assert run.ok, run.output
    return run.output.split()


def test_python_models_and_their_tests_are_disabled_where_dbt_cannot_run_them(integration_duckdb, tmp_path):
    on_duckdb = _listed("duckdb", "model", tmp_path / "duckdb")
    assert set(PYTHON_MARTS) <= set(on_duckdb)
    for target in ("postgres", "spark"):
        models = _listed(target, "model", tmp_path / target)
        assert set(SQL_MARTS) <= set(models)
        assert not set(PYTHON_MARTS) & set(models), target
        tests = _listed(target, "test", tmp_path / target)
        python_tests = [t for t in tests if any(m in t for m in PYTHON_MARTS)]
        assert tests and not python_tests, (target, python_tests)

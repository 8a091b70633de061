"""`python -m model_drift answers` and `report` on a DuckDB file without the
tables they need (a build that failed or never ran): exit 2 with one line
naming the missing table, never a bare heading and exit 0."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from model_drift.answers import ARRIVAL_SUMMARY, RECOMMENDATIONS
from model_drift.cli import main

ARRIVAL = f"""
create table {ARRIVAL_SUMMARY} as
select 'all' as segment_column, 'all' as segment_value, 'day' as period_grain,
       timestamp '2024-01-01' as first_event_at, timestamp '2024-03-01' as last_event_at,
       'About 10 rows arrive per day.' as answer
"""
ANSWERS = f"""
create table {RECOMMENDATIONS} as
select * from (values
    (1, 'How quickly does quality go down in production?', 'Slowly.', 'high', 'model_drift__decay_summary'),
    (2, 'How often do you receive new data and labels?', 'Daily.', 'high', 'model_drift__arrival_summary'),
    (3, 'How much data does the model need?', 'About 1,000 rows.', 'medium', 'model_drift__learning_curve_fit'),
    (4, 'Should you drop the old data?', 'Keep all history.', 'high', 'model_drift__training_window_comparison'),
    (5, 'How often should you retrain?', 'Retrain every 7 days.', 'medium', 'model_drift__retraining_policy_backtest')
) as t(question_number, question, answer, confidence, backing_table)
"""


def database(tmp_path, *statements: str):
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        for sql in statements:
            connection.sql(sql)
    return path


@pytest.mark.parametrize("command", ["answers", "report"])
@pytest.mark.parametrize("built, missing", [
    ((), [ARRIVAL_SUMMARY, RECOMMENDATIONS]),  # never built
    ((ARRIVAL,), [RECOMMENDATIONS]),  # the build failed at the Python marts
    ((ARRIVAL, ANSWERS, f"delete from {ARRIVAL_SUMMARY}"), [ARRIVAL_SUMMARY]),  # an empty table
], ids=["nothing", "sql layer only", "empty"])
def test_a_missing_table_fails_with_one_line_naming_it(tmp_path, capsys, command, built, missing):
    path = database(tmp_path, *built)
    out = tmp_path / "report.html"
    assert main([command, str(path), "--out", str(out)] if command == "report" else [command, str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and not out.exists()
    error = captured.err.strip()
    assert len(error.splitlines()) == 1, error
    assert error.startswith(f"model-drift: {path} has no rows in "), error
    for table in missing:
        assert table in error
    assert "run `dbt build`" in error


def test_a_complete_build_prints_every_answer_and_writes_the_report(tmp_path):
    path = database(tmp_path, ARRIVAL, ANSWERS)
    done = subprocess.run([sys.executable, "-m", "model_drift", "answers", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert [line[:3] for line in done.stdout.splitlines() if line[:1] == "Q"] == ["Q2.", "Q1.", "Q3.", "Q4.", "Q5."]
    out = tmp_path / "report.html"
    assert main(["report", str(path), "--out", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_the_exit_code_reaches_the_shell(tmp_path):
    path = database(tmp_path, ARRIVAL)
    done = subprocess.run([sys.executable, "-m", "model_drift", "answers", str(path)], capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert RECOMMENDATIONS in done.stderr and "Q1 and Q3-Q5" in done.stderr


def test_answers_built_into_another_schema_are_found(tmp_path, monkeypatch):
    """A profile's `schema: analytics` puts the tables there, not in DuckDB's main."""
    monkeypatch.delenv("MODEL_DRIFT_SCHEMA", raising=False)
    into = "create schema if not exists analytics; use analytics; "
    path = database(tmp_path, into + ARRIVAL, into + ANSWERS)
    done = subprocess.run([sys.executable, "-m", "model_drift", "answers", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Q5. How often should you retrain? Retrain every 7 days." in done.stdout
    out = tmp_path / "report.html"
    assert main(["report", str(path), "--out", str(out)]) == 0


def test_answers_in_two_schemas_ask_which_one(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("MODEL_DRIFT_SCHEMA", raising=False)
    into = "create schema if not exists analytics; use analytics; "
    path = database(tmp_path, ARRIVAL, ANSWERS, into + ARRIVAL, into + ANSWERS)
    assert main(["answers", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error == (f"model-drift: {path} holds model_drift's answers in several schemas (analytics, main); "
                     "set MODEL_DRIFT_SCHEMA to one of them, e.g. MODEL_DRIFT_SCHEMA=analytics")
    monkeypatch.setenv("MODEL_DRIFT_SCHEMA", "analytics")
    assert main(["answers", str(path)]) == 0
    monkeypatch.setenv("MODEL_DRIFT_SCHEMA", "staging")
    assert main(["answers", str(path)]) == 2
    assert "MODEL_DRIFT_SCHEMA is 'staging', which" in capsys.readouterr().err

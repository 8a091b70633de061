"""The plain-words printer the demo ends with."""

from __future__ import annotations

import subprocess
import sys

from model_drift.answers import arrival_answers, format_arrival_answers
from model_drift.cli import main


def test_demo_answers_overall_first(demo_build):
    rows = arrival_answers(demo_build.database)
    assert [r[:2] for r in rows] == [("all", "all"), ("origin", "EWR"), ("origin", "JFK"), ("origin", "LGA")]
    text = format_arrival_answers(rows)
    assert text.splitlines()[0] == "Q2. How often do you receive new data and labels?"
    assert "Overall: 922.7 rows arrive per day on average" in text
    assert "0 of 365 days had no rows" in text
    assert "97.2% of rows have a label" in text


def test_cli_prints_the_answer(demo_build):
    done = subprocess.run([sys.executable, "-m", "model_drift", "answers", str(demo_build.database)],
                          capture_output=True, text=True, check=True)
    assert "origin = LGA:" in done.stdout
    lines = done.stdout.splitlines()
    # then Q1, Q3, Q4 and Q5 as the recommendations table words them
    assert [line[:3] for line in lines if line[:1] == "Q"] == ["Q2.", "Q1.", "Q3.", "Q4.", "Q5."]
    assert lines[-1].startswith(("Q5. How often should you retrain? Retrain every",
                                 "Q5. How often should you retrain? No scheduled retraining"))
    assert lines[-1].endswith(")") and "(confidence: " in lines[-1]


def test_cli_explains_a_missing_database(tmp_path, capsys):
    assert main(["answers", str(tmp_path / "none.duckdb")]) == 2
    assert "run `dbt build` first" in capsys.readouterr().err

"""Command line: `model-drift answers [DUCKDB_FILE]` prints the answers in words;
`model-drift report [DUCKDB_FILE] [--out PATH]` writes them with their charts as one HTML file.
Both exit 2 with one line on stderr when the file, or a table they need, is missing."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from model_drift.answers import (
    arrival_answers,
    format_arrival_answers,
    missing_marts,
    missing_message,
    recommendation_answers,
)
from model_drift.errors import UserError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="model-drift", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    answers = commands.add_parser("answers", help="print the answers stored in a DuckDB file")
    report = commands.add_parser("report", help="write the answers and their charts as one self-contained HTML file")
    for command in (answers, report):
        command.add_argument(
            "database",
            nargs="?",
            default=os.environ.get("MODEL_DRIFT_DUCKDB_PATH", "model_drift.duckdb"),
            help="the DuckDB file dbt wrote (default: $MODEL_DRIFT_DUCKDB_PATH or model_drift.duckdb)",
        )
    report.add_argument("--out", default="model_drift_report.html",
                        help="the HTML file to write (default: model_drift_report.html in the current folder)")
    args = parser.parse_args(argv)
    # both need a complete build: a missing or empty answer table fails with one line, exit 2
    try:
        missing = missing_marts(args.database)
    except (FileNotFoundError, UserError) as error:
        print(f"model-drift: {error}", file=sys.stderr)
        return 2
    if missing:
        print(f"model-drift: {missing_message(args.database, missing)}", file=sys.stderr)
        return 2
    if args.command == "report":
        from model_drift.report import write_report  # matplotlib loads only for the report

        print(f"wrote {write_report(args.database, args.out)}")
        return 0
    print(format_arrival_answers(arrival_answers(args.database)))
    for line in recommendation_answers(args.database):  # Q1, Q3, Q4 and Q5 in the recommendations' words
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

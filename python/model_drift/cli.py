"""Command line: `model-drift answers [DUCKDB_FILE]` prints the answers in words;
`model-drift report [DUCKDB_FILE] [--out PATH]` writes them with their charts as one HTML file."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from model_drift.answers import arrival_answers, experiment_answers, format_arrival_answers, recommendation_answers


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
    if args.command == "report":
        from model_drift.report import write_report  # matplotlib loads only for the report

        try:
            path = write_report(args.database, args.out)
        except FileNotFoundError as error:
            print(f"model-drift: {error}", file=sys.stderr)
            return 2
        print(f"wrote {path}")
        return 0
    try:
        rows = arrival_answers(args.database)
    except (FileNotFoundError, LookupError) as error:
        print(f"model-drift: {error}", file=sys.stderr)
        return 2
    print(format_arrival_answers(rows))
    # the recommendations word every answer; without them (Python models not
    # built yet), the backtest marts' own sentences
    for line in recommendation_answers(args.database) or experiment_answers(args.database):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

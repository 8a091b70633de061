"""Command line: `model-drift answers [DUCKDB_FILE]` prints the answers in words."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from model_drift.answers import arrival_answers, experiment_answers, format_arrival_answers


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="model-drift", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    answers = commands.add_parser("answers", help="print the answers stored in a DuckDB file")
    answers.add_argument(
        "database",
        nargs="?",
        default=os.environ.get("MODEL_DRIFT_DUCKDB_PATH", "model_drift.duckdb"),
        help="the DuckDB file dbt wrote (default: $MODEL_DRIFT_DUCKDB_PATH or model_drift.duckdb)",
    )
    args = parser.parse_args(argv)
    try:
        rows = arrival_answers(args.database)
    except (FileNotFoundError, LookupError) as error:
        print(f"model-drift: {error}", file=sys.stderr)
        return 2
    print(format_arrival_answers(rows))
    for line in experiment_answers(args.database):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Read the answers model_drift wrote to the warehouse, for people.

The marts hold every number; this module only selects the sentences so the
demo (and a pipeline's log) can end with the answer in plain words.
"""

from __future__ import annotations

import pathlib

import duckdb

ARRIVAL_SUMMARY = "model_drift__arrival_summary"


def arrival_answers(database: str | pathlib.Path) -> list[tuple[str, str, str]]:
    """(segment_column, segment_value, answer) rows of the Q2 summary, overall first."""
    path = pathlib.Path(database)
    if not path.exists():
        raise FileNotFoundError(
            f"no DuckDB file at {path}: run `dbt build` first "
            "(MODEL_DRIFT_DUCKDB_PATH sets where it is written)"
        )
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = {row[0] for row in connection.sql("select table_name from information_schema.tables").fetchall()}
        if ARRIVAL_SUMMARY not in tables:
            raise LookupError(f"{path} has no table {ARRIVAL_SUMMARY}: run `dbt build` first")
        return connection.sql(
            f"""
            select segment_column, segment_value, answer
            from {ARRIVAL_SUMMARY}
            order by segment_column != 'all', segment_column, segment_value
            """
        ).fetchall()


def format_arrival_answers(rows: list[tuple[str, str, str]]) -> str:
    """The Q2 answer as a short text block: overall, then one line per segment value."""
    lines = ["Q2. How often do you receive new data and labels?"]
    for segment_column, segment_value, answer in rows:
        label = "Overall" if segment_column == "all" else f"{segment_column} = {segment_value}"
        lines.append(f"  {label}: {answer}")
    return "\n".join(lines)

"""Read the answers model_drift wrote to the warehouse, for people.

The marts hold every number; this module only selects the sentences so the
demo (and a pipeline's log) can end with the answer in plain words.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
from collections.abc import Iterator

import duckdb
import pandas as pd

from model_drift.errors import UserError

ARRIVAL_SUMMARY = "model_drift__arrival_summary"
RECOMMENDATIONS = "model_drift__retraining_recommendations"
# What `model-drift answers` and `model-drift report` need: a complete build's
# answers, with what each holds.
NEEDED = {ARRIVAL_SUMMARY: "Q2", RECOMMENDATIONS: "Q1 and Q3-Q5"}


@contextlib.contextmanager
def open_marts(database: str | pathlib.Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, set[str]]]:
    """A read-only connection to the DuckDB file dbt wrote, and the tables in it."""
    path = pathlib.Path(database)
    if not path.exists():
        raise FileNotFoundError(
            f"no DuckDB file at {path}: run `dbt build` first "
            "(MODEL_DRIFT_DUCKDB_PATH sets where it is written)"
        )
    with duckdb.connect(str(path), read_only=True) as connection:
        tables = connection.sql("select table_schema, table_name from information_schema.tables").fetchall()
        schema = marts_schema(path, tables)
        if schema is not None:  # the package's tables, wherever dbt wrote them (a profile's schema)
            escaped = schema.replace("'", "''")
            connection.execute(f"set schema = '{escaped}'")
        yield connection, {name for table_schema, name in tables if schema is None or table_schema == schema}


def marts_schema(path: pathlib.Path, tables: list[tuple[str, str]]) -> str | None:
    """The schema that holds the package's answers: $MODEL_DRIFT_SCHEMA, else
    the one schema holding a NEEDED table (None: none does)."""
    holding = sorted({schema for schema, name in tables if name in NEEDED})
    chosen = os.environ.get("MODEL_DRIFT_SCHEMA")
    if chosen:
        if chosen not in {schema for schema, _ in tables}:
            raise UserError(f"MODEL_DRIFT_SCHEMA is '{chosen}', which {path} does not have; "
                            f"its schemas with model_drift's answers: {', '.join(holding) or 'none'}")
        return chosen
    if len(holding) > 1:
        raise UserError(f"{path} holds model_drift's answers in several schemas ({', '.join(holding)}); "
                        f"set MODEL_DRIFT_SCHEMA to one of them, e.g. MODEL_DRIFT_SCHEMA={holding[0]}")
    return holding[0] if holding else None


def missing_marts(database: str | pathlib.Path) -> list[str]:
    """The NEEDED tables the DuckDB file lacks, or holds without a row."""
    with open_marts(database) as (connection, tables):
        return [
            table for table in NEEDED
            if table not in tables or not connection.sql(f"select count(*) from {table}").fetchall()[0][0]
        ]


def missing_message(database: str | pathlib.Path, missing: list[str]) -> str:
    """One line: which answers are missing from `database`, why, and what to do."""
    what = "; ".join(f"{table} ({NEEDED[table]})" for table in missing)
    return (f"{database} has no rows in {what}: the dbt build failed or has not run them; "
            "run `dbt build` (its log names what failed), then try again")


def arrival_answers(database: str | pathlib.Path) -> list[tuple[str, str, str]]:
    """(segment_column, segment_value, answer) rows of the Q2 summary, overall first."""
    path = pathlib.Path(database)
    with open_marts(path) as (connection, tables):
        if ARRIVAL_SUMMARY not in tables:
            raise LookupError(f"{path} has no table {ARRIVAL_SUMMARY}: run `dbt build` first")
        return connection.sql(
            f"""
            select segment_column, segment_value, answer
            from {ARRIVAL_SUMMARY}
            order by segment_column != 'all', segment_column, segment_value
            """
        ).fetchall()


def recommendation_answers(database: str | pathlib.Path) -> list[str]:
    """Q1, Q3, Q4 and Q5 as model_drift__retraining_recommendations words
    them (Q2 has its own block), with their confidence; none when not built."""
    with open_marts(database) as (connection, tables):
        if RECOMMENDATIONS not in tables:
            return []
        rows = connection.sql(
            f"select question_number, question, answer, confidence from {RECOMMENDATIONS} "
            "where question_number != 2 order by question_number"
        ).fetchall()
    return [f"Q{number}. {question} {answer} (confidence: {confidence})"
            for number, question, answer, confidence in rows]


def experiment_answers(database: str | pathlib.Path) -> list[str]:
    """One sentence each for Q1 (decay), Q3 (learning curve) and Q4 (windows),
    from the backtest marts; none when they were not built."""
    with open_marts(database) as (connection, tables):
        lines = []
        if "model_drift__decay_summary" in tables:
            d = connection.sql("select * from model_drift__decay_summary").df().iloc[0]
            if pd.notna(d.periods_to_tolerance):
                interval = (f" ({d.periods_to_tolerance_low:.0f} to {d.periods_to_tolerance_high:.0f})"
                            if pd.notna(d.periods_to_tolerance_high) else "")
                when = (f"it loses {d.tolerance_in_metric_units:g} {d.metric_name} after "
                        f"{d.periods_to_tolerance:.0f} periods{interval}")
            else:
                when = (f"it does not lose {d.tolerance_in_metric_units:g} {d.metric_name} "
                        f"within {d.horizon_periods} periods")
            lines.append(f"Q1. How quickly does quality go down? Decay is {d.regime}: {when}; {d.reason}.")
        if "model_drift__learning_curve_fit" in tables:
            f = connection.sql("select * from model_drift__learning_curve_fit").df().iloc[0]
            if f.is_still_rising:
                lines.append(f"Q3. How much data does the model need? More than the {f.largest_rows_tried:,} "
                             "newest rows tried: quality is still rising.")
            else:
                lines.append(
                    f"Q3. How much data does the model need? About {f.rows_for_95pct:,.0f} rows for 95% of the plateau "
                    f"({f.plateau_quality:.3f} {f.metric_name}), {f.periods_for_95pct:.1f} periods of labels at the "
                    "recent rate."
                )
        if "model_drift__training_window_comparison" in tables:
            w = connection.sql(
                "select verdict, reason from model_drift__training_window_comparison limit 1").fetchall()[0]
            lines.append(f"Q4. Should you drop the old data? {w[0][0].upper() + w[0][1:]}: {w[1]}.")
    return lines


def format_arrival_answers(rows: list[tuple[str, str, str]]) -> str:
    """The Q2 answer as a short text block: overall, then one line per segment value."""
    lines = ["Q2. How often do you receive new data and labels?"]
    for segment_column, segment_value, answer in rows:
        label = "Overall" if segment_column == "all" else f"{segment_column} = {segment_value}"
        lines.append(f"  {label}: {answer}")
    return "\n".join(lines)

"""Synthetic prediction log for the benchmark, generated inside DuckDB.

`generate(path, rows, days=180, seed=0)` writes ONE parquet file. Every
pseudo-random number is a hash of (row number, seed, stream), so the file is
the same on every run and at any thread count, and DuckDB streams it from
`range(rows)` to `COPY ... TO` without holding the rows in memory (100M rows
take about 1 GB of RAM to write).

Columns (one row per scored event, in event-time order, as a log is):

| column | what |
|--------|------|
| event_id | 0..rows-1 |
| event_at | uniform over `days` days from 2024-01-01 00:00 |
| label_at | event_at + uniform 0..72 h; null for about 5% of rows (no label) |
| target | 0/1, about 25% positives; null when label_at is null |
| prediction | score in (0, 1), rounded to 4 decimals (ties); ROC AUC decays from about 0.81 to 0.66 over the span |
| num_1 | normal, correlated with the target |
| num_2 | lognormal |
| num_3 | uniform 0..100 |
| num_4 | normal whose mean drifts slowly (+1 std over the span) |
| num_5 | normal, 2% nulls |
| cat_1 | 5 categories, skewed, stable |
| cat_2 | 40 categories whose shares shift over the span |

Run as a script: `python benchmarks/generate.py OUT.parquet ROWS [--days D] [--seed S]`.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import time

import duckdb

START = "2024-01-01 00:00:00"


def _sql(path: str, rows: int, days: int, seed: int) -> str:
    span_us = days * 86_400_000_000
    return f"""
copy (
    with base as (
        select
            i as event_id,
            -- time position: row i sits uniformly inside its 1/rows slot of the span
            (i + u(i, 0)) / {rows} as t,
            sqrt(-2 * ln(u(i, 1))) * cos(2 * pi() * u(i, 2)) as signal,
            sqrt(-2 * ln(u(i, 3))) * cos(2 * pi() * u(i, 4)) as noise,
            u(i, 5) as u_label,
            u(i, 6) as u_missing,
            u(i, 7) as u_delay,
            sqrt(-2 * ln(u(i, 8))) * cos(2 * pi() * u(i, 9)) as z1,
            sqrt(-2 * ln(u(i, 10))) * cos(2 * pi() * u(i, 11)) as z2,
            u(i, 12) as u3,
            sqrt(-2 * ln(u(i, 13))) * cos(2 * pi() * u(i, 14)) as z4,
            sqrt(-2 * ln(u(i, 15))) * cos(2 * pi() * u(i, 16)) as z5,
            u(i, 17) as u_null5,
            u(i, 18) as u_cat1,
            u(i, 19) as u_cat2
        from range({rows}) as r(i)
    ),
    shaped as (
        select
            *,
            timestamp '{START}' + to_microseconds(cast(floor(t * {span_us}) as bigint)) as event_at,
            -- the truth: P(y = 1) = sigmoid(-1.4 + 1.6 * signal), about 25% positives
            u_label < 1 / (1 + exp(1.4 - 1.6 * signal)) as is_positive,
            -- the model sees less of the signal as time goes on
            (0.95 - 0.45 * t) as weight
        from base
    )
    select
        event_id,
        event_at,
        case when u_missing < 0.05 then null
             else event_at + to_microseconds(cast(floor(u_delay * 72 * 3600e6) as bigint)) end as label_at,
        case when u_missing < 0.05 then null else cast(is_positive as integer) end as target,
        greatest(0.0001, least(0.9999, round(
            1 / (1 + exp(1.4 - 1.6 * (weight * signal + sqrt(1 - weight * weight) * noise))), 4))) as prediction,
        0.6 * signal + 0.8 * z1 as num_1,
        exp(1 + 0.75 * z2) as num_2,
        100 * u3 as num_3,
        10 + 3 * t + 3 * z4 as num_4,
        case when u_null5 < 0.02 then null else 50 + 10 * z5 end as num_5,
        'c1_' || cast(cast(floor(5 * pow(u_cat1, 1.7)) as integer) as varchar) as cat_1,
        'c2_' || lpad(cast(cast(floor(40 * pow(u_cat2, 1 + 0.8 * t)) as integer) as varchar), 2, '0') as cat_2
    from shaped
) to '{path}' (format parquet, compression zstd, row_group_size 1000000)
"""


def generate(path: str | os.PathLike, rows: int, days: int = 180, seed: int = 0) -> pathlib.Path:
    """Write `rows` synthetic prediction-log rows to the parquet file `path`."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with duckdb.connect() as connection:
        connection.execute("set preserve_insertion_order = true")
        # uniform in (0, 1) from 53 bits of the hash of one integer that
        # encodes (seed, row, stream); DuckDB's multi-argument hash() gives
        # correlated streams, the one-argument hash does not
        connection.execute(
            "create macro u(i, k) as "
            f"(cast(hash({int(seed)} * 4398046511104 + i * 64 + k) >> 11 as double) + 0.5) / 9007199254740992.0"
        )
        connection.execute(_sql(str(partial).replace("'", "''"), int(rows), int(days), int(seed)))
    partial.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("rows", type=int)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.perf_counter()
    generate(args.out, args.rows, args.days, args.seed)
    print(f"wrote {args.rows:,} rows to {args.out} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()

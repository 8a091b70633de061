"""Hand-written DuckDB floor: every per-day metric in as few scans as we can.

Usage: `python floor_duckdb.py DATA.parquet [--out RESULTS.parquet]`.
Computes what benchmarks/metrics.py lists, with three queries that each read
only the columns they need:

1. the reference (the first 28 days; the file is in event order, so DuckDB
   skips the other row groups by their min/max): its numeric values, whose
   199 quantiles k/200 (numpy, linear like quantile_cont) hold the deciles
   too, and whose mean centres the moment sums below;
2. quality: positives and negatives per (day, distinct score), then one
   running sum per day gives the exact ROC AUC with ties (a positive scores
   1 for each negative below it and 1/2 for each tie); the confusion counts,
   log loss and Brier sums come from the same counts;
3. drift: one GROUP BY day over the features: centred sums for mean and
   standard deviation, exact quantiles, a 200-bin histogram per numeric
   feature on the reference edges (`histogram(x, edges)` is a binary search
   per value), the sums of the two tail bins, category counts.

What is left (180 days x a few hundred numbers) is finished in numpy: the
reference histograms are the sum of the reference days' histograms, and
PSI/JS use the deciles (20 fine bins each), KS the 199 edges, Wasserstein-1
trapezoids of |F_day - F_ref| between the edges plus the two tails from
their counts and sums.

Prints one line `BENCH_PHASES {json}` with the seconds of each step.
"""

from __future__ import annotations

import json
import math
import pathlib
import sys
import time

started = time.perf_counter()

import duckdb  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from metrics import (  # noqa: E402
    CATEGORICAL,
    EPS,
    FINE,
    MODEL,
    NUMERIC,
    REFERENCE_DAYS,
    THRESHOLD,
    chi2_statistic,
    contender_arguments,
    js_distance,
    psi,
)


def _list(values) -> str:
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


def compute(connection: duckdb.DuckDBPyConnection, data: str) -> tuple[list[tuple], dict]:
    phases = {}
    source = f"read_parquet('{data.replace(chr(39), chr(39) * 2)}')"

    t = time.perf_counter()
    first_day = connection.execute(f"select min(event_at)::date from {source}").fetchone()[0]
    # DuckDB's quantile_cont with 199 fractions selects once per fraction; one
    # numpy partition of the reference values (about 1/6 of the rows) is
    # faster and interpolates the same way (linear, (n - 1) * q)
    reference = connection.execute(
        f"select {', '.join(NUMERIC)} from {source} "
        f"where event_at < date '{first_day}' + interval {REFERENCE_DAYS} day"
    ).fetchnumpy()
    edges, shift = {}, {}
    for c in NUMERIC:
        values = reference[c]
        values = values.compressed() if np.ma.isMaskedArray(values) else np.asarray(values)
        values = values[~np.isnan(values)]
        edges[c] = np.quantile(values, FINE)
        shift[c] = float(values.mean())  # moments below are summed around it (stable, and faster than stddev)
    del reference
    for c, e in edges.items():
        # the histogram map is keyed by edge: tied quantiles would merge bins
        if len(np.unique(e)) != len(e):
            raise SystemExit(f"{c}: tied reference quantiles; the floor assumes continuous features")
    phases["reference"] = time.perf_counter() - t

    t = time.perf_counter()
    clipped = f"least(greatest(prediction, {EPS!r}), 1 - {EPS!r})"
    # quality: positives and negatives per (day, distinct score); everything,
    # the exact ROC AUC with ties included, follows from these counts
    quality_query = f"""
        with scores as (
            select event_at::date as day, prediction,
                   count(*) filter (target = 1) as pos,
                   count(*) filter (target = 0) as neg
            from {source}
            where target is not null
            group by all
        ),
        ranked as (
            select *, sum(neg) over (partition by day order by prediction
                                     rows between unbounded preceding and current row) - neg as neg_below
            from scores
        )
        select
            day,
            sum(pos + neg) as n_labelled,
            sum(pos) as positives,
            sum(pos + neg) filter (prediction >= {THRESHOLD}) as predicted_positives,
            sum(pos) filter (prediction >= {THRESHOLD}) as true_positives,
            sum(neg) filter (prediction < {THRESHOLD}) as true_negatives,
            sum(-pos * ln({clipped}) - neg * ln(1 - {clipped})) as log_loss_sum,
            sum(pos * (1 - prediction) * (1 - prediction) + neg * prediction * prediction) as brier_sum,
            sum(pos * (neg_below + neg / 2)) / (sum(pos) * sum(neg)) as roc_auc
        from ranked
        group by day
    """
    quality_rows = {}
    cursor = connection.execute(quality_query)
    names = [d[0] for d in cursor.description]
    for r in cursor.fetchall():
        quality_rows[r[0]] = dict(zip(names, r))
    phases["quality_scan"] = time.perf_counter() - t

    # drift: one GROUP BY day over the features
    t = time.perf_counter()
    per_numeric = []
    for c in NUMERIC:
        per_numeric += [
            f"count({c}) as {c}__count",
            f"sum({c} - {shift[c]!r}) as {c}__s1",
            f"sum(({c} - {shift[c]!r}) * ({c} - {shift[c]!r})) as {c}__s2",
            f"quantile_cont({c}, [0.05, 0.5, 0.95]) as {c}__q",
            f"sum({c}) filter ({c} <= {float(edges[c][0])!r}) as {c}__low_sum",
            f"sum({c}) filter ({c} > {float(edges[c][-1])!r}) as {c}__high_sum",
            f"histogram({c}, {_list(edges[c])}) as {c}__hist",
        ]
    per_categorical = [f"histogram({c}) as {c}__hist" for c in CATEGORICAL]
    query = f"""
        select
            event_at::date as day,
            count(*) as n_rows,
            {', '.join(per_numeric + per_categorical)}
        from {source}
        group by all
        order by day
    """
    cursor = connection.execute(query)
    names = [d[0] for d in cursor.description]
    days = [dict(zip(names, r)) for r in cursor.fetchall()]
    empty = {"n_labelled": 0, "positives": 0, "predicted_positives": 0, "true_positives": 0,
             "true_negatives": 0, "log_loss_sum": None, "brier_sum": None, "roc_auc": None}
    for d in days:
        d.update({k: v for k, v in quality_rows.get(d["day"], empty).items() if k != "day"})
    phases["drift_scan"] = time.perf_counter() - t

    t = time.perf_counter()
    out: list[tuple] = []
    reference_days = [d for d in days if (d["day"] - first_day).days < REFERENCE_DAYS]
    fine_ref, ref_tails = {}, {}
    for c in NUMERIC:
        fine_ref[c] = np.sum([_counts(d[f"{c}__hist"]) for d in reference_days], axis=0)
        ref_tails[c] = (
            sum(d[f"{c}__low_sum"] or 0.0 for d in reference_days),
            sum(d[f"{c}__high_sum"] or 0.0 for d in reference_days),
        )
    cat_ref = {}
    for c in CATEGORICAL:
        totals: dict[str, int] = {}
        for d in reference_days:
            for key, value in (d[f"{c}__hist"] or {}).items():
                totals[key] = totals.get(key, 0) + value
        cat_ref[c] = totals

    for d in days:
        day = d["day"]
        n, pos = d["n_labelled"], d["positives"] or 0
        tp, tn, pp = (d[k] or 0 for k in ("true_positives", "true_negatives", "predicted_positives"))
        precision = tp / pp if pp else 0.0
        recall = tp / pos if pos else 0.0
        quality = {
            "n_rows": d["n_rows"],
            "n_labelled": n,
            "accuracy": (tp + tn) / n if n else None,
            "precision": precision,
            "recall": recall,
            "f1": 2 * tp / (pp + pos) if pp + pos else 0.0,
            "roc_auc": d["roc_auc"],
            "log_loss": d["log_loss_sum"] / n if n else None,
            "brier": d["brier_sum"] / n if n else None,
            "positive_rate": pos / n if n else None,
            "predicted_positive_rate": pp / n if n else None,
        }
        out += [(day, MODEL, k, _float(v)) for k, v in quality.items()]

        for c in NUMERIC:
            fine = _counts(d[f"{c}__hist"])
            count = d[f"{c}__count"]
            q = d[f"{c}__q"] or [None, None, None]
            cur_dec, ref_dec = _deciles(fine), _deciles(fine_ref[c])
            cur_cdf = np.cumsum(fine)[:-1] / fine.sum() if count else None
            ref_cdf = np.cumsum(fine_ref[c])[:-1] / fine_ref[c].sum()
            values = {
                "count": count,
                "null_rate": 1 - count / d["n_rows"],
                "mean": shift[c] + d[f"{c}__s1"] / count if count else None,
                "std": (math.sqrt(max(d[f"{c}__s2"] - d[f"{c}__s1"] ** 2 / count, 0.0) / (count - 1))
                        if count > 1 else None),
                "p05": q[0],
                "p50": q[1],
                "p95": q[2],
                "psi": psi(ref_dec / ref_dec.sum(), cur_dec / cur_dec.sum()) if count else None,
                "js": js_distance(ref_dec, cur_dec) if count else None,
                "ks": float(np.abs(cur_cdf - ref_cdf).max()) if count else None,
                "wasserstein": _wasserstein(
                    edges[c], fine_ref[c], ref_tails[c], fine, (d[f"{c}__low_sum"] or 0.0, d[f"{c}__high_sum"] or 0.0),
                ) if count else None,
            }
            out += [(day, c, k, _float(v)) for k, v in values.items()]

        for c in CATEGORICAL:
            current = d[f"{c}__hist"] or {}
            keys = sorted(set(cat_ref[c]) | set(current))
            ref_counts = np.array([cat_ref[c].get(k, 0) for k in keys], dtype=float)
            cur_counts = np.array([current.get(k, 0) for k in keys], dtype=float)
            total = cur_counts.sum()
            out += [(day, c, f"share:{k}", float(v / total)) for k, v in zip(keys, cur_counts) if total]
            out += [
                (day, c, "psi", psi(ref_counts / ref_counts.sum(), cur_counts / total)),
                (day, c, "js", js_distance(ref_counts, cur_counts)),
                (day, c, "chi2", chi2_statistic(ref_counts, cur_counts)),
            ]
    phases["finish"] = time.perf_counter() - t
    return out, phases


def _counts(hist) -> np.ndarray:
    """The 200 bin counts from histogram(x, edges): a map from each edge to the
    count of values in (previous edge, edge], in edge order, plus an `inf`
    overflow bucket only when some value is above the last edge."""
    counts = np.zeros(len(FINE) + 1)
    if hist:
        values = list(hist.values())
        counts[: len(values)] = values
    return counts


def _deciles(fine: np.ndarray) -> np.ndarray:
    return fine.reshape(10, 20).sum(axis=1)


def _wasserstein(edges, ref_counts, ref_tail_sums, cur_counts, cur_tail_sums) -> float:
    """W1 = integral of |F_cur - F_ref|: trapezoids between the 199 edges, and
    the two tails exactly up to sign, from each tail's count and sum
    (integral of F below a = E[(a - X)+], of 1 - F above b = E[(X - b)+])."""
    ref_n, cur_n = ref_counts.sum(), cur_counts.sum()
    gap = np.abs(np.cumsum(cur_counts)[:-1] / cur_n - np.cumsum(ref_counts)[:-1] / ref_n)
    inner = np.sum(np.diff(edges) * (gap[:-1] + gap[1:]) / 2)
    low, high = edges[0], edges[-1]
    below = (cur_counts[0] * low - cur_tail_sums[0]) / cur_n - (ref_counts[0] * low - ref_tail_sums[0]) / ref_n
    above = (cur_tail_sums[1] - cur_counts[-1] * high) / cur_n - (ref_tail_sums[1] - ref_counts[-1] * high) / ref_n
    return float(inner + abs(below) + abs(above))


def _float(value):
    return None if value is None else float(value)


def main() -> None:
    args = contender_arguments()
    phases = {"import": time.perf_counter() - started}
    connection = duckdb.connect()
    rows, more = compute(connection, str(pathlib.Path(args.data).resolve()))
    phases.update(more)
    if args.out:
        import pandas as pd

        pd.DataFrame(rows, columns=["period", "feature", "metric", "value"]).to_parquet(args.out)
    print("BENCH_PHASES " + json.dumps({
        "phases": phases,
        "periods": len({r[0] for r in rows}),
        "versions": {"duckdb": duckdb.__version__},
    }))


if __name__ == "__main__":
    main()

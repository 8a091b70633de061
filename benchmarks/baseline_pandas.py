"""pandas + scikit-learn/scipy baseline: the per-day metrics the usual way.

Usage: `python baseline_pandas.py DATA.parquet [--out RESULTS.parquet]`.
Reads the whole file with pandas, groups by day and calls sklearn.metrics
(accuracy_score, precision_score, recall_score, f1_score, roc_auc_score,
log_loss, brier_score_loss), scipy.stats (ks_2samp, wasserstein_distance,
chi2_contingency), scipy.spatial.distance.jensenshannon and numpy for PSI,
against the reference = the first 28 days. Same outputs as the floor
(benchmarks/metrics.py), except that ks and wasserstein are exact here.

Prints `BENCH_PHASE name seconds` as each phase ends, then one line
`BENCH_PHASES {json}`; the phases:
import, load, quality, drift.
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

started = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import scipy  # noqa: E402
import sklearn  # noqa: E402
from scipy.spatial.distance import jensenshannon  # noqa: E402
from scipy.stats import chi2_contingency, ks_2samp, wasserstein_distance  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from metrics import (  # noqa: E402
    CATEGORICAL,
    DECILES,
    EPS,
    MODEL,
    NUMERIC,
    REFERENCE_DAYS,
    THRESHOLD,
    contender_arguments,
    psi,
    report_phase,
)


def quality(frame: pd.DataFrame) -> list[tuple]:
    out = []
    for day, rows in frame.groupby("day", sort=True):
        labelled = rows[rows["target"].notna()]
        y = labelled["target"].to_numpy(dtype=np.int64)
        p = labelled["prediction"].to_numpy(dtype=float)
        y_pred = (p >= THRESHOLD).astype(np.int64)
        both = len(np.unique(y)) == 2
        values = {
            "n_rows": len(rows),
            "n_labelled": len(labelled),
            "accuracy": accuracy_score(y, y_pred),
            "precision": precision_score(y, y_pred, zero_division=0),
            "recall": recall_score(y, y_pred, zero_division=0),
            "f1": f1_score(y, y_pred, zero_division=0),
            "roc_auc": roc_auc_score(y, p) if both else None,
            "log_loss": log_loss(y, np.clip(p, EPS, 1 - EPS), labels=[0, 1]),
            "brier": brier_score_loss(y, p, pos_label=1),
            "positive_rate": y.mean(),
            "predicted_positive_rate": y_pred.mean(),
        }
        out += [(day.date(), MODEL, k, None if v is None else float(v)) for k, v in values.items()]
    return out


def drift(frame: pd.DataFrame, reference: pd.DataFrame) -> list[tuple]:
    out = []
    ref_values = {c: reference[c].dropna().to_numpy() for c in NUMERIC}
    ref_edges = {c: np.quantile(ref_values[c], DECILES) for c in NUMERIC}
    ref_share = {
        c: np.bincount(np.searchsorted(ref_edges[c], ref_values[c], side="left"), minlength=10) / len(ref_values[c])
        for c in NUMERIC
    }
    ref_counts = {c: reference[c].value_counts() for c in CATEGORICAL}
    for day, rows in frame.groupby("day", sort=True):
        for c in NUMERIC:
            column = rows[c]
            values = column.dropna().to_numpy()
            q = np.quantile(values, [0.05, 0.5, 0.95]) if len(values) else [None] * 3
            share = (
                np.bincount(np.searchsorted(ref_edges[c], values, side="left"), minlength=10) / len(values)
                if len(values) else None
            )
            stats = {
                "count": len(values),
                "null_rate": column.isna().mean(),
                "mean": column.mean(),
                "std": column.std(),
                "p05": q[0],
                "p50": q[1],
                "p95": q[2],
                "psi": psi(ref_share[c], share) if share is not None else None,
                "js": jensenshannon(ref_share[c], share, base=2) if share is not None else None,
                "ks": ks_2samp(ref_values[c], values).statistic if len(values) else None,
                "wasserstein": wasserstein_distance(ref_values[c], values) if len(values) else None,
            }
            out += [(day.date(), c, k, None if v is None else float(v)) for k, v in stats.items()]
        for c in CATEGORICAL:
            counts = rows[c].value_counts()
            table = pd.concat([ref_counts[c], counts], axis=1, keys=["ref", "cur"]).fillna(0).sort_index()
            shares = table["cur"] / table["cur"].sum()
            out += [(day.date(), c, f"share:{k}", float(v)) for k, v in shares.items()]
            ref_share_c = table["ref"] / table["ref"].sum()
            out += [
                (day.date(), c, "psi", psi(ref_share_c.to_numpy(), shares.to_numpy())),
                (day.date(), c, "js", float(jensenshannon(table["ref"], table["cur"], base=2))),
                (day.date(), c, "chi2", float(chi2_contingency(table.T.to_numpy(), correction=False).statistic)),
            ]
    return out


def main() -> None:
    args = contender_arguments()
    phases = {"import": time.perf_counter() - started}
    report_phase(phases, "import")

    t = time.perf_counter()
    frame = pd.read_parquet(args.data, columns=["event_at", "target", "prediction", *NUMERIC, *CATEGORICAL])
    frame["day"] = frame["event_at"].dt.floor("D")
    reference = frame[frame["day"] < frame["day"].min() + pd.Timedelta(days=REFERENCE_DAYS)]
    phases["load"] = time.perf_counter() - t
    report_phase(phases, "load")

    t = time.perf_counter()
    rows = quality(frame)
    phases["quality"] = time.perf_counter() - t
    report_phase(phases, "quality")

    t = time.perf_counter()
    rows += drift(frame, reference)
    phases["drift"] = time.perf_counter() - t
    report_phase(phases, "drift")

    if args.out:
        pd.DataFrame(rows, columns=["period", "feature", "metric", "value"]).to_parquet(args.out)
    print("BENCH_PHASES " + json.dumps({
        "phases": phases,
        "periods": int(frame["day"].nunique()),
        "versions": {"pandas": pd.__version__, "scikit-learn": sklearn.__version__,
                     "scipy": scipy.__version__, "numpy": np.__version__},
    }))


if __name__ == "__main__":
    main()

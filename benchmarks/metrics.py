"""What every contender computes, written once so the outputs line up.

Output of the floor and the pandas baseline: one long table, a row per
(period, feature, metric, value). `feature` is `__model__` for the quality
metrics. Metrics:

- quality, per day over the labelled rows, prediction >= 0.5 is a positive:
  n_rows (all rows of the day), n_labelled, accuracy, precision, recall, f1
  (0 when undefined), roc_auc (exact, ties count half), log_loss (p clipped
  to [eps, 1 - eps], eps = 2.220446049250313e-16), brier, positive_rate,
  predicted_positive_rate;
- numeric feature, per day against the reference (the first 28 days):
  count (non-null), null_rate, mean, std (sample), p05, p50, p95 (linear
  interpolation), psi (reference deciles, shares floored at 1e-4), js
  (Jensen-Shannon distance, base 2, reference deciles), ks, wasserstein;
- categorical feature, per day: share:<category> (of non-null rows), psi,
  js (base 2), chi2 (statistic of the 2 x k contingency table reference vs
  day, no continuity correction).

ks and wasserstein are exact in the pandas baseline (scipy on the raw
values) and computed on 200 reference-quantile bins in the floor.
"""

from __future__ import annotations

import argparse

import numpy as np

EPS = 2.220446049250313e-16
PSI_FLOOR = 1e-4
REFERENCE_DAYS = 28
THRESHOLD = 0.5
NUMERIC = ["num_1", "num_2", "num_3", "num_4", "num_5"]
CATEGORICAL = ["cat_1", "cat_2"]
FEATURES = NUMERIC + CATEGORICAL
MODEL = "__model__"
DECILES = [k / 10 for k in range(1, 10)]
FINE = [k / 200 for k in range(1, 200)]  # includes every decile exactly (20/200 == 0.1, ...)


def psi(reference_share: np.ndarray, current_share: np.ndarray) -> float:
    r = np.maximum(np.asarray(reference_share, dtype=float), PSI_FLOOR)
    c = np.maximum(np.asarray(current_share, dtype=float), PSI_FLOOR)
    return float(np.sum((c - r) * np.log(c / r)))


def js_distance(reference_share: np.ndarray, current_share: np.ndarray) -> float:
    """Jensen-Shannon distance, base 2 (what scipy's jensenshannon(base=2) returns)."""
    r = np.asarray(reference_share, dtype=float)
    c = np.asarray(current_share, dtype=float)
    r, c = r / r.sum(), c / c.sum()
    m = (r + c) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_r = np.where(r > 0, r * np.log(r / m), 0.0).sum()
        kl_c = np.where(c > 0, c * np.log(c / m), 0.0).sum()
    return float(np.sqrt(max((kl_r + kl_c) / 2, 0.0) / np.log(2)))


def chi2_statistic(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    table = np.vstack([reference_counts, current_counts]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    return float(((table - expected) ** 2 / expected).sum())


def contender_arguments() -> argparse.Namespace:
    """Every contender's command line: `DATA.parquet [--out RESULTS.parquet]`."""
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--out")
    return parser.parse_args()


def report_phase(phases: dict, name: str) -> None:
    """One line per finished phase, so a run stopped at its time limit still tells."""
    print(f"BENCH_PHASE {name} {phases[name]:.6f}", flush=True)

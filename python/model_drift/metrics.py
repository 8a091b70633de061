"""The metrics the backtest scores with, by task, and which way is better."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
from sklearn import metrics as sk

from model_drift.errors import UserError

# The same lists as the dbt macro model_drift.decision_metrics() (macros/settings.sql),
# which validates var model_drift_metric; the first of each task is its default.
DEFAULT_METRIC = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "mae"}

HIGHER_IS_BETTER = {
    "roc_auc": True, "accuracy": True, "precision": True, "recall": True, "f1": True,
    "log_loss": False, "brier": False,
    "macro_f1": True, "weighted_f1": True,
    "mae": False, "rmse": False, "mape": False, "r2": True,
}

METRICS_BY_TASK = {
    "binary": ("roc_auc", "accuracy", "precision", "recall", "f1", "log_loss", "brier"),
    "multiclass": ("accuracy", "macro_f1", "weighted_f1"),
    "regression": ("mae", "rmse", "mape", "r2"),
}


# Why the staged target's type made the task what it is (var model_drift_task not set).
INFERRED_BECAUSE = {
    "binary": "the target holds 0/1 or true/false values",
    "multiclass": "the target holds text",
    "regression": "the target holds decimal numbers",
}
LIKELY_POSITIVE = ("yes", "y", "true", "t", "positive", "pos", "1")


def check_metric(task: str, metric: str | None, inferred_from: Sequence | None = None) -> str:
    """The metric that drives decisions: var model_drift_metric, or the task's
    default. The dbt macro model_drift.settings() already checked the metric
    against the task when var model_drift_task is set; `inferred_from` (the
    target's values) is given when the task was inferred from the target,
    so the error can say why, and what to set for a yes/no target."""
    if metric is None:
        return DEFAULT_METRIC[task]
    if metric in METRICS_BY_TASK[task]:
        return metric
    valid = ", ".join(METRICS_BY_TASK[task])
    if inferred_from is None:
        raise UserError(
            f"var model_drift_metric is '{metric}', which is not a {task} metric (var model_drift_task is {task}); "
            f"use one of {valid}, e.g. --vars '{{model_drift_metric: {DEFAULT_METRIC[task]}}}'"
        )
    fix = "set var model_drift_task to the task whose metric it is (binary, multiclass or regression)"
    values = inferred_from.dropna().unique() if hasattr(inferred_from, "dropna") else inferred_from
    classes = sorted({str(v) for v in values})
    if task == "multiclass" and metric in METRICS_BY_TASK["binary"]:
        positive = next((c for c in classes if c.lower() in LIKELY_POSITIVE), classes[-1] if classes else "yes")
        listed = f" (its values: {', '.join(classes)})" if len(classes) <= 5 else ""
        # quoted: unquoted, YAML reads yes/no/true/false as booleans
        fix = (f"for a yes/no target{listed} set var model_drift_task to binary and var model_drift_positive_class "
               f"to the value that means yes, e.g. --vars '{{model_drift_task: binary, model_drift_positive_class: "
               f"{json.dumps(positive)}}}'")
    raise UserError(
        f"var model_drift_metric is '{metric}', which is not a {task} metric, and var model_drift_task is not set, "
        f"so the task was inferred as {task} ({INFERRED_BECAUSE[task]}). Fix: {fix}; or set var model_drift_metric "
        f"to one of {valid}"
    )


def score_predictions(task: str, metric: str, y: np.ndarray, prediction: np.ndarray, threshold: float) -> float | None:
    """The metric on one evaluation period; None where it is undefined
    (a single class for AUC, no non-zero target for MAPE, fewer than 2 rows for R2).
    A binary score >= `threshold` (var model_drift_threshold) is a predicted positive."""
    if len(y) == 0:
        return None
    if task == "binary":
        y = y.astype(int)
        labels = prediction >= threshold
        if metric == "roc_auc":
            return float(sk.roc_auc_score(y, prediction)) if 0 < y.sum() < len(y) else None
        if metric == "log_loss":
            return float(sk.log_loss(y, prediction, labels=[0, 1]))
        if metric == "brier":
            return float(sk.brier_score_loss(y, prediction, labels=[0, 1]))
        if metric == "accuracy":
            return float(sk.accuracy_score(y, labels))
        scorer = {"precision": sk.precision_score, "recall": sk.recall_score, "f1": sk.f1_score}[metric]
        value = float(scorer(y, labels, zero_division=np.nan))
        return None if np.isnan(value) else value
    if task == "multiclass":
        if metric == "accuracy":
            return float(sk.accuracy_score(y, prediction))
        average = "macro" if metric == "macro_f1" else "weighted"
        return float(sk.f1_score(y, prediction, average=average, zero_division=0))
    error = prediction - y
    if metric == "mae":
        return float(np.mean(np.abs(error)))
    if metric == "rmse":
        return float(np.sqrt(np.mean(error * error)))
    if metric == "mape":
        nonzero = y != 0
        return float(np.mean(np.abs(error[nonzero] / y[nonzero]))) if nonzero.any() else None
    return float(sk.r2_score(y, prediction)) if len(y) >= 2 and np.var(y) > 0 else None


def score_groups(
    task: str, metric: str, y: np.ndarray, prediction: np.ndarray, groups: np.ndarray, group_count: int,
    threshold: float,
) -> list[float | None]:
    """`score_predictions` for every group at once (groups are codes 0..group_count-1).
    Vectorised for the common metrics, because the backtest scores every
    fit on every later period; the rest fall back to one call per group.
    Matches scikit-learn (tested)."""
    counts = np.bincount(groups, minlength=group_count).astype(float)
    nonempty = counts > 0

    def per_group(values: np.ndarray) -> np.ndarray:
        return np.bincount(groups, weights=values, minlength=group_count)

    def finish(values: np.ndarray, defined: np.ndarray) -> list[float | None]:
        return [float(v) if ok else None for v, ok in zip(values, defined & nonempty)]

    with np.errstate(divide="ignore", invalid="ignore"):
        if task == "binary":
            y = y.astype(float)
            positives = per_group(y)
            if metric == "roc_auc":
                return finish(_grouped_auc(y, prediction, groups, group_count, positives, counts),
                              (positives > 0) & (positives < counts))
            if metric == "log_loss":
                eps = np.finfo(float).eps
                p = np.clip(prediction, eps, 1 - eps)
                return finish(per_group(-(y * np.log(p) + (1 - y) * np.log(1 - p))) / counts, nonempty)
            if metric == "brier":
                return finish(per_group((prediction - y) ** 2) / counts, nonempty)
            if metric == "accuracy":
                return finish(per_group(((prediction >= threshold) == (y == 1)).astype(float)) / counts, nonempty)
        elif task == "regression":
            error = prediction - y
            if metric == "mae":
                return finish(per_group(np.abs(error)) / counts, nonempty)
            if metric == "rmse":
                return finish(np.sqrt(per_group(error * error) / counts), nonempty)
        elif task == "multiclass" and metric == "accuracy":
            return finish(per_group((prediction == y).astype(float)) / counts, nonempty)
    # precision, recall, f1, multiclass f1s, mape, r2: one call per group
    order = np.argsort(groups, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=group_count))])
    return [
        score_predictions(task, metric, y[order[bounds[g]:bounds[g + 1]]], prediction[order[bounds[g]:bounds[g + 1]]],
                          threshold)
        for g in range(group_count)
    ]


def _grouped_auc(y, prediction, groups, group_count, positives, counts) -> np.ndarray:
    """ROC AUC per group from the rank sum of its positives (Mann-Whitney),
    tied scores sharing their average rank."""
    order = np.lexsort((prediction, groups))
    g, p, t = groups[order], prediction[order], y[order]
    n = len(order)
    group_start = np.searchsorted(g, np.arange(group_count))
    rank_in_group = np.arange(n) - group_start[g] + 1.0
    # blocks of equal (group, score): every member gets the block's mean rank
    new_block = np.ones(n, dtype=bool)
    new_block[1:] = (g[1:] != g[:-1]) | (p[1:] != p[:-1])
    block = np.cumsum(new_block) - 1
    block_rank = np.bincount(block, weights=rank_in_group) / np.bincount(block)
    rank_sum = np.bincount(g, weights=t * block_rank[block], minlength=group_count)
    negatives = counts - positives
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)

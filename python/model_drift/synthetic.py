"""Synthetic histories whose true answer is known, to check the engine.

Each generator returns observations shaped like the cleaned table the
backtest reads (event_at, label_at, period_start, is_labelled, target and
features x1..x5), daily periods, and the truth it was built with.

Concept: P(y = 1 | x) = sigmoid(strength * (w_t . x) + offset) with x standard
normal and w_t a unit vector turning in the (x1, x2) plane by angle theta_t:
- gradual: theta_t = rate * t (radians per day);
- abrupt: theta jumps from 0 to `jump` at day `change_day`;
- none: theta_t = 0.
A model that knew w_c exactly, scored at age a, ranks by w_c . x while the
truth follows w_(c+a): its ROC AUC depends only on the angle between them,
which the generator measures on a large sample (``auc_at_angle``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

FEATURES = ("x1", "x2", "x3", "x4", "x5")
START = pd.Timestamp("2024-01-01")


@dataclasses.dataclass(frozen=True)
class DriftTruth:
    kind: str
    rate: float = 0.0  # radians per day (gradual)
    change_day: int | None = None  # abrupt
    jump: float = 0.0  # radians (abrupt)
    strength: float = 3.0

    def angle(self, day: np.ndarray) -> np.ndarray:
        day = np.asarray(day, dtype=float)
        if self.kind == "gradual":
            return self.rate * day
        if self.kind == "abrupt":
            return np.where(day >= self.change_day, self.jump, 0.0)
        return np.zeros_like(day)


def auc_at_angle(angle: float, strength: float = 3.0, rows: int = 400_000, seed: int = 12345) -> float:
    """ROC AUC of the score w . x when labels follow a direction `angle` away."""
    generator = np.random.default_rng(seed)
    x = generator.standard_normal((rows, 2))
    score = x[:, 0]
    truth_logit = strength * (np.cos(angle) * x[:, 0] + np.sin(angle) * x[:, 1])
    y = generator.random(rows) < 1 / (1 + np.exp(-truth_logit))
    return float(roc_auc_score(y, score))


def true_periods_to_tolerance(truth: DriftTruth, tolerance: float) -> float:
    """For gradual drift: the age (days) at which a model that knew the
    concept at its cutoff has lost `tolerance` ROC AUC, found by bisection
    on the measured AUC-by-angle curve."""
    fresh = auc_at_angle(0.0, truth.strength)
    low, high = 0.0, np.pi / 2
    for _ in range(40):
        middle = (low + high) / 2
        if fresh - auc_at_angle(middle, truth.strength) >= tolerance:
            high = middle
        else:
            low = middle
    return high / truth.rate


def drifting_classification(
    truth: DriftTruth,
    days: int = 240,
    rows_per_day: int = 600,
    label_delay_hours: float = 6.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Observations whose concept moves as `truth` says."""
    generator = np.random.default_rng(seed)
    n = days * rows_per_day
    day = np.repeat(np.arange(days), rows_per_day)
    x = generator.standard_normal((n, len(FEATURES)))
    theta = truth.angle(day)
    logit = truth.strength * (np.cos(theta) * x[:, 0] + np.sin(theta) * x[:, 1])
    y = (generator.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    seconds = pd.to_timedelta(generator.random(n) * 86_400, unit="s").floor("s")
    event_at = START + pd.to_timedelta(day, unit="D") + seconds
    frame = pd.DataFrame(x, columns=list(FEATURES))
    frame.insert(0, "event_at", event_at)
    frame.insert(1, "label_at", event_at + pd.Timedelta(hours=label_delay_hours))
    frame.insert(2, "period_start", START + pd.to_timedelta(day, unit="D"))
    frame.insert(3, "is_labelled", True)
    frame.insert(4, "target", y)
    return frame


def learning_problem(rows: int, seed: int = 0, noise: float = 0.1) -> pd.DataFrame:
    """A stationary, non-linear problem where more rows keep helping for a
    while: y = 1 when a ring-and-slope rule holds, labels flipped with
    probability `noise`. Shaped like drifting_classification's output, over
    as many days as needed for 400 rows a day."""
    generator = np.random.default_rng(seed)
    x = generator.standard_normal((rows, len(FEATURES)))
    rule = (x[:, 0] ** 2 + x[:, 1] ** 2 < 1.4) ^ (x[:, 2] + 0.5 * x[:, 3] * x[:, 4] > 0.3)
    y = (rule ^ (generator.random(rows) < noise)).astype(int)
    day = np.arange(rows) // 400
    event_at = START + pd.to_timedelta(day, unit="D") + pd.to_timedelta(np.arange(rows) % 400 * 200, unit="s")
    frame = pd.DataFrame(x, columns=list(FEATURES))
    frame.insert(0, "event_at", event_at)
    frame.insert(1, "label_at", event_at + pd.Timedelta(hours=1))
    frame.insert(2, "period_start", START + pd.to_timedelta(day, unit="D"))
    frame.insert(3, "is_labelled", True)
    frame.insert(4, "target", y)
    return frame


def _draw(truth: DriftTruth, days: np.ndarray, generator: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    x = generator.standard_normal((len(days), len(FEATURES)))
    theta = truth.angle(days)
    logit = truth.strength * (np.cos(theta) * x[:, 0] + np.sin(theta) * x[:, 1])
    y = (generator.random(len(days)) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(x, columns=list(FEATURES)), y


def measured_decay(
    truth: DriftTruth,
    window_days: int,
    rows_per_day: int,
    max_age: int,
    estimator: str = "hist_gradient_boosting",
    repeats: int = 3,
    eval_rows: int = 20_000,
    seed: int = 7,
) -> pd.Series:
    """The true expected quality by model age of the engine's kind of model:
    trained on `window_days` days of `rows_per_day` rows before a cutoff,
    then scored on fresh, large samples drawn at each age (the generator
    knows the concept at every day, so evaluation noise is negligible)."""
    from model_drift.estimators import resolve_estimator

    generator = np.random.default_rng(seed)
    curves = []
    for repeat in range(repeats):
        cutoff = 60 + 17 * repeat  # drift is the same at every cutoff; vary it anyway
        train_days = np.repeat(np.arange(cutoff - window_days, cutoff), rows_per_day)
        x, y = _draw(truth, train_days, generator)
        model = resolve_estimator(estimator)("binary", [], list(FEATURES), seed + repeat)
        model.fit(x, y)
        qualities = []
        for age in range(max_age + 1):
            x_eval, y_eval = _draw(truth, np.full(eval_rows, cutoff + age), generator)
            qualities.append(roc_auc_score(y_eval, model.predict_proba(x_eval)[:, 1]))
        curves.append(qualities)
    return pd.Series(np.mean(curves, axis=0), index=pd.RangeIndex(max_age + 1, name="model_age_periods"))


def measured_periods_to_tolerance(curve: pd.Series, tolerance: float, fresh_periods: int) -> float | None:
    """First age at which `curve` (from measured_decay) is `tolerance` below
    its fresh quality (mean over ages < fresh_periods), interpolated."""
    loss = curve.iloc[:fresh_periods].mean() - curve.to_numpy()
    above = np.flatnonzero(loss >= tolerance)
    if len(above) == 0:
        return None
    i = above[0]
    if i == 0:
        return 0.0
    return float(i - 1 + (tolerance - loss[i - 1]) / (loss[i] - loss[i - 1]))


def measured_learning_curve(
    sizes: tuple[int, ...],
    estimator: str = "hist_gradient_boosting",
    repeats: int = 3,
    eval_rows: int = 50_000,
    seed: int = 11,
) -> pd.Series:
    """The true learning curve of `learning_problem`: ROC AUC on a large
    fresh sample of models trained on n fresh rows, averaged over repeats."""
    from model_drift.estimators import resolve_estimator

    evaluation = learning_problem(eval_rows, seed=seed + 1000)
    qualities = {}
    for n in sizes:
        scores = []
        for repeat in range(repeats):
            train = learning_problem(n, seed=seed + 17 * repeat + n)
            model = resolve_estimator(estimator)("binary", [], list(FEATURES), repeat)
            model.fit(train[list(FEATURES)], train["target"])
            scores.append(roc_auc_score(evaluation["target"], model.predict_proba(evaluation[list(FEATURES)])[:, 1]))
        qualities[n] = float(np.mean(scores))
    return pd.Series(qualities, name="quality").rename_axis("train_rows")


def rows_for_share(curve: pd.Series, plateau: float, baseline: float, share: float) -> float | None:
    """Rows at which `curve` first gains `share` of the way from baseline to
    plateau, interpolated in log rows."""
    target = baseline + share * (plateau - baseline)
    sizes, values = np.asarray(curve.index, dtype=float), curve.to_numpy()
    above = np.flatnonzero(values >= target)
    if len(above) == 0:
        return None
    i = above[0]
    if i == 0:
        return float(sizes[0])
    fraction = (target - values[i - 1]) / (values[i] - values[i - 1])
    return float(np.exp(np.log(sizes[i - 1]) + fraction * (np.log(sizes[i]) - np.log(sizes[i - 1]))))

"""Curves fitted to the backtest scores: decay (Q1), learning (Q3) and the
training-window comparison (Q4). Pure functions of ``backtest_scores``."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
from scipy.optimize import OptimizeWarning, curve_fit

from model_drift.metrics import HIGHER_IS_BETTER

# --- curve families: quality as a function of x (model age, or rows) -------


def _constant(x, level):
    return np.full_like(x, level, dtype=float)


def _linear(x, level, rate):
    return level - rate * x


def _exponential(x, level, floor_gap, scale):
    """Starts at `level`, approaches `level - floor_gap` with time constant `scale`."""
    return level - floor_gap * (1 - np.exp(-x / scale))


def _logarithmic(x, level, rate):
    return level - rate * np.log1p(x)


def _power(x, level, rate, exponent):
    """Loss grows as age ** exponent: slow then fast (exponent > 1) or the reverse."""
    return level - rate * np.power(x, exponent)


DECAY_FAMILIES = {
    "constant": (_constant, 1),
    "linear": (_linear, 2),
    "exponential": (_exponential, 3),
    "logarithmic": (_logarithmic, 2),
    "power": (_power, 3),
}


def _oriented(values: np.ndarray, metric: str) -> np.ndarray:
    """Values turned so that higher is better (losses are negated)."""
    return values if HIGHER_IS_BETTER[metric] else -values


@dataclasses.dataclass
class CurveFit:
    family: str
    parameters: tuple[float, ...]
    aicc: float
    rmse: float
    r2: float | None

    def predict(self, x: np.ndarray) -> np.ndarray:
        function, _ = {**DECAY_FAMILIES, **LEARNING_FAMILIES}[self.family]
        return function(np.asarray(x, dtype=float), *self.parameters)


def _aicc(rss: float, n: int, k: int) -> float:
    rss = max(rss, 1e-300)
    aic = n * math.log(rss / n) + 2 * k
    return aic + (2 * k * (k + 1) / (n - k - 1) if n - k - 1 > 0 else math.inf)


def _fit_family(name, function, k, x, y, weights, p0, bounds) -> CurveFit | None:
    if len(x) < k + 2:  # AICc needs more points than parameters + 1
        return None
    sigma = 1 / np.sqrt(weights)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            parameters, _ = curve_fit(function, x, y, p0=p0, sigma=sigma, bounds=bounds, maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    fitted = function(x, *parameters)
    rss = float(np.sum(weights * (y - fitted) ** 2) / np.mean(weights))
    total = float(np.sum(weights * (y - np.average(y, weights=weights)) ** 2) / np.mean(weights))
    return CurveFit(
        name, tuple(float(p) for p in parameters), _aicc(rss, len(x), k),
        math.sqrt(rss / len(x)), (1 - rss / total) if total > 0 else None,
    )


def fit_decay_families(ages: np.ndarray, quality: np.ndarray, weights: np.ndarray) -> dict[str, CurveFit]:
    """Every decay family fitted to (age, quality) by weighted least squares."""
    ages, quality, weights = (np.asarray(v, dtype=float) for v in (ages, quality, weights))
    start = float(quality[: max(1, len(quality) // 5)].mean())
    spread = float(np.ptp(quality)) or 1e-3
    span = float(ages.max()) or 1.0
    fits = {
        "constant": _fit_family("constant", _constant, 1, ages, quality, weights, [quality.mean()], (-np.inf, np.inf)),
        "linear": _fit_family("linear", _linear, 2, ages, quality, weights, [start, 0.0], (-np.inf, np.inf)),
        "exponential": _fit_family(
            "exponential", _exponential, 3, ages, quality, weights,
            [start, spread, span / 3], ([-np.inf, -np.inf, span / 1000], [np.inf, np.inf, span * 100]),
        ),
        "logarithmic": _fit_family("logarithmic", _logarithmic, 2, ages, quality, weights, [start, 0.0],
                                   (-np.inf, np.inf)),
        "power": _fit_family(
            "power", _power, 3, ages, quality, weights,
            [start, spread / span, 1.0], ([-np.inf, -np.inf, 0.2], [np.inf, np.inf, 4.0]),
        ),
    }
    return {name: fit for name, fit in fits.items() if fit is not None}


def crossing_age(fit: CurveFit, tolerance: float, horizon: float) -> float | None:
    """The first age at which the expected quality is `tolerance` below the
    age-0 quality, searched up to `horizon` (None: not within it)."""
    ages = np.linspace(0, horizon, 2001)
    curve = fit.predict(ages)
    below = np.flatnonzero(curve[0] - curve >= tolerance)
    if len(below) == 0:
        return None
    i = below[0]
    if i == 0:
        return 0.0
    # linear interpolation between the two grid points around the crossing
    a0, a1, l0, l1 = ages[i - 1], ages[i], curve[0] - curve[i - 1], curve[0] - curve[i]
    return float(a0 + (tolerance - l0) * (a1 - a0) / (l1 - l0)) if l1 != l0 else float(a1)


# --- learning curve -----------------------------------------------------------


def _inverse_power(n, plateau, gap, exponent):
    """Quality with n rows: approaches `plateau` as gap * n ** -exponent vanishes."""
    return plateau - gap * np.power(n, -exponent)


LEARNING_FAMILIES = {"inverse_power": (_inverse_power, 3)}


def fit_learning_curve(
    rows: np.ndarray, quality: np.ndarray, weights: np.ndarray, ceiling: float = np.inf
) -> CurveFit | None:
    """Inverse power law through (rows, quality); the plateau stays between
    the best quality seen and `ceiling` (1 for AUC, accuracy, F1, R2)."""
    rows, quality, weights = (np.asarray(v, dtype=float) for v in (rows, quality, weights))
    if len(np.unique(rows)) < 3:
        return None
    top = float(quality.max())
    spread = float(np.ptp(quality)) or 1e-3
    upper = max(ceiling, top + 1e-9)
    return _fit_family(
        "inverse_power", _inverse_power, 3, rows, quality, weights,
        [min(top + spread * 0.1, upper), spread * float(rows.min()) ** 0.5, 0.5],
        ([top - 1e-9, 0.0, 0.05], [upper, np.inf, 3.0]),
    )


def rows_for_share_of_plateau(fit: CurveFit, baseline: float, share: float) -> float | None:
    """Rows at which the curve has gained `share` of the way from `baseline`
    (chance quality) to its plateau: solves plateau - gap n^-c = baseline + share (plateau - baseline)."""
    plateau, gap, exponent = fit.parameters
    remaining = (1 - share) * (plateau - baseline)
    if remaining <= 0 or gap <= 0:
        return None
    return float((gap / remaining) ** (1 / exponent))

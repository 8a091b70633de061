"""The one backtest engine behind Q1 (decay), Q3 (learning curve), Q4
(training windows) and Q5 (retraining policy).

For each cutoff t (a period start) and training spec s (all history, a window
of w periods, or the n most recent rows), the estimator is fitted once on the
rows whose label was known before t, then scores every later period. The
result is one tidy table (``backtest_scores``); every question reads it, and
no model is fitted twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config

from model_drift.estimators import resolve_estimator
from model_drift.metrics import score_groups

LOG = logging.getLogger("model_drift.backtest")

PERIOD_OFFSETS = {
    "hour": pd.Timedelta(hours=1),
    "day": pd.Timedelta(days=1),
    "week": pd.Timedelta(weeks=1),
    "month": pd.DateOffset(months=1),
}

SCORE_COLUMNS = [
    "fit_id", "cutoff_number", "cutoff_at", "spec_name", "spec_kind", "spec_size",
    "train_rows", "train_first_event_at", "eval_period_start", "model_age_periods",
    "metric_name", "metric_value", "eval_rows",
]


class InsufficientHistory(ValueError):
    """The data is too short for the requested grid; the message says how much is needed."""


@dataclasses.dataclass(frozen=True)
class TrainingSpec:
    """What a model at a cutoff is trained on."""

    kind: str  # "all" | "window" (periods) | "rows" (most recent rows)
    size: int | None = None

    @property
    def name(self) -> str:
        return "all" if self.kind == "all" else f"{self.kind}_{self.size}"


@dataclasses.dataclass(frozen=True)
class BacktestConfig:
    """Every setting of the grid. In dbt these come from model_drift_* vars."""

    task: str
    metric: str
    period: str
    categorical: tuple[str, ...]
    numeric: tuple[str, ...]
    cutoff_count: int = 8
    window_periods: tuple[int, ...] = (7, 28, 91)
    row_counts: tuple[int, ...] = (250, 500, 1000, 2000, 4000, 8000, 16000)
    learning_curve_ages: int = 7  # row-count specs are scored on ages 0 .. this - 1
    max_rows_per_fit: int = 20000
    min_train_rows: int = 200
    estimator: str = "hist_gradient_boosting"
    seed: int = 0
    n_jobs: int = -1

    def specs(self) -> list[TrainingSpec]:
        return (
            [TrainingSpec("all")]
            + [TrainingSpec("window", w) for w in sorted(set(self.window_periods))]
            + [TrainingSpec("rows", n) for n in sorted(set(self.row_counts)) if n <= self.max_rows_per_fit]
        )


@dataclasses.dataclass
class PlannedFit:
    fit_id: int
    cutoff_number: int
    cutoff_at: pd.Timestamp
    specs: list[TrainingSpec]  # every spec whose training rows are these (fitted once)
    train_index: np.ndarray
    max_age: int | None  # None: score every later period


def _training_eligible(frame: pd.DataFrame, cutoff: pd.Timestamp) -> np.ndarray:
    """Rows a model trained at `cutoff` may learn from: labelled, with the label
    known before the cutoff (label time, or event time when no label time is known)."""
    known_at = frame["label_at"].fillna(frame["event_at"])
    return np.flatnonzero((frame["is_labelled"].to_numpy()) & (known_at < cutoff).to_numpy())


def _spec_rows(frame: pd.DataFrame, eligible: np.ndarray, spec: TrainingSpec, cutoff: pd.Timestamp, period: str) -> np.ndarray:
    if spec.kind == "all":
        return eligible
    events = frame["event_at"].to_numpy()[eligible]
    if spec.kind == "window":
        start = cutoff - spec.size * PERIOD_OFFSETS[period]
        return eligible[events >= np.datetime64(start)]
    # the newest n rows before the cutoff: a stable sort keeps ties in row order
    order = np.argsort(events, kind="stable")
    return np.sort(eligible[order[-spec.size:]]) if len(order) >= spec.size else np.array([], dtype=int)


def _sample(rows: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """At most `limit` rows, a seeded sample that depends only on the rows themselves."""
    if len(rows) <= limit:
        return rows
    digest = int.from_bytes(hashlib.sha256(rows.tobytes()).digest()[:8], "little")
    generator = np.random.default_rng([seed, digest])
    return np.sort(generator.choice(rows, size=limit, replace=False))


def choose_cutoffs(frame: pd.DataFrame, config: BacktestConfig) -> list[pd.Timestamp]:
    """`cutoff_count` period starts, evenly spread from the first period with
    enough labelled history to the last one that still has a later period."""
    periods = np.sort(frame["period_start"].unique())
    if len(periods) < 2:
        raise InsufficientHistory(
            f"the backtest needs at least 2 periods of data; there is {len(periods)} "
            f"{config.period}. Collect more history, or use a shorter model_drift_period"
        )
    known_at = frame["label_at"].fillna(frame["event_at"])[frame["is_labelled"]].sort_values().to_numpy()
    usable = [
        p for p in periods[1:]
        if np.searchsorted(known_at, p, side="left") >= config.min_train_rows
    ]
    if not usable:
        raise InsufficientHistory(
            f"no cutoff has {config.min_train_rows} labelled rows before it (there are {len(known_at)} "
            f"labelled rows in all). Collect more labelled history, or lower model_drift_backtest_min_train_rows"
        )
    if len(usable) < min(config.cutoff_count, 2):
        raise InsufficientHistory(
            f"only {len(usable)} period(s) have {config.min_train_rows} labelled rows before them and a period "
            f"after; the backtest needs at least 2. Collect more history"
        )
    positions = np.unique(np.round(np.linspace(0, len(usable) - 1, min(config.cutoff_count, len(usable)))).astype(int))
    return [pd.Timestamp(usable[i]) for i in positions]


def plan_backtest(frame: pd.DataFrame, config: BacktestConfig) -> list[PlannedFit]:
    """Every fit the grid needs, with identical training sets merged into one fit."""
    fits: list[PlannedFit] = []
    for cutoff_number, cutoff in enumerate(choose_cutoffs(frame, config), start=1):
        eligible = _training_eligible(frame, cutoff)
        by_rows: dict[bytes, PlannedFit] = {}
        for spec in config.specs():
            rows = _spec_rows(frame, eligible, spec, cutoff, config.period)
            if len(rows) < config.min_train_rows:
                continue
            rows = _sample(rows, config.max_rows_per_fit, config.seed)
            key = hashlib.sha256(rows.tobytes()).digest()
            max_age = config.learning_curve_ages if spec.kind == "rows" else None
            if key in by_rows:
                fit = by_rows[key]
                fit.specs.append(spec)
                fit.max_age = None if fit.max_age is None or max_age is None else max(fit.max_age, max_age)
                continue
            fit = PlannedFit(len(fits) + 1, cutoff_number, cutoff, [spec], rows, max_age)
            by_rows[key] = fit
            fits.append(fit)
    return fits


def _run_fit(
    fit: PlannedFit,
    X: np.ndarray,  # noqa: N803 - every feature as floats, all rows (memory-mapped into workers)
    y: np.ndarray,
    eval_index: np.ndarray,
    eval_periods: np.ndarray,
    eval_ages: np.ndarray,
    train_first_event_at: pd.Timestamp,
    config: BacktestConfig,
) -> tuple[list[dict], float, float]:
    """Fit once, score each later period; returns rows and (fit, predict) seconds."""
    features = list(config.categorical) + list(config.numeric)
    train = pd.DataFrame(X[fit.train_index], columns=features)
    evaluation = pd.DataFrame(X[eval_index], columns=features)
    # a number column with no value in the training rows carries no
    # information; as a constant it cannot break an estimator's binning
    empty = [name for name in config.numeric if train[name].isna().all()]
    train[empty] = 0.0
    evaluation[empty] = 0.0
    model = resolve_estimator(config.estimator)(
        config.task, list(config.categorical), list(config.numeric), config.seed + fit.cutoff_number
    )
    started = time.perf_counter()
    model.fit(train, y[fit.train_index])
    fitted = time.perf_counter()
    if config.task != "binary":
        predictions = model.predict(evaluation)
    elif 1 in model.classes_:
        predictions = model.predict_proba(evaluation)[:, list(model.classes_).index(1)]
    else:  # every training label was 0
        predictions = np.zeros(len(eval_index))
    predicted = time.perf_counter()
    # one group per evaluation period (its age follows from the period)
    period_keys, groups = np.unique(eval_periods, return_inverse=True)
    values = score_groups(config.task, config.metric, y[eval_index], predictions, groups, len(period_keys))
    sizes = np.bincount(groups, minlength=len(period_keys))
    first_row = np.unique(groups, return_index=True)[1]
    rows = []
    for period_start, age, value, size in zip(period_keys, eval_ages[first_row], values, sizes):
        for spec in fit.specs:
            if spec.kind == "rows" and age >= config.learning_curve_ages:
                continue
            rows.append({
                "fit_id": fit.fit_id,
                "cutoff_number": fit.cutoff_number,
                "cutoff_at": fit.cutoff_at,
                "spec_name": spec.name,
                "spec_kind": spec.kind,
                "spec_size": spec.size,
                "train_rows": len(fit.train_index),
                "train_first_event_at": train_first_event_at,
                "eval_period_start": pd.Timestamp(period_start),
                "model_age_periods": int(age),
                "metric_name": config.metric,
                "metric_value": value,
                "eval_rows": int(size),
            })
    return rows, fitted - started, predicted - fitted


def evaluation_rows(
    fit: PlannedFit, periods: np.ndarray, period_numbers: np.ndarray, labelled: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The labelled rows a fit scores (its cutoff's period and later, up to
    its max age) and every row's age in periods since that cutoff."""
    ages = period_numbers - int(np.searchsorted(periods, np.datetime64(fit.cutoff_at)))
    keep = labelled & (ages >= 0)
    if fit.max_age is not None:
        keep &= ages < fit.max_age
    return np.flatnonzero(keep), ages


def canonical_order(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows in an order fixed by their content (event time, then a hash of
    the whole row), so that samples, the newest-n rows and ties do not depend
    on the order a warehouse happens to return them in."""
    content = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    order = np.lexsort((content, frame["event_at"].to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


@dataclasses.dataclass
class BacktestResult:
    scores: pd.DataFrame
    fit_count: int
    fit_seconds: float  # summed over fits: the raw cost of fitting
    predict_seconds: float
    wall_seconds: float


def run_backtest(
    frame: pd.DataFrame,
    config: BacktestConfig,
    log: Callable[[str], None] | None = None,
) -> BacktestResult:
    """Run the grid on `frame` (columns event_at, label_at, period_start,
    is_labelled, target and the features) and return the tidy scores."""
    log = log or LOG.info
    started = time.perf_counter()
    frame = canonical_order(frame)
    periods = np.sort(frame["period_start"].unique())
    period_numbers = np.searchsorted(periods, frame["period_start"].to_numpy())
    fits = plan_backtest(frame, config)
    spec_count = sum(len(f.specs) for f in fits)
    log(
        f"backtest: {len(fits)} fits ({spec_count} cutoff x spec pairs, identical training sets fitted once) "
        f"of {config.estimator} on at most {config.max_rows_per_fit} rows each"
    )

    features = list(config.categorical) + list(config.numeric)
    X = frame[features].to_numpy(dtype=float)  # noqa: N806
    y = frame["target"].to_numpy()
    events = frame["event_at"].to_numpy()
    labelled = frame["is_labelled"].to_numpy()
    period_values = frame["period_start"].to_numpy()

    def jobs():
        for fit in fits:
            eval_index, ages = evaluation_rows(fit, periods, period_numbers, labelled)
            yield delayed(_run_fit)(
                fit, X, y, eval_index, period_values[eval_index], ages[eval_index],
                pd.Timestamp(events[fit.train_index].min()), config,
            )

    rows: list[dict] = []
    fit_seconds = predict_seconds = 0.0
    # one thread per worker: the workers are the parallelism, not the trees
    with parallel_config(backend="loky", inner_max_num_threads=1):
        outputs = Parallel(n_jobs=config.n_jobs, return_as="generator")(jobs())
        for done, (fit_rows, fit_time, predict_time) in enumerate(outputs, start=1):
            rows.extend(fit_rows)
            fit_seconds += fit_time
            predict_seconds += predict_time
            if done % max(1, len(fits) // 10) == 0 or done == len(fits):
                log(f"backtest: {done}/{len(fits)} fits done ({time.perf_counter() - started:.1f} s)")
    scores = pd.DataFrame(rows, columns=SCORE_COLUMNS).sort_values(
        ["cutoff_number", "spec_kind", "spec_size", "eval_period_start"], na_position="first", kind="stable"
    ).reset_index(drop=True)
    return BacktestResult(scores, len(fits), fit_seconds, predict_seconds, time.perf_counter() - started)


# HistGradientBoosting takes at most 255 category codes per feature; rarer
# categories share one code.
MAX_CATEGORY_CODES = 250


def encode_features(
    frame: pd.DataFrame,
    features: Sequence[str],
) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """The frame with every feature as floats, once for the whole backtest:
    numbers as they are, text and booleans as category codes (most frequent
    first, the rarest pooled in one code, missing as NaN). Codes carry no
    label information, so coding on all rows leaks nothing; a category first
    seen after a cutoff is simply one its model never trained on."""
    categorical, numeric = [], []
    encoded = {}
    for name in features:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            text = column.astype("string")
            counts = text.value_counts()
            # most frequent first, ties by value: the codes do not depend on row order
            ranked = sorted(counts.index, key=lambda value: (-counts[value], value))[:MAX_CATEGORY_CODES]
            codes = pd.Series(np.arange(len(ranked), dtype=float), index=ranked)
            encoded[name] = text.map(codes).astype(float).where(text.notna(), np.nan)
            encoded[name] = encoded[name].fillna(float(len(ranked))).where(text.notna(), np.nan)
            categorical.append(name)
        else:
            encoded[name] = column.astype(float)
            numeric.append(name)
    out = frame.drop(columns=list(features)).assign(**encoded)
    return out, tuple(categorical), tuple(numeric)

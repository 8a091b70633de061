"""The one backtest engine behind Q1 (decay), Q3 (learning curve), Q4
(training windows) and Q5 (retraining policy).

Two sets of fits, one tidy table (``backtest_scores``), no model fitted twice:

- the replay grid: all history and every window, fitted at every ``step``-th
  period of the replay region (the newest part of the history) on the rows
  whose label was known before that period, each scoring every later
  period. Any policy "retrain every k periods on spec s" (k a multiple of the
  step), from any start, is then a lookup in this fit x period grid
  (``replay.py``); Q1, Q4 and Q5 all read it.
- the learning fits: the n newest rows at a few cutoffs spread over the
  history, scored on their first periods (Q3).
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

from model_drift.errors import UserError
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


# a learning-curve size below this is too small to fit anything meaningful
MIN_LEARNING_ROWS = 20


class InsufficientHistory(UserError):
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
    """Every setting of the grid. In dbt these come from model_drift_* vars
    (model_drift.pipeline.backtest_config); none has a default here, so the
    package's defaults live in its dbt_project.yml only."""

    task: str
    metric: str
    threshold: float  # binary: a score >= this is a predicted positive (var model_drift_threshold)
    period: str
    categorical: tuple[str, ...]
    numeric: tuple[str, ...]
    cutoff_count: int  # learning-curve cutoffs (var model_drift_backtest_cutoffs)
    window_periods: tuple[int, ...]  # model_drift_backtest_window_periods
    row_counts: tuple[int, ...]  # learning-curve sizes, model_drift_backtest_row_counts
    learning_curve_ages: int  # row-count specs are scored on ages 0 .. this - 1
    max_rows_per_fit: int  # all-history and window fits are sampled down to this
    min_train_rows: int
    max_replay_fits: int  # the replay grid's budget: the fit step grows to stay within it
    max_eval_rows_per_period: int  # a fit scores at most this many labelled rows of a period (seeded sample)
    estimator: str
    seed: int
    n_jobs: int
    replay_share: float = 0.5  # the newest share of the periods that the replay grid covers (not a var)

    def replay_specs(self) -> list[TrainingSpec]:
        return [TrainingSpec("all")] + [TrainingSpec("window", w) for w in sorted(set(self.window_periods))]

    def learning_specs(self) -> list[TrainingSpec]:
        return [TrainingSpec("rows", n) for n in sorted(set(self.row_counts))]


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


def _newest(frame: pd.DataFrame, eligible: np.ndarray, n: int) -> np.ndarray:
    """The n newest eligible rows (a stable sort keeps ties in row order)."""
    order = np.argsort(frame["event_at"].to_numpy()[eligible], kind="stable")
    return np.sort(eligible[order[-n:]]) if len(order) >= n else np.array([], dtype=int)


def _spec_rows(frame: pd.DataFrame, eligible: np.ndarray, spec: TrainingSpec, cutoff: pd.Timestamp,
               config: BacktestConfig) -> np.ndarray:
    if spec.kind == "all":
        return eligible
    if spec.kind == "rows":
        return _newest(frame, eligible, spec.size)
    start = cutoff - spec.size * PERIOD_OFFSETS[config.period]
    rows = eligible[frame["event_at"].to_numpy()[eligible] >= np.datetime64(start)]
    # a window too short to train on is still compared: as its newest
    # min_train_rows rows (train_first_event_at shows how far back that reached)
    return rows if len(rows) >= config.min_train_rows else _newest(frame, eligible, config.min_train_rows)


def _sample(rows: np.ndarray, limit: int, seed: int) -> np.ndarray:
    """At most `limit` rows, a seeded sample that depends only on the rows themselves."""
    if len(rows) <= limit:
        return rows
    digest = int.from_bytes(hashlib.sha256(rows.tobytes()).digest()[:8], "little")
    generator = np.random.default_rng([seed, digest])
    return np.sort(generator.choice(rows, size=limit, replace=False))


def _known_at(frame: pd.DataFrame) -> np.ndarray:
    """When each labelled row's label became known, sorted."""
    return frame["label_at"].fillna(frame["event_at"])[frame["is_labelled"]].sort_values().to_numpy()


def _usable_periods(frame: pd.DataFrame, config: BacktestConfig) -> tuple[np.ndarray, list[pd.Timestamp]]:
    """Every period, and those with `min_train_rows` labelled rows known
    before them and a period of their own to score."""
    periods = np.sort(frame["period_start"].unique())
    if len(periods) < 2:
        raise InsufficientHistory(
            f"the backtest needs at least 2 periods of data; there is {len(periods)} "
            f"{config.period}. Fix: collect more history, or use a shorter var model_drift_period"
        )
    known_at = _known_at(frame)
    usable = [
        pd.Timestamp(p) for p in periods[1:]
        if np.searchsorted(known_at, p, side="left") >= config.min_train_rows
    ]
    if len(usable) < 2:
        raise InsufficientHistory(
            f"only {len(usable)} period(s) have {config.min_train_rows} labelled rows known before them "
            f"(var model_drift_backtest_min_train_rows) and a period after; the backtest needs at least 2 "
            f"({len(known_at)} labelled rows in all). Fix: {_fewer_train_rows(periods, known_at, config)}"
        )
    return periods, usable


# the smallest model_drift_backtest_min_train_rows the package accepts (macros/settings.sql)
LEAST_MIN_TRAIN_ROWS = 10


def _fewer_train_rows(periods: np.ndarray, known_at: np.ndarray, config: BacktestConfig) -> str:
    """A model_drift_backtest_min_train_rows that lets the whole replay
    region (the newest `replay_share` of the periods) be fitted: the labelled
    rows known before it starts, rounded down to two significant digits."""
    first = periods[min(len(periods) - 2, int(len(periods) * (1 - config.replay_share)))]
    rows = int(np.searchsorted(known_at, first, side="left"))
    if rows < LEAST_MIN_TRAIN_ROWS:
        return (f"collect more labelled history (fewer than {LEAST_MIN_TRAIN_ROWS} labelled rows are known before "
                f"the newest half of the periods), or use a longer var model_drift_period")
    digits = max(len(str(rows)) - 2, 0)
    rows = max(rows // 10 ** digits * 10 ** digits, LEAST_MIN_TRAIN_ROWS)
    return (f"set var model_drift_backtest_min_train_rows to {rows} (the labelled rows known before the newest "
            f"half of the history), e.g. --vars '{{model_drift_backtest_min_train_rows: {rows}}}', "
            f"or collect more labelled history")


def choose_cutoffs(frame: pd.DataFrame, config: BacktestConfig) -> list[pd.Timestamp]:
    """The learning curve's `cutoff_count` cutoffs, evenly spread from the
    first period with enough labelled history to the last one."""
    _, usable = _usable_periods(frame, config)
    positions = np.unique(np.round(np.linspace(0, len(usable) - 1, min(config.cutoff_count, len(usable)))).astype(int))
    return [usable[i] for i in positions]


@dataclasses.dataclass(frozen=True)
class ReplayPlan:
    fit_times: list[pd.Timestamp]
    step: int  # periods between two fit times: the resolution of every replayed interval
    region_periods: int  # periods of the replay region

    def describe(self, specs: int) -> str:
        every = "every period" if self.step == 1 else f"every {self.step} periods"
        return (f"replay grid: {specs} training specs x {len(self.fit_times)} fit times, {every} over the newest "
                f"{self.region_periods} periods (intervals in steps of {self.step})")


def plan_replay(frame: pd.DataFrame, config: BacktestConfig) -> ReplayPlan:
    """Fit times of the replay grid: the usable periods of the newest
    `replay_share` of the history, every `step`-th one, where the step is
    the smallest that keeps the grid's cost within `max_replay_fits`
    full-size fits (a fit on fewer rows than `max_rows_per_fit` counts as
    that fraction of one, so small data gets a fit at every period)."""
    periods, usable = _usable_periods(frame, config)
    first = periods[min(len(periods) - 2, int(len(periods) * (1 - config.replay_share)))]
    region = [p for p in usable if p >= first]
    if len(region) < 2:
        region = usable[-2:]
    known_at = _known_at(frame)
    rows = np.minimum(np.searchsorted(known_at, np.array(region, dtype="datetime64[ns]")), config.max_rows_per_fit)
    cost = len(config.replay_specs()) * rows / config.max_rows_per_fit  # full-size fits, per fit time
    step = 1
    while cost[::step].sum() > config.max_replay_fits:
        step += 1
    return ReplayPlan(region[::step], step, len(region))


def plan_backtest(frame: pd.DataFrame, config: BacktestConfig) -> list[PlannedFit]:
    """Every fit the replay grid and the learning curve need, with identical
    training sets at one cutoff merged into one fit."""
    wanted: dict[pd.Timestamp, list[TrainingSpec]] = {}
    for cutoff in plan_replay(frame, config).fit_times:
        wanted.setdefault(cutoff, []).extend(config.replay_specs())
    for cutoff in choose_cutoffs(frame, config):
        wanted.setdefault(cutoff, []).extend(config.learning_specs())
    fits: list[PlannedFit] = []
    for cutoff_number, cutoff in enumerate(sorted(wanted), start=1):
        eligible = _training_eligible(frame, cutoff)
        by_rows: dict[bytes, PlannedFit] = {}
        for spec in wanted[cutoff]:
            rows = _spec_rows(frame, eligible, spec, cutoff, config)
            if len(rows) < (MIN_LEARNING_ROWS if spec.kind == "rows" else config.min_train_rows):
                continue
            if spec.kind != "rows":  # a row-count spec is its own size limit
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
    values = score_groups(config.task, config.metric, y[eval_index], predictions, groups, len(period_keys),
                          config.threshold)
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


def evaluated_rows(frame: pd.DataFrame, period_numbers: np.ndarray, config: BacktestConfig) -> np.ndarray:
    """The labelled rows every fit scores: at most `max_eval_rows_per_period`
    of each period, a seeded sample (the same rows for every fit, so scores
    stay paired), which bounds the cost of scoring."""
    labelled = frame["is_labelled"].to_numpy()
    generator = np.random.default_rng(config.seed)
    draw = generator.random(len(frame))
    rank = pd.Series(np.where(labelled, draw, np.inf)).groupby(period_numbers).rank(method="first").to_numpy()
    return labelled & (rank <= config.max_eval_rows_per_period)


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
        f"of {config.estimator}; {plan_replay(frame, config).describe(len(config.replay_specs()))}, all history and "
        f"windows sampled to at most {config.max_rows_per_fit} rows; learning curve: "
        f"{len(config.learning_specs())} sizes at {len(choose_cutoffs(frame, config))} cutoffs"
    )

    features = list(config.categorical) + list(config.numeric)
    X = frame[features].to_numpy(dtype=float)  # noqa: N806
    y = frame["target"].to_numpy()
    events = frame["event_at"].to_numpy()
    labelled = evaluated_rows(frame, period_numbers, config)
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

"""A naive judge of retraining advice, in hindsight.

Given the full data and a split time, it really refits every policy
"retrain every k periods on training window w" over the future (the periods
from the split on) and scores each future period with the model that policy
would be using then. It shares no code with model_drift on purpose: its own
period arithmetic, feature coding and estimator construction, written from
the rules in benchmarks/README.md ("Judging retraining advice").

A fit is keyed by (window, retrain period): the fit at future period i on
window w serves every policy whose retrain times include i. Since every
interval k divides the retrain times it makes, the k = 1 fits cover all k.
A fit at i > 0 is only ever used up to period 2i - 1 (the largest interval
that retrains at i is i itself); the fit at 0 serves the whole future.

    grid = JudgeGrid.build(frame, dataset, split_at, windows)
    grid.judge(tolerance=0.02, advice_spec="all", advice_interval=14)

or in one call, with fits reused across calls: ``judge(...)``.
"""

from __future__ import annotations

import hashlib
import math
import pathlib
import pickle
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd
import sklearn
from joblib import Parallel, delayed, parallel_config
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import roc_auc_score

CACHE_DIR = pathlib.Path(__file__).resolve().parent / "data" / "advice" / "judge_cache"
CATEGORY_CODES = 250  # named codes per text feature; rarer values share one more code
HIGHER_IS_BETTER = {"roc_auc": True, "accuracy": True, "mae": False}
METRIC_OF_TASK = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "mae"}
CACHE_VERSION = 2  # bump when the judging rules change: older cached fits are not read
SLACK = 0.005  # realized loss may exceed the tolerance by this much
MAX_RETRAIN_RATIO = 2.0


def log(message: str) -> None:
    print(f"[judge {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- periods


def as_naive_times(column: pd.Series) -> pd.Series:
    """Timestamps without a time zone: aware ones in UTC, dates at midnight."""
    times = pd.to_datetime(column)
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.astype("datetime64[ns]")


def period_floor(times: pd.Series | pd.Timestamp, period: str):
    """The start of each time's period: day (midnight), week (Monday), month (the 1st)."""
    if isinstance(times, pd.Timestamp):
        return period_floor(pd.Series([times]), period).iloc[0]
    day = times.dt.floor("D")
    if period == "day":
        return day
    if period == "week":
        return day - pd.to_timedelta(day.dt.weekday, unit="D")
    if period == "month":
        return day - pd.to_timedelta(day.dt.day - 1, unit="D")
    raise ValueError(f"period must be day, week or month, not {period!r}")


def add_periods(start: pd.Timestamp, count: int, period: str) -> pd.Timestamp:
    if period == "day":
        return start + pd.Timedelta(days=count)
    if period == "week":
        return start + pd.Timedelta(weeks=count)
    return start + pd.DateOffset(months=count)


def period_index(starts: pd.Series, origin: pd.Timestamp, period: str) -> np.ndarray:
    """Whole periods from `origin` (a period start) to each period start, as floats (NaN for a missing time)."""
    if period == "day":
        steps = (starts - origin) / pd.Timedelta(days=1)
    elif period == "week":
        steps = (starts - origin) / pd.Timedelta(weeks=1)
    else:
        steps = (starts.dt.year - origin.year) * 12 + (starts.dt.month - origin.month)
    return np.round(steps.astype(float).to_numpy())


# ---------------------------------------------------------------- features and model


def code_features(frame: pd.DataFrame, features: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """A float matrix: numbers as floats, text and booleans as category codes
    (the most frequent value is 0, ties broken by value, the 250 most frequent
    named and the rest sharing code 250; missing stays NaN), and which columns
    are categories."""
    columns, is_category = [], []
    for name in features:
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            columns.append(values.astype(float).to_numpy())
            is_category.append(False)
            continue
        text = values.astype("string")
        counts = text.value_counts(dropna=True)
        order = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        lookup = {value: float(code) for code, (value, _) in enumerate(order[:CATEGORY_CODES])}
        coded = text.map(lookup).astype(float)
        coded = coded.where(text.isna() | coded.notna(), float(min(len(order), CATEGORY_CODES)))
        columns.append(coded.to_numpy(dtype=float))
        is_category.append(True)
    matrix = np.column_stack(columns) if columns else np.empty((len(frame), 0))
    return matrix, np.array(is_category, dtype=bool)


class _Constant:
    """What a policy has when its training set cannot fit a model (no rows, one class)."""

    def __init__(self, task: str, y: np.ndarray):
        self.task = task
        if task == "regression":
            self.value = float(np.mean(y)) if len(y) else 0.0
        elif task == "binary":
            self.value = float(np.mean(y)) if len(y) else 0.5
        else:
            values, counts = np.unique(y, return_counts=True) if len(y) else (np.array([None]), np.array([1]))
            self.value = values[np.argmax(counts)]

    def scores(self, X: np.ndarray) -> np.ndarray:
        if self.task == "multiclass":
            return np.full(len(X), self.value, dtype=object)
        return np.full(len(X), self.value, dtype=float)


def make_estimator(task: str, is_category: np.ndarray, seed: int):
    options = dict(
        max_iter=100,
        early_stopping=False,
        random_state=seed,
        categorical_features=is_category if is_category.any() else None,
    )
    if task == "regression":
        return HistGradientBoostingRegressor(**options)
    return HistGradientBoostingClassifier(**options)


def period_metric(task: str, y: np.ndarray, scores: np.ndarray) -> float:
    if len(y) == 0:
        return math.nan
    if task == "binary":
        if len(np.unique(y)) < 2:
            return math.nan
        return float(roc_auc_score(y, scores))
    if task == "multiclass":
        return float(np.mean(scores == y))
    return float(np.mean(np.abs(scores - y)))


def _fit_and_score(task, X, y, event_period, usable_from, scored_rows, scored_bounds,
                   window, first_future, i, horizon, is_category, seed, max_rows):
    """One fit at future period i on `window`: its metric on future periods i .. i+horizon-1."""
    started = time.perf_counter()
    retrain_at = first_future + i  # period index of the retrain time
    train = np.flatnonzero(usable_from <= retrain_at)
    if window != "all":
        train = train[event_period[train] >= retrain_at - int(window)]
    train_rows = len(train)
    if train_rows > max_rows:
        train = np.sort(np.random.default_rng(seed).choice(train, size=max_rows, replace=False))
    y_train = y[train]
    if task != "regression" and len(np.unique(y_train)) < 2:
        model = _Constant(task, y_train)
    elif train_rows == 0:
        model = _Constant(task, y_train)
    else:
        model = make_estimator(task, is_category, seed).fit(X[train], y_train)
    metrics = np.full(horizon, np.nan)
    low, high = scored_bounds[i], scored_bounds[i + horizon]
    rows = scored_rows[low:high]
    if len(rows):
        if isinstance(model, _Constant):
            scores = model.scores(X[rows])
        elif task == "binary":
            scores = model.predict_proba(X[rows])[:, list(model.classes_).index(1)]
        else:
            scores = model.predict(X[rows])
        y_rows = y[rows]
        for offset in range(horizon):
            a, b = scored_bounds[i + offset] - low, scored_bounds[i + offset + 1] - low
            metrics[offset] = period_metric(task, y_rows[a:b], scores[a:b])
    return window, i, metrics, train_rows, time.perf_counter() - started


# ---------------------------------------------------------------- the grid


class JudgeGrid:
    """Every (window, retrain period) fit over the future, and their per-period metrics."""

    def __init__(self, name, task, period, future_starts, windows, fits, valid, stats):
        self.name = name
        self.task = task
        self.metric = METRIC_OF_TASK[task]
        self.period = period
        self.future_starts = future_starts  # list of period starts, length F
        self.windows = list(windows)  # 'all' first, then ints
        self.fits = fits  # (window, i) -> metrics for periods i .. i+horizon-1
        self.valid = valid  # bool per future period: metric defined (alike for every policy)
        self.stats = stats
        self._quality: dict[tuple, float] = {}

    @property
    def F(self) -> int:
        return len(self.future_starts)

    # -- building

    @classmethod
    def build(cls, frame: pd.DataFrame, dataset, split_at, windows: Sequence[int],
              seed: int = 0, max_rows_per_fit: int = 20000, n_jobs: int = 2,
              use_disk_cache: bool = True) -> JudgeGrid:
        started = time.perf_counter()
        task, period = dataset.task, dataset.period
        if task not in METRIC_OF_TASK:
            raise ValueError(f"task must be binary, multiclass or regression, not {task!r}")
        all_windows = ["all"] + sorted({int(w) for w in windows})
        split_at = pd.Timestamp(split_at)
        if period_floor(split_at, period) != split_at:
            raise ValueError(f"split_at {split_at} is not the start of a {period}")

        event_at = as_naive_times(frame[dataset.event_at])
        target = frame[dataset.target]
        labelled = target.notna().to_numpy() & event_at.notna().to_numpy()
        if dataset.label_at:
            label_at = as_naive_times(frame[dataset.label_at])
            # a target whose label time is missing was never known in time: never trained on
            known = label_at.where(label_at >= event_at, event_at).where(label_at.notna())
        else:
            known = event_at
        origin = period_floor(event_at.min(), period)
        event_period = period_index(period_floor(event_at, period), origin, period)
        event_period = np.where(np.isnan(event_period), -(10**9), event_period).astype(np.int64)
        # a row may train the model retrained at period start t when its label was known before t
        # (known < t <=> the period of `known` is before t's) and its event happened before t
        known_period = period_index(period_floor(known, period), origin, period)
        usable_from = np.where(np.isnan(known_period), np.inf, known_period)
        usable_from = np.maximum(usable_from, event_period) + 1
        usable_from = np.where(labelled, usable_from, np.inf)

        first_future = int(period_index(pd.Series([split_at]), origin, period)[0])
        if first_future < 1:
            raise ValueError(f"split_at {split_at} leaves no history before it")
        last_period = int(event_period[labelled].max()) if labelled.any() else -1
        F = last_period - first_future + 1
        if F < 1:
            raise ValueError(f"no labelled data at or after split_at {split_at}")
        future_starts = [add_periods(split_at, j, period) for j in range(F)]

        X, is_category = code_features(frame, dataset.features)
        y = target.to_numpy()
        if task == "binary":
            y = np.where(labelled, pd.Series(y).astype(float).fillna(-1).to_numpy(), -1).astype(int)
            y_values = set(np.unique(y[labelled]).tolist())
            if not y_values <= {0, 1}:
                raise ValueError(f"binary target {dataset.target} has values {sorted(y_values)}; "
                                 "expected 0/1 or booleans")
        elif task == "multiclass":
            # classes as integer codes (accuracy is the same; the arrays stay shareable between workers)
            y = pd.Series(y).astype("string").where(pd.Series(labelled)).astype("category").cat.codes.to_numpy()
            y = y.astype(np.int64)
        else:
            y = pd.Series(y).astype(float).to_numpy()

        # the rows a fit scores: labelled future rows, sorted by period, with the bounds of each period
        future_mask = labelled & (event_period >= first_future)
        scored_rows = np.flatnonzero(future_mask)
        scored_rows = scored_rows[np.argsort(event_period[scored_rows], kind="stable")]
        scored_bounds = np.searchsorted(event_period[scored_rows], first_future + np.arange(F + 1), side="left")

        valid = np.zeros(F, dtype=bool)
        for j in range(F):
            rows = scored_rows[scored_bounds[j]:scored_bounds[j + 1]]
            if len(rows) and (task != "binary" or len(np.unique(y[rows])) == 2):
                valid[j] = True

        key = cls._cache_key(frame, dataset, split_at, all_windows, seed, max_rows_per_fit)
        cache_path = CACHE_DIR / f"{dataset.name}-{key}.pkl" if key else None
        fits: dict[tuple, np.ndarray] = {}
        if use_disk_cache and cache_path and cache_path.exists():
            with open(cache_path, "rb") as handle:
                fits = pickle.load(handle)
            log(f"{dataset.name}: {len(fits)} fits read from {cache_path.name}")

        tasks = []
        for window in all_windows:
            for i in range(F):
                horizon = F if i == 0 else min(i, F - i)
                if (window, i) not in fits:
                    tasks.append((window, i, horizon))
        log(f"{dataset.name}: {len(frame):,} rows, {int(labelled.sum()):,} labelled, {period} periods, "
            f"future {future_starts[0].date()} .. {future_starts[-1].date()} (F = {F}, {int(valid.sum())} scorable), "
            f"windows {all_windows}: {len(tasks)} fits to make ({len(fits)} cached), n_jobs={n_jobs}")

        fit_seconds = 0.0
        train_rows_seen = []
        done = 0
        chunk = max(8, 4 * n_jobs)
        fit_started = time.perf_counter()
        with parallel_config(backend="loky", inner_max_num_threads=1):
            with Parallel(n_jobs=n_jobs) as parallel:
                for start in range(0, len(tasks), chunk):
                    batch = tasks[start:start + chunk]
                    results = parallel(
                        delayed(_fit_and_score)(task, X, y, event_period, usable_from, scored_rows, scored_bounds,
                                                window, first_future, i, horizon, is_category, seed, max_rows_per_fit)
                        for window, i, horizon in batch
                    )
                    for window, i, metrics, train_rows, seconds in results:
                        fits[(window, i)] = metrics
                        fit_seconds += seconds
                        train_rows_seen.append(train_rows)
                    done += len(batch)
                    if done == len(tasks) or (start // chunk) % 5 == 4:
                        elapsed = time.perf_counter() - fit_started
                        to_go = (f", about {elapsed / done * (len(tasks) - done):.0f} s to go"
                                 if done < len(tasks) else "")
                        log(f"{dataset.name}: {done}/{len(tasks)} fits, {elapsed:.0f} s" + to_go)
                    if use_disk_cache and cache_path and (done == len(tasks) or (start // chunk) % 10 == 9):
                        cache_path.parent.mkdir(parents=True, exist_ok=True)
                        with open(cache_path.with_suffix(".tmp"), "wb") as handle:
                            pickle.dump(fits, handle)
                        cache_path.with_suffix(".tmp").replace(cache_path)
        stats = dict(
            fits_made=len(tasks),
            fits_cached=len(fits) - len(tasks),
            fit_seconds=round(fit_seconds, 1),
            seconds=round(time.perf_counter() - started, 1),
            max_train_rows=max(train_rows_seen) if train_rows_seen else None,
        )
        log(f"{dataset.name}: grid ready in {stats['seconds']} s ({stats['fits_made']} fits made, "
            f"{stats['fits_cached']} from cache)")
        return cls(dataset.name, task, period, future_starts, all_windows, fits, valid, stats)

    @staticmethod
    def _cache_key(frame, dataset, split_at, windows, seed, max_rows) -> str | None:
        """Keyed by the rows judged (not the file: a caller may pass a subset or an edited copy) and the settings."""
        digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        settings = repr((dataset.task, dataset.period, dataset.event_at, dataset.target, dataset.label_at,
                         tuple(dataset.features), str(split_at), tuple(windows), seed, max_rows,
                         CATEGORY_CODES, CACHE_VERSION, sklearn.__version__))
        digest.update(settings.encode())
        return digest.hexdigest()[:16]

    # -- reading

    def period_metrics(self, window, k: int) -> np.ndarray:
        """The metric of each future period under policy (window, k)."""
        out = np.empty(self.F)
        for p in range(self.F):
            i = (p // k) * k
            out[p] = self.fits[(window, i)][p - i]
        return out

    def quality(self, window, k: int) -> float:
        k = min(max(int(k), 1), self.F)
        if (window, k) not in self._quality:
            metrics = self.period_metrics(window, k)[self.valid]
            self._quality[(window, k)] = float(np.mean(metrics)) if len(metrics) else math.nan
        return self._quality[(window, k)]

    def best(self) -> tuple[object, float]:
        """Q*: the best window at k = 1."""
        qualities = {w: self.quality(w, 1) for w in self.windows}
        pick = max if HIGHER_IS_BETTER[self.metric] else min
        window = pick(qualities, key=lambda w: qualities[w])
        return window, qualities[window]

    def loss(self, window, k: int) -> float:
        _, q_star = self.best()
        q = self.quality(window, k)
        if HIGHER_IS_BETTER[self.metric]:
            return (q_star - q) / abs(q_star)
        return (q - q_star) / abs(q_star)

    def retrains(self, k: int) -> int:
        return math.ceil(self.F / min(max(int(k), 1), self.F))

    def judge(self, tolerance: float, advice_spec: str, advice_interval) -> dict:
        F = self.F
        window_a = _window_of_spec(advice_spec)
        if window_a not in self.windows:
            raise ValueError(f"advised spec {advice_spec!r} is not among the judged windows {self.windows}")
        no_schedule = advice_interval is None or (isinstance(advice_interval, float) and math.isnan(advice_interval))
        k_advised = None if no_schedule else max(1, int(round(float(advice_interval))))
        k_a = F if no_schedule else min(k_advised, F)
        best_window, q_star = self.best()
        k_star = max(k for k in range(1, F + 1) if any(self.loss(w, k) <= tolerance for w in self.windows))
        never_ok = any(self.loss(w, F) <= tolerance for w in self.windows)
        realized = self.loss(window_a, k_a)
        ratio = self.retrains(k_a) / self.retrains(k_star)
        reasons = []
        if realized > tolerance + SLACK:
            reasons.append(f"loses {realized:.1%} > {tolerance + SLACK:.1%}")
        if ratio > MAX_RETRAIN_RATIO:
            reasons.append(f"retrains {ratio:.1f}x as often")
        if never_ok and not no_schedule:
            reasons.append("never retraining stays within the tolerance, but the advice schedules")
        losses_k1 = {str(w): round(self.loss(w, 1), 5) for w in self.windows}
        return dict(
            dataset=self.name,
            metric=self.metric,
            tolerance=tolerance,
            F=F,
            future_start=str(self.future_starts[0].date()),
            future_end=str(self.future_starts[-1].date()),
            scored_periods=int(self.valid.sum()),
            advice_window=str(window_a),
            advice_interval=k_advised,
            advice_k=k_a,
            no_schedule=no_schedule,
            best_window=str(best_window),
            q_star=q_star,
            quality_advice=self.quality(window_a, k_a),
            k_star=k_star,
            k_star_windows=[str(w) for w in self.windows if self.loss(w, k_star) <= tolerance],
            never_ok=never_ok,
            loss_never_by_window={str(w): round(self.loss(w, F), 5) for w in self.windows},
            loss_k1_by_window=losses_k1,
            realized_loss=realized,
            retrains_advice=self.retrains(k_a),
            retrains_k_star=self.retrains(k_star),
            retrain_ratio=ratio,
            ok=not reasons,
            reason="; ".join(reasons),
            **{f"grid_{key}": value for key, value in self.stats.items()},
        )


def _window_of_spec(spec: str):
    if spec is None or spec == "all":
        return "all"
    if isinstance(spec, str) and spec.startswith("window_"):
        return int(spec[len("window_"):])
    raise ValueError(f"advice spec must be 'all' or 'window_<n>', not {spec!r}")


_GRIDS: dict[tuple, JudgeGrid] = {}


def grid_for(frame, dataset, split_at, windows, seed=0, max_rows_per_fit=20000, n_jobs=2) -> JudgeGrid:
    """The grid for these settings, built once per process (and read from the disk cache when there)."""
    key = (dataset.name, str(getattr(dataset, "path", "")), len(frame), str(pd.Timestamp(split_at)),
           tuple(sorted({int(w) for w in windows})), seed, max_rows_per_fit)
    if key not in _GRIDS:
        _GRIDS[key] = JudgeGrid.build(frame, dataset, split_at, windows, seed=seed,
                                      max_rows_per_fit=max_rows_per_fit, n_jobs=n_jobs)
    return _GRIDS[key]


def judge(frame: pd.DataFrame, dataset, split_at, tolerance: float, windows: Sequence[int],
          advice_spec: str, advice_interval, seed: int = 0, max_rows_per_fit: int = 20000) -> dict:
    """Judge one advice (window `advice_spec`, every `advice_interval` periods or None = no
    scheduled retraining) on the future from `split_at` at `tolerance` (relative loss)."""
    windows = set(int(w) for w in windows)
    window_a = _window_of_spec(advice_spec)
    if window_a != "all":
        windows.add(window_a)  # an advised window outside the compared ones is fitted too
    started = time.perf_counter()
    grid = grid_for(frame, dataset, split_at, sorted(windows), seed=seed, max_rows_per_fit=max_rows_per_fit)
    result = grid.judge(tolerance, advice_spec, advice_interval)
    result["judge_seconds"] = round(time.perf_counter() - started, 1)
    return result

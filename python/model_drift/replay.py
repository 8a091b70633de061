"""The replay grid: what would have happened under any retraining policy,
read off ``backtest_scores`` with no new fit.

The replay fits (all history and each window, at every ``step``-th period of
the replay region, each scoring every later period) make a fit x period
grid of quality per training spec. Everything that asks "what if we had
retrained every k periods on spec s" is a lookup in it, the way a hindsight
judge scores a policy: each period is scored by the model fitted at the last
retrain time at or before it, and a policy's loss is the PAIRED difference
against retraining at every fit time on the best spec, on the SAME periods.

- Q1: the loss of a model of age a against the freshest model of the same
  spec on the same period (``decay_losses``);
- Q4: each window against all history, both retrained at every fit time;
- Q5: every interval k (a multiple of the step) and spec, averaged over
  every phase of the cycle: at period p, the mean over c < k/step of the
  quality of the fit c steps before the latest one;
- the hindsight check: the same advice computed from the grid's first half
  only, then replayed from the middle on, phase fixed, as a judge would.

Quality is oriented so that higher is better (losses such as MAE negated).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from model_drift.errors import UserError
from model_drift.metrics import HIGHER_IS_BETTER

REPLAY_KINDS = ("all", "window")
# the policy and window estimates are decided on this one-sided bound
UPPER_QUANTILE = 0.9
BOOTSTRAP = 300
# an interval is judged on at least this many periods, and this share of the replayed ones
MIN_PERIODS = 3
MIN_PERIOD_SHARE = 0.25


@dataclasses.dataclass(frozen=True)
class DecaySettings:
    """The tolerance and the bootstrap of every decay and replay estimate
    (vars model_drift_tolerance, model_drift_tolerance_kind, model_drift_seed:
    no default here, the package's defaults live in its dbt_project.yml)."""

    tolerance: float
    tolerance_kind: str  # "absolute", or "relative": a fraction of the baseline quality
    seed: int
    bootstrap: int = 200  # bootstrap draws (not a var)

    def __post_init__(self) -> None:
        if self.tolerance_kind not in ("absolute", "relative"):
            raise UserError(f"var model_drift_tolerance_kind is '{self.tolerance_kind}'; use absolute or relative")
        if not (0 < self.tolerance < (1 if self.tolerance_kind == "relative" else float("inf"))):
            raise UserError(
                f"var model_drift_tolerance is {self.tolerance}; it must be > 0"
                + (" and < 1 (a fraction) when model_drift_tolerance_kind is relative"
                   if self.tolerance_kind == "relative" else "")
            )

    def in_metric_units(self, baseline_quality: float) -> float:
        """The tolerance as a loss in metric units: relative is a fraction of the baseline quality."""
        return self.tolerance * abs(baseline_quality) if self.tolerance_kind == "relative" else self.tolerance


def to_metric(values, metric: str):
    """Back from higher-is-better to the metric's own direction."""
    return values if HIGHER_IS_BETTER[metric] else -values


@dataclasses.dataclass(frozen=True)
class Grid:
    """Quality of every replay fit on every later period, per spec."""

    metric: str
    specs: tuple[str, ...]
    fit_at: np.ndarray  # (fits,) fit times
    fit_position: np.ndarray  # (fits,) in periods from the first fit
    periods: np.ndarray  # (periods,) scored period starts, from the first fit on
    position: np.ndarray  # (periods,) in periods from the first fit
    quality: dict[str, np.ndarray]  # spec -> (fits, periods); NaN where not scored or undefined
    train_first_event_at: dict[str, np.ndarray]  # spec -> (fits,)
    train_rows: dict[str, np.ndarray]  # spec -> (fits,)

    @property
    def step(self) -> int:
        """Periods between fit times (the resolution of every interval)."""
        return int(np.median(np.diff(self.fit_position))) if len(self.fit_position) > 1 else 1

    @property
    def latest(self) -> np.ndarray:
        """For each period, the index of the latest fit at or before it."""
        return np.searchsorted(self.fit_position, self.position, side="right") - 1

    @property
    def defined(self) -> np.ndarray:
        """Periods whose metric every spec's latest fit defines (one class in
        a period leaves ROC AUC undefined for every model alike)."""
        rows = self.latest
        columns = np.arange(len(self.periods))
        return np.all([np.isfinite(q[rows, columns]) for q in self.quality.values()], axis=0)

    @property
    def span_periods(self) -> int:
        return int(self.position[-1]) + 1 if len(self.position) else 0

    def until(self, moment) -> Grid:
        """The grid as it was known at `moment`: fits before it, periods before it."""
        fits = self.fit_at < np.datetime64(moment)
        periods = self.periods < np.datetime64(moment)
        return dataclasses.replace(
            self,
            fit_at=self.fit_at[fits], fit_position=self.fit_position[fits],
            periods=self.periods[periods], position=self.position[periods],
            quality={s: q[np.ix_(fits, periods)] for s, q in self.quality.items()},
            train_first_event_at={s: t[fits] for s, t in self.train_first_event_at.items()},
            train_rows={s: t[fits] for s, t in self.train_rows.items()},
        )

    def serving(self, spec: str, steps_back: int) -> np.ndarray:
        """(steps_back, periods): quality at each period of the fit c = 0 ..
        steps_back - 1 fit times before the latest one (NaN before the first fit)."""
        latest = self.latest
        rows = latest[None, :] - np.arange(steps_back)[:, None]
        out = self.quality[spec][np.clip(rows, 0, None), np.arange(len(self.periods))[None, :]]
        return np.where(rows >= 0, out, np.nan)


def grid_from_scores(scores: pd.DataFrame, metric: str) -> Grid:
    """The replay grid of ``backtest_scores`` (its all-history and window rows)."""
    rows = scores[scores["spec_kind"].isin(REPLAY_KINDS)]
    if rows.empty:
        raise UserError("the backtest has no all-history or window fits to replay; collect more history")
    cutoffs = np.sort(rows["cutoff_at"].unique())
    # positions in periods, from the earliest fit's ages (it scores every later period)
    first = rows[(rows["cutoff_at"] == cutoffs[0]) & (rows["spec_name"] == "all")]
    position_of = dict(zip(first["eval_period_start"].to_numpy(), first["model_age_periods"].to_numpy(int)))
    periods = np.array(sorted(position_of))
    by_fit = rows.groupby("cutoff_at")
    fit_position = np.array([
        int(np.median([position_of[p] - a for p, a in zip(g["eval_period_start"].to_numpy(), g["model_age_periods"])
                       if p in position_of])) for _, g in by_fit
    ])
    specs = tuple(sorted(rows["spec_name"].unique(), key=lambda s: (s != "all", len(s), s)))
    column = {p: i for i, p in enumerate(periods)}
    row_of = {c: i for i, c in enumerate(cutoffs)}
    oriented = rows["metric_value"].astype(float).to_numpy()
    oriented = oriented if HIGHER_IS_BETTER[metric] else -oriented
    quality, first_event, train_rows = {}, {}, {}
    for spec in specs:
        matrix = np.full((len(cutoffs), len(periods)), np.nan)
        at = rows["spec_name"].to_numpy() == spec
        r = np.array([row_of[c] for c in rows["cutoff_at"].to_numpy()[at]])
        c = np.array([column.get(p, -1) for p in rows["eval_period_start"].to_numpy()[at]])
        keep = c >= 0
        matrix[r[keep], c[keep]] = oriented[at][keep]
        quality[spec] = matrix
        firsts = rows[at].groupby("cutoff_at")["train_first_event_at"].min()
        first_event[spec] = firsts.reindex(cutoffs).to_numpy()
        train_rows[spec] = rows[at].groupby("cutoff_at")["train_rows"].max().reindex(cutoffs).to_numpy(float)
    return Grid(metric, specs, cutoffs, fit_position, periods, np.array([position_of[p] for p in periods]),
                quality, first_event, train_rows)


# --- estimates with their uncertainty -----------------------------------------


def _block_means(values: np.ndarray, block: int, generator: np.random.Generator) -> np.ndarray:
    """Means of a moving-block bootstrap of a series (neighbouring periods are
    served by the same models, so they are resampled together)."""
    n = len(values)
    block = int(min(max(block, 1), n))
    count = math.ceil(n / block)
    starts = generator.integers(0, n - block + 1, (BOOTSTRAP, count))
    index = (starts[:, :, None] + np.arange(block)[None, None, :]).reshape(BOOTSTRAP, -1)[:, :n]
    return values[index].mean(axis=1)


def _block(n: int, periods: int) -> int:
    """Block length: the cycle length, at least n^(1/3), at most a third of the series."""
    return int(min(max(periods, math.ceil(n ** (1 / 3))), max(1, n // 3)))


@dataclasses.dataclass(frozen=True)
class Estimate:
    mean: float
    low: float
    high: float  # the one-sided UPPER_QUANTILE bound
    first_half: float
    second_half: float
    periods: int


def estimate(differences: np.ndarray, block: int, seed: int) -> Estimate:
    """Mean of per-period paired differences, its block-bootstrap bounds and
    the two halves' means (does the history's tail tell the same story?)."""
    generator = np.random.default_rng(seed)
    draws = _block_means(differences, block, generator)
    low, high = np.quantile(draws, [1 - UPPER_QUANTILE, UPPER_QUANTILE])
    half = len(differences) // 2
    return Estimate(float(differences.mean()), float(low), float(high),
                    float(differences[:half].mean()) if half else float("nan"),
                    float(differences[half:].mean()), len(differences))


def fresh_quality(grid: Grid, spec: str) -> np.ndarray:
    """`spec` retrained at every fit time: its quality per period (NaN where undefined)."""
    return np.where(grid.defined, grid.serving(spec, 1)[0], np.nan)


def policy_rows(grid: Grid, settings: DecaySettings) -> pd.DataFrame:
    """Every (spec, interval) policy, averaged over the phases of its cycle:
    mean quality, the paired loss against the baseline with its bounds, the
    two halves of the periods, the loss at the cycle's last age. The
    baseline is the best spec retrained at every fit time, "best" decided as
    Q4 decides it (a window only when it beats all history beyond the
    noise), so that a gap between specs that is only noise is no loss."""
    best, _ = chosen_spec(window_rows(grid, None, settings.seed))
    baseline = fresh_quality(grid, best)
    step, latest = grid.step, grid.latest
    fits = len(grid.fit_at)
    enough = max(MIN_PERIODS, math.ceil(MIN_PERIOD_SHARE * np.isfinite(baseline).sum()))
    tolerance_units = settings.in_metric_units(float(np.nanmean(baseline)))
    seed = settings.seed
    out = []
    for spec in grid.specs:
        serving = grid.serving(spec, fits)  # (fits, periods)
        running = np.cumsum(np.nan_to_num(serving), axis=0) / np.arange(1, fits + 1)[:, None]
        complete = np.cumsum(np.isnan(serving), axis=0) == 0
        for j in range(1, fits + 1):
            valid = complete[j - 1] & np.isfinite(baseline) & (latest >= j - 1)
            if valid.sum() < enough:
                break
            losses = baseline[valid] - running[j - 1, valid]
            e = estimate(losses, _block(int(valid.sum()), j * step), seed + j)
            out.append({
                "spec_name": spec, "retrain_every_periods": j * step, "evaluation_periods": e.periods,
                "mean_quality": float(running[j - 1, valid].mean()), "baseline_spec_name": best,
                "baseline_quality": float(baseline[valid].mean()), "mean_loss": e.mean, "mean_loss_low": e.low,
                "mean_loss_high": e.high, "first_half_loss": e.first_half, "second_half_loss": e.second_half,
                "end_of_cycle_loss": float(np.mean(baseline[valid] - serving[j - 1, valid])),
                "worst_period_quality": float(running[j - 1, valid].min()),
                "tolerance_in_metric_units": tolerance_units,
                "is_within_tolerance": bool(e.high <= tolerance_units),
            })
    table = pd.DataFrame(out)
    # a model does not get better by being kept longer: each spec's upper
    # bound is made non-decreasing in k (isotonic, weighted by the periods
    # judged), so one noisy interval cannot end the search early
    for _, rows in table.groupby("spec_name"):
        table.loc[rows.index, "mean_loss_high"] = IsotonicRegression().fit(
            rows["retrain_every_periods"], rows["mean_loss_high"], sample_weight=rows["evaluation_periods"]
        ).predict(rows["retrain_every_periods"])
    table["is_within_tolerance"] = table["mean_loss_high"] <= table["tolerance_in_metric_units"]
    table["history_periods"] = grid.span_periods
    table["retrains_over_history"] = np.ceil(grid.span_periods / table["retrain_every_periods"]).astype(int)
    return table


def window_rows(grid: Grid, period_offset, seed: int) -> pd.DataFrame:
    """Each window against all history, both retrained at every fit time, on
    the same periods: the paired difference with its block-bootstrap bounds
    and halves; how many fits a window held too few rows for (and so used its
    newest model_drift_backtest_min_train_rows rows instead)."""
    defined = grid.defined
    fresh = {s: grid.serving(s, 1)[0] for s in grid.specs}
    valid = defined & np.all([np.isfinite(f) for f in fresh.values()], axis=0)
    out = []
    for spec in grid.specs:
        differences = (fresh[spec] - fresh["all"])[valid]
        e = estimate(differences, _block(int(valid.sum()), grid.step), seed)
        size = None if spec == "all" else int(spec.split("_")[1])
        extended = 0
        if size is not None and period_offset is not None:
            reach = pd.to_datetime(grid.fit_at) - size * period_offset
            extended = int((pd.to_datetime(grid.train_first_event_at[spec]) < reach).sum())
        out.append({
            "spec_name": spec, "window_periods": size, "quality": float(fresh[spec][valid].mean()),
            "difference_vs_all": e.mean, "difference_low": e.low, "difference_high": e.high,
            "first_half_difference": e.first_half, "second_half_difference": e.second_half,
            "paired_periods": e.periods, "fit_count": len(grid.fit_at), "extended_fit_count": extended,
        })
    return pd.DataFrame(out)


# --- the decision, and its check in hindsight ---------------------------------------


@dataclasses.dataclass(frozen=True)
class Advice:
    spec: str
    interval: int | None  # None: no scheduled retraining needed within the periods seen
    longest_replayed: int
    reason: str  # why this window and interval


def chosen_spec(windows: pd.DataFrame) -> tuple[str, str]:
    """A window only when it beats all history beyond the noise between
    periods (its lower bound above zero) and in both halves of the replay."""
    wins = windows[(windows["spec_name"] != "all") & (windows["difference_low"] > 0)
                   & (windows["first_half_difference"] > 0) & (windows["second_half_difference"] > 0)]
    if wins.empty:
        return "all", "no window beats all history beyond the noise between periods"
    best = wins.sort_values(["difference_vs_all", "window_periods"], ascending=[False, True]).iloc[0]
    return best.spec_name, f"a {int(best.window_periods)}-period window beats all history in both halves of the replay"


def largest_interval(policy: pd.DataFrame, spec: str, column: str = "mean_loss_high") -> tuple[int | None, int]:
    """The largest interval whose loss (by default its upper bound) stays
    within the tolerance, up to the first that does not, and the longest
    interval replayed. None: no schedule is needed, because no interval
    replayed loses more than the tolerance beyond the noise (its lower bound
    above it), however long; 0: not even the shortest stays within it."""
    rows = policy[policy["spec_name"] == spec].sort_values("retrain_every_periods")
    intervals = rows["retrain_every_periods"].to_numpy()
    within = (rows[column] <= rows["tolerance_in_metric_units"]).to_numpy(bool)
    longest = int(intervals.max())
    if within.all() or not (rows["mean_loss_low"] > rows["tolerance_in_metric_units"]).any():
        return None, longest
    first_out = int(np.argmin(within))
    return (int(intervals[first_out - 1]) if first_out > 0 else 0), longest


def advise(windows: pd.DataFrame, policy: pd.DataFrame) -> Advice:
    """The one decision behind Q4 and Q5 (and the hindsight check)."""
    spec, why = chosen_spec(windows)
    interval, longest = largest_interval(policy, spec)
    return Advice(spec, interval, longest, why)


def _replayed_from(grid: Grid, spec: str, start: int, steps: int | None) -> np.ndarray:
    """Quality per period from fit `start` on, under "retrain every `steps`
    fit times from fit `start`" (None: never again), phase fixed at `start`."""
    latest = grid.latest
    serving = np.full(len(grid.periods), start) if steps is None else start + (latest - start) // steps * steps
    return grid.quality[spec][serving, np.arange(len(grid.periods))]


def advice_check(grid: Grid, settings: DecaySettings, period_offset) -> pd.DataFrame:
    """The advice as it would have been given at the middle fit time, from
    the fits and periods before it only, replayed on the periods after it
    the way a hindsight judge replays a policy: retrains at that moment and
    every k periods after, each period scored by the model in use, the
    realized loss against the best spec retrained at every fit time on the
    same periods; the largest interval that stayed within the tolerance in
    hindsight; one row per policy replayed, the advised one flagged."""
    if len(grid.fit_at) < 4:
        return pd.DataFrame()
    middle = len(grid.fit_at) // 2
    as_of = grid.fit_at[middle]
    earlier = grid.until(as_of)
    advice = advise(window_rows(earlier, period_offset, settings.seed), policy_rows(earlier, settings))
    after = grid.position >= grid.fit_position[middle]
    fits_after = len(grid.fit_at) - middle
    realized = {}
    for spec in grid.specs:
        for steps in [*range(1, fits_after), None]:
            values = _replayed_from(grid, spec, middle, steps)[after]
            realized[(spec, steps)] = values
    defined = np.all([np.isfinite(v) for v in realized.values()], axis=0)
    quality = {key: float(values[defined].mean()) for key, values in realized.items()}
    best = max(grid.specs, key=lambda s: (quality[(s, 1)], s == "all"))
    best_quality = quality[(best, 1)]
    tolerance_units = settings.in_metric_units(best_quality)
    judged = int(grid.position[after][-1] - grid.fit_position[middle] + 1)
    step = grid.step
    rows = []
    for (spec, steps), value in quality.items():
        interval = None if steps is None else steps * step
        rows.append({
            "spec_name": spec, "retrain_every_periods": interval, "realized_quality": value,
            "realized_loss": best_quality - value,
            "retrains": 1 if interval is None else math.ceil(judged / interval),
        })
    table = pd.DataFrame(rows)
    table["is_within_tolerance"] = table["realized_loss"] <= tolerance_units
    fewest = table.loc[table["is_within_tolerance"], "retrains"].min()
    never_ok = bool(table.loc[table["retrain_every_periods"].isna(), "is_within_tolerance"].any())
    advised_interval = advice.interval
    advised = (table["spec_name"] == advice.spec) & (
        table["retrain_every_periods"].isna() if advised_interval is None
        else table["retrain_every_periods"] == max(advised_interval, step))
    if not advised.any():  # advised longer than the periods after: it never retrains there
        advised = (table["spec_name"] == advice.spec) & table["retrain_every_periods"].isna()
    row = table[advised].iloc[0]
    slack = 0.005 * abs(best_quality)
    ratio = row["retrains"] / fewest if not math.isnan(fewest) else math.inf
    if never_ok and advised_interval is not None:
        verdict, reason = "miss", "never retraining stayed within the tolerance, but the advice scheduled retrains"
    elif row["realized_loss"] > tolerance_units + slack:
        verdict, reason = "miss", (f"the advice lost {row['realized_loss']:.4g}, more than the tolerance "
                                   f"{tolerance_units:.4g}")
    elif ratio > 2:
        verdict, reason = "miss", f"the advice retrained {ratio:.1f}x as often as needed"
    else:
        verdict, reason = "ok", "within the tolerance, without retraining more than twice as often as needed"
    table["is_advised"] = advised.to_numpy()
    table["is_hindsight_best"] = table["is_within_tolerance"] & (table["retrains"] == fewest)
    table["as_of_at"] = pd.Timestamp(as_of)
    table["judged_from_at"] = pd.Timestamp(grid.periods[after][0])
    table["judged_periods"] = judged
    table["metric_name"] = grid.metric
    table["realized_quality"] = to_metric(table["realized_quality"], grid.metric)
    table["best_spec_name"] = best
    table["tolerance_in_metric_units"] = tolerance_units
    table["retrain_ratio"] = ratio if math.isfinite(ratio) else None
    table["verdict"] = verdict
    table["reason"] = reason
    return table


def decay_losses(grid: Grid, spec: str) -> pd.DataFrame:
    """Q1's losses: for every fit of `spec` and later period, the loss
    against the freshest fit of the same spec on the same period (the latest
    at or before it: age below the step), and the model's age in periods.
    The policy loss of interval k is the mean of these over ages below k."""
    quality = grid.quality[spec]
    fresh = grid.serving(spec, 1)[0]
    fit, period = np.nonzero(np.isfinite(quality) & np.isfinite(fresh)[None, :])
    age = grid.position[period] - grid.fit_position[fit]
    keep = age >= 0
    fit, period, age = fit[keep], period[keep], age[keep]
    return pd.DataFrame({
        "cutoff_number": fit + 1,
        "cutoff_at": grid.fit_at[fit],
        "train_rows": grid.train_rows[spec][fit],
        "eval_period_start": grid.periods[period],
        "model_age_periods": age.astype(int),
        "quality": quality[fit, period],
        "fresh_quality": fresh[period],
        "loss": fresh[period] - quality[fit, period],
    })

"""Q5's evidence: every candidate retraining policy replayed on history from
the backtest scores, with no new fit.

A policy "retrain every k periods on training spec s" is a run of cycles: a
model trained at a retrain moment serves ages 0 .. k-1, then is replaced.
Every backtest cutoff is a real retrain moment (a model of spec s fitted on
the labels that had arrived by then, so the label delay is already in its
scores), and its scores at ages 0 .. k-1 are exactly one cycle of the
policy: a lookup in ``backtest_scores``. The policy's quality is the mean
over the cycles that every cutoff replays. Anchoring a cycle at each cutoff
gives every interval k, not only multiples of the spacing between cutoffs.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from model_drift.analysis import DecaySettings, fresh_losses, to_metric

# a policy is judged on cycles that at least this many cutoffs replay in full
MIN_CYCLES = 2


@dataclasses.dataclass(frozen=True)
class PolicyCosts:
    """What a retrain costs, and what one unit of the metric lost costs per
    period (vars model_drift_retrain_cost, model_drift_quality_unit_cost).
    Both unset: no cost-optimal interval."""

    retrain_cost: float | None = None
    quality_unit_cost: float | None = None

    def __post_init__(self) -> None:
        for name, value in (("model_drift_retrain_cost", self.retrain_cost),
                            ("model_drift_quality_unit_cost", self.quality_unit_cost)):
            if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ValueError(f"var {name} is {value!r}; it must be a number >= 0, or null")
        if (self.retrain_cost is None) != (self.quality_unit_cost is None):
            raise ValueError(
                "set both var model_drift_retrain_cost and var model_drift_quality_unit_cost "
                "for a cost-optimal interval, or neither"
            )

    @property
    def is_set(self) -> bool:
        return self.retrain_cost is not None


def _by_cutoff_and_age(losses: pd.DataFrame, ages: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Loss and quality as cutoff x age matrices (NaN where a period has no
    score), which cutoffs score each age, and each cutoff's last age."""
    cutoffs = np.sort(losses["cutoff_number"].unique())
    row = np.searchsorted(cutoffs, losses["cutoff_number"].to_numpy())
    age = losses["model_age_periods"].to_numpy(int)
    keep = age < ages
    loss, quality = np.full((len(cutoffs), ages), np.nan), np.full((len(cutoffs), ages), np.nan)
    loss[row[keep], age[keep]] = losses["loss"].to_numpy()[keep]
    quality[row[keep], age[keep]] = losses["quality"].to_numpy()[keep]
    last_age = losses.groupby("cutoff_number")["model_age_periods"].max().reindex(cutoffs).to_numpy()
    return loss, quality, ~np.isnan(loss), last_age


def _cycle_means(values: np.ndarray, scored: np.ndarray, full: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """For weights over cutoffs (one row per bootstrap draw; ones for the
    estimate): the mean over cycles of each length k of the cycle's mean
    value; every cycle a cutoff replays in full weighs the same."""
    per_cycle = np.nancumsum(values, axis=1) / np.maximum(np.cumsum(scored, axis=1), 1)
    counted = weights @ full
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (weights @ np.where(full, per_cycle, 0.0)) / counted
    return np.where(counted > 0, means, np.nan)


def _pooled_loss(loss: np.ndarray, scored: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Loss by age pooled over cutoffs, made non-decreasing with age (a model
    does not get better by getting older; isotonic regression weighted by
    how many cutoffs reach each age), so one noisy period cannot decide.
    One row per row of weights."""
    reach = weights @ scored
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = (weights @ np.nan_to_num(loss)) / reach
    ages = np.arange(loss.shape[1], dtype=float)
    out = np.empty_like(pooled)
    for i in range(len(pooled)):
        known = reach[i] > 0
        smooth = IsotonicRegression(increasing=True, out_of_bounds="clip")
        out[i] = smooth.fit(ages[known], pooled[i, known], sample_weight=reach[i, known]).predict(ages)
    return out


def policy_table(
    scores: pd.DataFrame,
    metric: str,
    settings: DecaySettings,
    costs: PolicyCosts = PolicyCosts(),
) -> pd.DataFrame:
    """model_drift__retraining_policy_backtest: one row per training spec
    ('all' and each window) and interval k = 1 .. the longest cycle that
    MIN_CYCLES cutoffs replay in full."""
    history_periods = scores["eval_period_start"].nunique()
    specs = scores.loc[scores["spec_kind"].isin(["all", "window"]), "spec_name"].unique()
    generator = np.random.default_rng(settings.seed)
    tables = []
    for spec in sorted(specs, key=lambda s: (s != "all", len(s), s)):
        losses = fresh_losses(scores, spec, metric, settings.fresh_periods)
        if losses["cutoff_number"].nunique() < MIN_CYCLES:
            continue
        last_ages = np.sort(losses.groupby("cutoff_number")["model_age_periods"].max().to_numpy())
        longest = int(last_ages[-MIN_CYCLES]) + 1
        intervals = np.arange(1, longest + 1)
        loss, quality, scored, last_age = _by_cutoff_and_age(losses, longest)
        full = last_age[:, None] >= intervals[None, :] - 1  # cutoff replays a whole cycle of length k
        fresh_level = float(losses.groupby("cutoff_number")["fresh_quality"].first().mean())
        tolerance = settings.in_metric_units(fresh_level)

        ones = np.ones((1, len(last_age)))
        # bootstrap over cutoffs: the same replay with cutoffs drawn with replacement
        draws = np.stack([
            np.bincount(generator.integers(0, len(last_age), len(last_age)), minlength=len(last_age))
            for _ in range(settings.bootstrap)
        ]).astype(float)
        with np.errstate(invalid="ignore"):  # an interval no drawn cutoff replays in full is NaN in that draw
            mean_low, mean_high = np.nanquantile(_cycle_means(loss, scored, full, draws), [0.025, 0.975], axis=0)
            end_low, end_high = np.nanquantile(_pooled_loss(loss, scored, draws), [0.025, 0.975], axis=0)
        end_loss = _pooled_loss(loss, scored, ones)[0]
        worst = np.array([np.nanmin(quality[full[:, k - 1], :k]) for k in intervals])
        table = pd.DataFrame({
            "spec_name": spec,
            "window_periods": None if spec == "all" else int(spec.split("_")[1]),
            "retrain_every_periods": intervals,
            "metric_name": metric,
            "cutoff_count": full.sum(axis=0),
            "mean_quality": to_metric(_cycle_means(quality, scored, full, ones)[0], metric),
            "fresh_quality": to_metric(fresh_level, metric),
            "mean_loss": _cycle_means(loss, scored, full, ones)[0],
            "mean_loss_low": mean_low,
            "mean_loss_high": mean_high,
            "end_of_cycle_loss": end_loss,
            "end_of_cycle_loss_low": end_low,
            "end_of_cycle_loss_high": end_high,
            "worst_period_quality": to_metric(worst, metric),
            "retrains_over_history": np.ceil(history_periods / intervals).astype(int),
            "history_periods": history_periods,
            "tolerance_in_metric_units": tolerance,
            "is_within_tolerance": end_loss <= tolerance,
        })
        tables.append(table)
    if not tables:
        raise ValueError(
            f"the policy backtest needs at least {MIN_CYCLES} cutoffs with scores for all history or a window; "
            "raise model_drift_backtest_cutoffs or collect more history"
        )
    return _with_costs(pd.concat(tables, ignore_index=True), costs)


def _with_costs(table: pd.DataFrame, costs: PolicyCosts) -> pd.DataFrame:
    """Cost per period of each policy: its retrains, plus the quality it loses
    against an always-fresh model; the cheapest interval of each spec."""
    if not costs.is_set:
        table["cost_per_period"] = None
        table["is_cost_optimal"] = False
        return table
    table["cost_per_period"] = (
        costs.retrain_cost / table["retrain_every_periods"]
        + costs.quality_unit_cost * table["mean_loss"].clip(lower=0)
    )
    cheapest = table.groupby("spec_name")["cost_per_period"].transform("min")
    table["is_cost_optimal"] = table["cost_per_period"] == cheapest
    # ties: the longest interval (fewest retrains) among the cheapest
    longest = table[table["is_cost_optimal"]].groupby("spec_name")["retrain_every_periods"].transform("max")
    table.loc[table["is_cost_optimal"], "is_cost_optimal"] = (
        table.loc[table["is_cost_optimal"], "retrain_every_periods"] == longest
    )
    return table


def largest_interval_within(losses: np.ndarray, intervals: np.ndarray, tolerance: float) -> int | None:
    """The largest interval whose loss (non-decreasing in k) stays within the
    tolerance; None when every interval tried does (no limit seen), 0 when
    not even retraining every period does."""
    within = losses <= tolerance
    if within.all():
        return None
    return int(intervals[within].max()) if within.any() else 0


__all__ = ["PolicyCosts", "policy_table", "largest_interval_within", "MIN_CYCLES"]

"""Q5's evidence: every candidate retraining policy "retrain every k
periods on training spec s" replayed on the replay grid (``replay.py``),
with no new fit, and what each would cost."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from model_drift.errors import UserError
from model_drift.replay import DecaySettings, grid_from_scores, policy_rows, to_metric


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
                raise UserError(f"var {name} is {value!r}; it must be a number >= 0, or null")
        if (self.retrain_cost is None) != (self.quality_unit_cost is None):
            raise UserError(
                "set both var model_drift_retrain_cost and var model_drift_quality_unit_cost "
                "for a cost-optimal interval, or neither"
            )

    @property
    def is_set(self) -> bool:
        return self.retrain_cost is not None


def policy_table(
    scores: pd.DataFrame,
    metric: str,
    settings: DecaySettings,
    costs: PolicyCosts = PolicyCosts(),
) -> pd.DataFrame:
    """model_drift__retraining_policy_backtest: one row per training spec
    ('all' and each window) and interval k (a multiple of the grid's step),
    up to the longest interval the replay judges on MIN_PERIODS periods."""
    table = policy_rows(grid_from_scores(scores, metric), settings)
    for column in ("mean_quality", "baseline_quality", "worst_period_quality"):
        table[column] = to_metric(table[column], metric)
    table["metric_name"] = metric
    table["window_periods"] = [None if s == "all" else int(s.split("_")[1]) for s in table["spec_name"]]
    return _with_costs(table, costs)


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


__all__ = ["PolicyCosts", "policy_table"]

"""Q5: the five answers as decisions, one row per question, read off the
marts that hold the evidence (decay summary, arrival summary, learning-curve
fit, window comparison, policy backtest). Every number here is looked up or
combined; nothing is estimated again."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from model_drift.policy import largest_interval_within

QUESTIONS = {
    1: "How quickly does quality go down in production?",
    2: "How often do you receive new data and labels?",
    3: "How much data does the model need?",
    4: "Should you drop the old data?",
    5: "How often should you retrain?",
}
BACKING_TABLES = {
    1: "model_drift__decay_summary",
    2: "model_drift__arrival_summary",
    3: "model_drift__learning_curve_fit",
    4: "model_drift__training_window_comparison",
    5: "model_drift__retraining_policy_backtest",
}


@dataclasses.dataclass(frozen=True)
class Evidence:
    """The one-row summaries and tables the answers are read from."""

    period: str  # hour | day | week | month
    decay: pd.Series  # model_drift__decay_summary's row
    arrival: pd.Series  # model_drift__arrival_summary's overall row
    learning: pd.Series  # model_drift__learning_curve_fit's row
    windows: pd.DataFrame  # model_drift__training_window_comparison
    policy: pd.DataFrame  # model_drift__retraining_policy_backtest
    alert_max_psi: float = 0.2

    @property
    def unit(self) -> str:
        return f"{self.period}s"


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value is not pd.NA


def _periods(value: float, unit: str) -> str:
    """'12 days', '1 day': a count of periods in words (unit is plural)."""
    return f"{value:,.0f} {unit}" if round(value) != 1 else f"1 {unit[:-1]}"


def _row(number: int, answer: str, value, unit: str, low=None, high=None, confidence: str = "medium",
         spec_name: str | None = None, limited_by: str | None = None, cost_optimal_value=None) -> dict:
    return {
        "question_number": number, "question": QUESTIONS[number], "answer": answer,
        "value": value if _known(value) else None, "unit": unit,
        "low": low if _known(low) else None, "high": high if _known(high) else None,
        "confidence": confidence, "backing_table": BACKING_TABLES[number], "spec_name": spec_name,
        "limited_by": limited_by, "cost_optimal_value": cost_optimal_value,
    }


def decay_answer(e: Evidence) -> dict:
    d = e.decay
    tolerance = f"{d.tolerance_in_metric_units:.3g} {d.metric_name}"
    if d.regime == "none":
        return _row(1, f"Quality does not go down measurably: over {_periods(d.horizon_periods, e.unit)} a model loses "
                       f"less than {tolerance} (at most {d.loss_at_horizon_high:.3g}).",
                    None, e.unit, confidence="high" if d.cutoff_count >= 5 else "medium")
    if _known(d.periods_to_tolerance):
        interval = (f" (95% interval {d.periods_to_tolerance_low:.0f} to {d.periods_to_tolerance_high:.0f})"
                    if _known(d.periods_to_tolerance_high) else f" (at least {d.periods_to_tolerance_low:.0f})")
        when = f"a freshly trained model loses {tolerance} after about {_periods(d.periods_to_tolerance, e.unit)}{interval}"
    else:
        when = f"a model does not lose {tolerance} within the {_periods(d.horizon_periods, e.unit)} observed"
    bounded = _known(d.periods_to_tolerance_high) and d.periods_to_tolerance_high <= 3 * max(d.periods_to_tolerance_low, 1)
    confidence = "low" if d.regime == "too noisy" else ("high" if d.cutoff_count >= 5 and bounded else "medium")
    return _row(1, f"Decay is {d.regime}: {when}; {d.reason}.", d.periods_to_tolerance, e.unit,
                d.periods_to_tolerance_low, d.periods_to_tolerance_high, confidence)


def arrival_answer(e: Evidence) -> dict:
    a = e.arrival
    steady = a.period_count >= 28 and a.gap_period_count <= 0.05 * a.period_count
    return _row(2, a.answer, a.labels_per_period_recent, f"labelled rows per {e.period}",
                confidence="high" if steady else "medium")


def learning_answer(e: Evidence) -> dict:
    f = e.learning
    if f.is_still_rising or not _known(f.rows_for_95pct):
        return _row(3, f"More than the {f.largest_rows_tried:,} newest rows tried: quality is still rising, so more "
                       "data would help; raise model_drift_backtest_row_counts to find the plateau.",
                    None, "rows", low=float(f.largest_rows_tried), confidence="low")
    periods = (f", {_periods(f.periods_for_95pct, e.unit)} of labels at the recent rate"
               if _known(f.periods_for_95pct) else "")
    more = f"; {f.rows_for_99pct:,.0f} reach 99%" if _known(f.rows_for_99pct) else ""
    return _row(3, f"About {f.rows_for_95pct:,.0f} labelled rows reach 95% of the way to the plateau of "
                   f"{f.plateau_quality:.3f} {f.metric_name}{periods}{more}.",
                f.rows_for_95pct, "rows", confidence="high" if _known(f.r2) and f.r2 >= 0.9 else "medium")


def chosen_window(e: Evidence) -> tuple[str, int | None, str]:
    """The training spec to retrain on: Q4's verdict, widened when Q3 says
    the window holds too few labelled rows (to the smallest compared
    window that holds enough, else all history). Returns (spec, periods, why)."""
    recommended = e.windows[e.windows["is_recommended"]].iloc[0]
    if recommended.spec_name == "all":
        return "all", None, ""
    rate, needed = e.learning.labelled_rows_per_period, e.learning.rows_for_95pct
    if not (_known(rate) and _known(needed)) or recommended.window_periods * rate >= needed:
        return recommended.spec_name, int(recommended.window_periods), ""
    enough = e.windows[e.windows["window_periods"].notna() & (e.windows["window_periods"] * rate >= needed)]
    why = (f" widened from {_periods(recommended.window_periods, e.unit)}, which holds about "
           f"{recommended.window_periods * rate:,.0f} labelled rows, fewer than the {needed:,.0f} Q3 asks for")
    if len(enough):
        wider = enough.sort_values("window_periods").iloc[0]
        return wider.spec_name, int(wider.window_periods), why
    return "all", None, why


def window_answer(e: Evidence) -> dict:
    spec, periods, widened = chosen_window(e)
    recommended = e.windows[e.windows["is_recommended"]].iloc[0]
    verdict = recommended.verdict[0].upper() + recommended.verdict[1:]
    if widened:
        text = f"{verdict} by the comparison, but train on {'all history' if spec == 'all' else _periods(periods, e.unit)}:{widened}."
        confidence = "low"
    else:
        text = f"{verdict}: {recommended.reason}."
        clear = spec != "all" and recommended.difference_low > 0
        confidence = "high" if clear and recommended.cutoff_count >= 5 else "medium"
    return _row(4, text, periods, e.unit, confidence=confidence, spec_name=spec)


def _floors(e: Evidence) -> list[tuple[int, str, str]]:
    """Intervals below which a retrain is pointless: (periods, limited_by, why)."""
    a, floors = e.arrival, []
    if _known(a.label_delay_hours_p90) and a.period_hours:
        delay = max(1, math.ceil(a.label_delay_hours_p90 / a.period_hours))
        floors.append((delay, "label delay",
                       f"90% of labels take {a.label_delay_hours_p90:.1f} h, so a model's first {e.period} is checked "
                       f"{_periods(delay, e.unit)} after it ships"))
    if _known(a.periods_to_labelled_rows_needed):
        data = max(1, math.ceil(a.periods_to_labelled_rows_needed))
        floors.append((data, "new labelled data",
                       f"{a.labelled_rows_needed:,.0f} new labelled rows (var model_drift_labelled_rows_needed) take "
                       f"{_periods(data, e.unit)} to arrive"))
    return floors


def retraining_answer(e: Evidence) -> dict:
    d = e.decay
    spec, _, _ = chosen_window(e)
    policy = e.policy[e.policy["spec_name"] == spec].sort_values("retrain_every_periods")
    if policy.empty:  # the chosen window was not replayed (too short a history): fall back to all history
        spec, policy = "all", e.policy[e.policy["spec_name"] == "all"].sort_values("retrain_every_periods")
    intervals = policy["retrain_every_periods"].to_numpy()
    tolerance = float(policy["tolerance_in_metric_units"].iloc[0])
    on = "all history" if spec == "all" else f"the last {_periods(int(spec.split('_')[1]), e.unit)}"
    costly = policy[policy["is_cost_optimal"]]
    cost_optimal = float(costly["retrain_every_periods"].iloc[0]) if len(costly) else None
    cost_text = (f" At the costs set, retraining every {_periods(cost_optimal, e.unit)} is cheapest "
                 f"({costly['cost_per_period'].iloc[0]:,.2f} per {e.period})." if cost_optimal else "")
    monitoring = (f"Monitor instead: switch on the alerts (var model_drift_alerts) for quality below the tolerance, "
                  f"labels that stop arriving, and feature drift above PSI {e.alert_max_psi:g}; retrain when one fires.")

    best = largest_interval_within(policy["end_of_cycle_loss"].to_numpy(), intervals, tolerance)
    if d.regime == "none" or best is None:
        seen = _periods(int(intervals.max()), e.unit)
        reason = ("decay is none" if d.regime == "none"
                  else f"no replayed cycle up to {seen} lost more than {tolerance:.3g} {d.metric_name}")
        return _row(5, f"No scheduled retraining needed: {reason}. {monitoring}{cost_text}", None, e.unit,
                    confidence="high" if d.regime == "none" and d.cutoff_count >= 5 else "medium",
                    spec_name=spec, limited_by="no decay", cost_optimal_value=cost_optimal)

    low = largest_interval_within(policy["end_of_cycle_loss_high"].to_numpy(), intervals, tolerance)
    high = largest_interval_within(policy["end_of_cycle_loss_low"].to_numpy(), intervals, tolerance)
    interval, limited_by, notes = max(best, 1), "tolerance", []
    # the decay curve of the same training spec: when its fitted loss reaches
    # the tolerance sooner (it counts loss from the fitted age 0, the replay
    # from the first model_drift_decay_fresh_periods), the sooner one stands
    decay_bound = (max(1, math.floor(d.periods_to_tolerance))
                   if d.spec_name == spec and d.regime in ("gradual", "abrupt") and _known(d.periods_to_tolerance) else None)
    if decay_bound is not None and decay_bound < interval:
        notes.append(f"the replay alone would allow {_periods(interval, e.unit)}, but the decay curve of the same "
                     f"training spec reaches the tolerance at {_periods(d.periods_to_tolerance, e.unit)}")
        interval, limited_by = decay_bound, "decay curve"
    floor, floor_name, floor_why = max(_floors(e), default=(1, None, ""))
    if floor > interval:
        notes.append(f"the tolerance alone would allow {_periods(best, e.unit) if best else 'less than one ' + e.period}, "
                     f"but {floor_why}; expect to lose up to "
                     f"{policy.loc[policy['retrain_every_periods'] == min(floor, intervals.max()), 'end_of_cycle_loss'].iloc[0]:.3g} "
                     f"{d.metric_name} before each retrain")
        interval, limited_by = floor, floor_name
    if d.regime == "abrupt":
        notes.append(f"quality fell in one step at {pd.Timestamp(d.abrupt_change_at):%Y-%m-%d}, which no schedule "
                     "foresees: let the quality_below_tolerance alert trigger a retrain after such a step")
    chosen = policy[policy["retrain_every_periods"] == min(interval, intervals.max())].iloc[0]
    narrow = low is not None and high is not None and low >= 0.5 * best and high <= 2 * max(best, 1)
    if d.regime == "too noisy" or limited_by in ("label delay", "new labelled data") or chosen.cutoff_count < 4:
        confidence = "low"
    elif narrow and chosen.cutoff_count >= 5 and limited_by == "tolerance":
        confidence = "high"
    else:
        confidence = "medium"
    text = (f"Retrain every {_periods(interval, e.unit)} on {on}: replayed on history, that keeps the loss against "
            f"an always-fresh model within {tolerance:.3g} {d.metric_name} (end of cycle {chosen.end_of_cycle_loss:+.3f}, "
            f"average {chosen.mean_loss:+.3f}) with {chosen.retrains_over_history:,} retrains over "
            f"{_periods(chosen.history_periods, e.unit)}.")
    if notes:
        text += " Note: " + "; ".join(notes) + "."
    # the range from the bootstrap ends of the replayed loss (None: within the
    # tolerance for every interval replayed), holding the interval chosen
    low = min(int(intervals.max()) if low is None else max(low, 1), interval)
    high = max(int(intervals.max()) if high is None else max(high, 1), interval)
    return _row(5, text + cost_text, float(interval), e.unit, float(low), float(high),
                confidence, spec, limited_by, cost_optimal)


def recommendations_table(e: Evidence) -> pd.DataFrame:
    """model_drift__retraining_recommendations: one row per question."""
    rows = [decay_answer(e), arrival_answer(e), learning_answer(e), window_answer(e), retraining_answer(e)]
    return pd.DataFrame(rows)


__all__ = ["Evidence", "recommendations_table", "chosen_window", "QUESTIONS"]

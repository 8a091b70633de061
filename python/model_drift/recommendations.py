"""Q5: the five answers as decisions, one row per question, read off the
marts that hold the evidence (decay summary, arrival summary, learning-curve
fit, window comparison, policy backtest). Every number here is looked up or
combined; nothing is estimated again."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from model_drift.errors import UserError
from model_drift.replay import UPPER_QUANTILE, largest_interval

# floors a user can switch on (var model_drift_retrain_floors)
FLOORS = ("label_delay", "labelled_rows_needed")

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
    alert_max_psi: float  # var model_drift_alert_max_psi, named in the monitoring advice
    floors: tuple[str, ...]  # var model_drift_retrain_floors

    def __post_init__(self) -> None:
        unknown = sorted(set(self.floors) - set(FLOORS))
        if unknown:
            raise UserError(f"var model_drift_retrain_floors lists {unknown}; use any of {list(FLOORS)}, "
                            "e.g. [label_delay]")

    @property
    def unit(self) -> str:
        return f"{self.period}s"


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value is not pd.NA


def _periods(value: float, unit: str) -> str:
    """'12 days', '1 day': a count of periods in words (unit is plural)."""
    return f"{value:,.0f} {unit}" if round(value) != 1 else f"1 {unit[:-1]}"


def _positive(loss: float) -> str:
    """A loss for a sentence: a policy cannot gain on the best one, so below zero reads as none."""
    return f"{loss:.3g}" if loss > 0 else "0"


def _average(loss: float) -> str:
    return f"{loss:.3g} on average" if loss > 0 else "none on average"


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
                       f"less than {tolerance} (at most {_positive(d.loss_at_horizon_high)}).",
                    None, e.unit, confidence="high" if d.cutoff_count >= 5 else "medium")
    if _known(d.periods_to_tolerance):
        interval = (f" (95% interval {d.periods_to_tolerance_low:.0f} to {d.periods_to_tolerance_high:.0f})"
                    if _known(d.periods_to_tolerance_high) else f" (at least {d.periods_to_tolerance_low:.0f})")
        when = (f"a freshly trained model loses {tolerance} after about "
                f"{_periods(d.periods_to_tolerance, e.unit)}{interval}")
    else:
        when = f"a model does not lose {tolerance} within the {_periods(d.horizon_periods, e.unit)} observed"
    bounded = (_known(d.periods_to_tolerance_high)
               and d.periods_to_tolerance_high <= 3 * max(d.periods_to_tolerance_low, 1))
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
    if _known(f.get("note")):
        return _row(3, f"Cannot tell yet: {f.note}.", None, "rows", confidence="low")
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


def recommended_window(e: Evidence) -> tuple[str, int | None]:
    """Q4's verdict: the training spec every retrain uses."""
    recommended = e.windows[e.windows["is_recommended"]].iloc[0]
    return recommended.spec_name, None if recommended.spec_name == "all" else int(recommended.window_periods)


def window_answer(e: Evidence) -> dict:
    spec, periods = recommended_window(e)
    recommended = e.windows[e.windows["is_recommended"]].iloc[0]
    verdict = recommended.verdict[0].upper() + recommended.verdict[1:]
    clear = spec != "all" and recommended.paired_periods >= 20
    steady = spec == "all" and recommended.paired_periods >= 20
    short = _short_history(e) if spec != "all" else None  # a window follows a trend a season can reverse
    note = f" Note: {short}." if short else ""
    return _row(4, f"{verdict}: {recommended.reason}.{note}", periods, e.unit,
                confidence="high" if (clear and not short) or steady else "medium", spec_name=spec)


def _short_history(e: Evidence) -> str | None:
    """A history shorter than a year cannot show a seasonal change: the
    replay's verdicts hold for conditions like the history's (measured on
    real data: a window chosen in a warming spring lost in the cooling autumn)."""
    first, last = e.arrival.get("first_event_at"), e.arrival.get("last_event_at")
    if not (_known(first) and _known(last)):
        return None
    days = (pd.Timestamp(last) - pd.Timestamp(first)) / pd.Timedelta(days=1) + float(e.arrival.period_hours) / 24
    if days >= 365:
        return None
    return (f"the history spans {days:.0f} days, less than a year, so a seasonal change it has not seen can undo "
            "this advice: keep the quality_below_tolerance alert on (var model_drift_alerts) and rebuild as the "
            "seasons turn")


def _floors(e: Evidence) -> list[tuple[int, str, str]]:
    """The floors the user switched on (var model_drift_retrain_floors):
    (periods, limited_by, why)."""
    a, floors = e.arrival, []
    if "label_delay" in e.floors and _known(a.label_delay_hours_p90) and a.period_hours:
        delay = max(1, math.ceil(a.label_delay_hours_p90 / a.period_hours))
        floors.append((delay, "label delay",
                       f"90% of labels take {a.label_delay_hours_p90:.1f} h, so a model's first {e.period} is checked "
                       f"{_periods(delay, e.unit)} after it ships"))
    if "labelled_rows_needed" in e.floors and _known(a.periods_to_labelled_rows_needed):
        data = max(1, math.ceil(a.periods_to_labelled_rows_needed))
        floors.append((data, "new labelled data",
                       f"{a.labelled_rows_needed:,.0f} new labelled rows (var model_drift_labelled_rows_needed) take "
                       f"{_periods(data, e.unit)} to arrive"))
    return floors


def retraining_answer(e: Evidence) -> dict:
    d = e.decay
    spec, _ = recommended_window(e)
    policy = (e.policy[e.policy["spec_name"] == spec]
              .sort_values("retrain_every_periods").set_index("retrain_every_periods"))
    first = policy.iloc[0]
    step, tolerance, metric = int(policy.index[0]), float(first.tolerance_in_metric_units), d.metric_name
    on = "all history" if spec == "all" else f"the last {_periods(int(spec.split('_')[1]), e.unit)}"
    best = ("all history" if first.baseline_spec_name == "all"
            else first.baseline_spec_name.replace("_", " of ") + " " + e.unit)
    baseline = f"retraining every {_periods(step, e.unit)} on {best}"
    costly = e.policy[(e.policy["spec_name"] == spec) & e.policy["is_cost_optimal"]]
    cost_optimal = float(costly["retrain_every_periods"].iloc[0]) if len(costly) else None
    cost_text = (f" At the costs set, retraining every {_periods(cost_optimal, e.unit)} is cheapest "
                 f"({costly['cost_per_period'].iloc[0]:,.2f} per {e.period})." if cost_optimal else "")
    monitoring = ("Monitor instead: switch on the alerts (var model_drift_alerts) for quality below the tolerance, "
                  f"labels that stop arriving and feature drift above PSI {e.alert_max_psi:g}, "
                  "and retrain when one fires.")
    confidence_words = f"{UPPER_QUANTILE:.0%} upper bound"
    interval, longest = largest_interval(e.policy, spec)
    point, _ = largest_interval(e.policy, spec, column="mean_loss")
    short = _short_history(e)

    if interval is None:
        row = policy.loc[longest]
        text = (f"No scheduled retraining needed within the {_periods(longest, e.unit)} replayed: no interval up to "
                f"that, on {on}, loses more than the tolerance of {tolerance:.3g} {metric} beyond the noise between "
                f"periods (a model kept that long: {_average(row.mean_loss)}, {confidence_words} "
                f"{_positive(row.mean_loss_high)}, against {baseline}). {monitoring}")
        if short:
            text += f" Note: {short}."
        return _row(5, text + cost_text, None, e.unit, float(longest), None,
                    "high" if row.evaluation_periods >= 20 and not short else "medium", spec, "no decay seen",
                    cost_optimal)

    limited_by, notes = "tolerance", []
    if interval == 0:
        interval, limited_by = step, "tolerance not reachable"
        notes.append(f"even retraining every {_periods(step, e.unit)} loses {policy.loc[step].mean_loss:.3g} "
                     f"{metric} on average against {baseline}, more than the tolerance")
    floor, floor_name, floor_why = max(_floors(e), default=(0, None, ""))
    if floor > interval:
        floor = min(step * math.ceil(floor / step), longest)
        notes.append(f"the tolerance alone allows {_periods(interval, e.unit)}, but {floor_why}")
        interval, limited_by = floor, floor_name
    row = policy.loc[interval]
    unsteady = ((row.first_half_loss > tolerance) != (row.second_half_loss > tolerance))
    if unsteady:
        notes.append(f"the two halves of the replayed periods disagree ({row.first_half_loss:+.3g} then "
                     f"{row.second_half_loss:+.3g}), so the decay may not hold steady")
    if d.regime == "abrupt" and _known(d.abrupt_change_at):
        notes.append(f"quality also fell in one step at {pd.Timestamp(d.abrupt_change_at):%Y-%m-%d}, which no "
                     "schedule foresees: let the quality_below_tolerance alert trigger a retrain after such a step")
    if short:
        notes.append(short)
    text = (f"Retrain every {_periods(interval, e.unit)} on {on}. Replayed on the last "
            f"{_periods(int(row.history_periods), e.unit)}, that loses at most "
            f"{_positive(row.mean_loss_high)} {metric} "
            f"({confidence_words}; {_average(row.mean_loss)}) against {baseline}, "
            f"{'within' if row.is_within_tolerance else 'beyond'} the tolerance of {tolerance:.3g}, with "
            f"{int(row.retrains_over_history):,} retrains.")
    if notes:
        text += " Note: " + "; ".join(notes) + "."
    if unsteady or limited_by != "tolerance" or row.evaluation_periods < 10:
        confidence = "low"
    elif row.evaluation_periods >= 20 and row.mean_loss_high - row.mean_loss_low < tolerance and not short:
        confidence = "high"
    else:
        confidence = "medium"
    high = longest if point is None else max(point, interval)
    return _row(5, text + cost_text, float(interval), e.unit, float(interval), float(high),
                confidence, spec, limited_by, cost_optimal)


def recommendations_table(e: Evidence) -> pd.DataFrame:
    """model_drift__retraining_recommendations: one row per question."""
    rows = [decay_answer(e), arrival_answer(e), learning_answer(e), window_answer(e), retraining_answer(e)]
    return pd.DataFrame(rows)


__all__ = ["Evidence", "recommendations_table", "recommended_window", "QUESTIONS", "FLOORS"]

"""One self-contained HTML report of the marts: the five answers, then charts.

`python -m model_drift report [DUCKDB_FILE] [--out PATH]` writes it. The file
works offline: CSS inline, every chart an inline SVG drawn by matplotlib (text
kept as text), no script, no font, image or link fetched from anywhere.

Each chart is a pure function from DataFrames to SVG text. A mart that was not
built (the Python backtest marts, the Q5 tables) becomes a "not built" panel
naming the table, never an error; a mart that says why it has no chart (the
learning curve's note, a hindsight check that cannot judge) becomes a panel
with its words. The command itself writes no report for a file without the
answers (model_drift.answers.NEEDED): it exits 2 with one line saying so.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import itertools
import pathlib
import re
from collections.abc import Callable

import duckdb
import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from model_drift.answers import ARRIVAL_SUMMARY, arrival_answers, experiment_answers, open_marts  # noqa: E402
from model_drift.metrics import HIGHER_IS_BETTER  # noqa: E402
from model_drift.recommendations import QUESTIONS  # noqa: E402

RECOMMENDATIONS = "model_drift__retraining_recommendations"
POLICY = "model_drift__retraining_policy_backtest"
ADVICE_CHECK = "model_drift__advice_check"
LEARNING_FIT = "model_drift__learning_curve_fit"
# Where each answer comes from when the recommendations table is not there.
ANSWER_TABLES = {
    1: "model_drift__decay_summary",
    2: ARRIVAL_SUMMARY,
    3: "model_drift__learning_curve_fit",
    4: "model_drift__training_window_comparison",
    5: RECOMMENDATIONS,
}
# What the report reads, with the rows it needs (the overall slice only).
TABLES = {
    RECOMMENDATIONS: "order by question_number",
    ARRIVAL_SUMMARY: "where segment_column = 'all'",
    "model_drift__arrival_by_period": "where segment_column = 'all' order by period_start",
    "model_drift__decay_curve": "order by model_age_periods",
    "model_drift__decay_summary": "",
    "model_drift__learning_curve": "order by train_rows",
    LEARNING_FIT: "",
    "model_drift__training_window_comparison": "order by window_periods nulls first",
    POLICY: "order by spec_name, retrain_every_periods",
    ADVICE_CHECK: "order by spec_name, retrain_every_periods nulls last",
    "model_drift__performance_by_period": "where segment_column = 'all' order by period_start",
    "model_drift__feature_drift_by_period": (
        "where segment_column = 'all' and feature_role = 'feature' order by period_start"
    ),
}
DEFAULT_METRICS = ("roc_auc", "accuracy", "mae")
LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": 9}  # beside the plot, never on the data
BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"
STYLE = {
    "svg.fonttype": "none",          # text stays text: searchable, crisp, no embedded glyphs
    "svg.hashsalt": "model_drift",   # the same marts give the same file
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
}


# --------------------------------------------------------------------------- reading


def read_marts(database: str | pathlib.Path) -> dict[str, pd.DataFrame]:
    """The marts the report uses, read-only; a table that is not there is left out."""
    marts = {}
    with open_marts(database) as (connection, present):
        for table, clause in TABLES.items():
            if table in present:
                try:
                    marts[table] = connection.sql(f"select * from {table} {clause}").df()
                except duckdb.Error:  # not the columns expected: read as is, the chart says what is wrong
                    marts[table] = connection.sql(f"select * from {table}").df()
    return marts


# --------------------------------------------------------------------------- charts


def _svg(figure: plt.Figure, name: str) -> str:
    """The figure as inline SVG: no XML prolog, no namespace URLs, ids prefixed by
    the chart's name so several charts can share one page."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight",
                   metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
    plt.close(figure)
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)
    text = text.replace("xlink:href=", "href=")
    text = re.sub(r'id="([^"]+)"', rf'id="{name}-\1"', text)
    text = re.sub(r'(href="#|url\(#)([^")]+)', rf"\g<1>{name}-\2", text)
    return text.replace("<svg ", f'<svg role="img" aria-label="{html.escape(name)} chart" ', 1)


def _figure(width: float = 11.0, height: float = 4.2, **kwargs) -> tuple[plt.Figure, object]:
    """A figure in the report's size; call inside plt.rc_context(STYLE)."""
    return plt.subplots(figsize=(width, height), **kwargs)


def _dates(axis) -> None:
    locator = mdates.AutoDateLocator()
    axis.xaxis.set_major_locator(locator)
    axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _tolerance_line(fresh: float, tolerance: float, metric: str) -> float:
    """The quality at which the loss reaches the tolerance, whichever way is better."""
    return fresh - tolerance if HIGHER_IS_BETTER.get(metric, True) else fresh + tolerance


def decay_tolerance(curve: pd.DataFrame, summary: pd.DataFrame) -> tuple[float, float]:
    """(baseline, tolerance line) of the decay chart: the fitted quality at age 0, the
    baseline periods_to_tolerance is measured from, and that minus the tolerance in the
    metric's direction, so the drawn crossing is the one the summary names."""
    youngest = curve.sort_values("model_age_periods").iloc[0]
    baseline = youngest.fitted_quality if pd.notna(youngest.fitted_quality) else summary.iloc[0].fresh_quality
    metric = str(summary.metric_name.iloc[0]) if "metric_name" in summary else str(curve.metric_name.iloc[0])
    return float(baseline), _tolerance_line(float(baseline), float(summary.iloc[0].tolerance_in_metric_units), metric)


def decay_chart(curve: pd.DataFrame, summary: pd.DataFrame | None = None, unit: str = "periods") -> str:
    """Q1: quality by model age with its band, the fitted curve and the tolerance, drawn from
    the fitted quality at age 0 (the loss periods_to_tolerance is measured on)."""
    metric = str(curve.metric_name.iloc[0])
    with plt.rc_context(STYLE):
        figure, axes = _figure()
        axes.fill_between(curve.model_age_periods, curve.band_low, curve.band_high,
                          color=BLUE, alpha=0.18, lw=0, label="band over cutoffs")
        axes.plot(curve.model_age_periods, curve.expected_quality, color=BLUE, lw=1, label="measured")
        axes.plot(curve.model_age_periods, curve.fitted_quality, color=ORANGE, lw=2, label="fitted")
        if summary is not None and len(summary):
            s = summary.iloc[0]
            baseline, line = decay_tolerance(curve, summary)
            axes.axhline(baseline, color=GREY, ls=":", lw=1, label=f"fitted at age 0: {baseline:.3f}")
            axes.axhline(line, color=RED, ls="--", lw=1.2,
                         label=f"tolerance: {s.tolerance_in_metric_units:g} {metric} lost")
            if pd.notna(s.periods_to_tolerance):
                axes.axvline(s.periods_to_tolerance, color=RED, lw=1, alpha=0.7,
                             label=f"reached after {s.periods_to_tolerance:.0f} {unit}")
                axes.plot([s.periods_to_tolerance], [line], "o", ms=7, mfc="none", mec=RED, mew=1.5)
                if pd.notna(s.periods_to_tolerance_low) and pd.notna(s.periods_to_tolerance_high):
                    axes.axvspan(s.periods_to_tolerance_low, s.periods_to_tolerance_high, color=RED, alpha=0.06, lw=0)
            else:
                axes.plot([], [], color=RED, lw=1, alpha=0.7, label="not reached within the ages seen")
        axes.set_title(f"Quality by model age ({metric})")
        axes.set_xlabel(f"model age ({unit} since the training cutoff)")
        axes.set_ylabel(metric)
        axes.legend(**LEGEND)
        return _svg(figure, "decay")


def learning_note(fit: pd.DataFrame | None) -> str | None:
    """The fit's note when there was too little history for a curve, else None."""
    if fit is None or not len(fit) or "note" not in fit:
        return None
    note = fit.note.iloc[0]
    return str(note) if pd.notna(note) and str(note).strip() else None


def plateau_beyond_data(curve: pd.DataFrame, fit: pd.DataFrame | None) -> bool:
    """True when the fitted plateau is not a value the data shows: the curve is still rising
    at the largest size tried, or the plateau lies beyond the best quality seen by more than
    that point's band (above it for higher-is-better metrics, below it for the others)."""
    if fit is None or not len(fit):
        return False
    f = fit.iloc[0]
    if "is_still_rising" in fit and pd.notna(f.is_still_rising) and bool(f.is_still_rising):
        return True
    if pd.isna(f.plateau_quality) or not len(curve):
        return False
    higher = HIGHER_IS_BETTER.get(str(curve.metric_name.iloc[0]), True)
    best = curve.loc[curve.quality.idxmax() if higher else curve.quality.idxmin()]
    return bool(f.plateau_quality > best.band_high if higher else f.plateau_quality < best.band_low)


def learning_chart(curve: pd.DataFrame, fit: pd.DataFrame | None = None) -> str:
    """Q3: quality by training rows (log scale) with its band, the fit and, where the data
    reaches it, the plateau; a plateau beyond the data is said, not drawn."""
    metric = str(curve.metric_name.iloc[0])
    with plt.rc_context(STYLE):
        figure, axes = _figure()
        axes.fill_between(curve.train_rows, curve.band_low, curve.band_high,
                          color=BLUE, alpha=0.18, lw=0, label="band over cutoffs")
        axes.plot(curve.train_rows, curve.quality, "o-", color=BLUE, lw=1, ms=4, label="measured")
        if curve.fitted_quality.notna().any():
            axes.plot(curve.train_rows, curve.fitted_quality, color=ORANGE, lw=2, label="fitted")
        if fit is not None and len(fit):
            f = fit.iloc[0]
            if plateau_beyond_data(curve, fit):
                axes.text(0.98, 0.04, f"no plateau within the sizes tried (largest {curve.train_rows.max():,.0f} rows)",
                          transform=axes.transAxes, ha="right", va="bottom", fontsize=9, color=GREEN)
            elif pd.notna(f.plateau_quality):
                axes.axhline(f.plateau_quality, color=GREEN, ls="--", lw=1.2, label=f"plateau {f.plateau_quality:.3f}")
            if pd.notna(f.rows_for_95pct) and f.rows_for_95pct <= curve.train_rows.max():
                axes.axvline(f.rows_for_95pct, color=RED, lw=1.2,
                             label=f"95% of the gain: {f.rows_for_95pct:,.0f} rows")
        axes.set_xscale("log")
        axes.set_title(f"Learning curve ({metric})")
        axes.set_xlabel("training rows (newest before each cutoff, log scale)")
        axes.set_ylabel(metric)
        axes.legend(**LEGEND)
        return _svg(figure, "learning")


def window_chart(comparison: pd.DataFrame, unit: str = "periods") -> str:
    """Q4: each window's paired difference against all history, with its interval."""
    rows = comparison.reset_index(drop=True)
    metric = str(rows.metric_name.iloc[0])
    labels = [("all history" if pd.isna(w) else f"last {w:.0f} {unit}") for w in rows.window_periods]
    colors = [GREEN if r else BLUE for r in rows.is_recommended.fillna(False)]
    positions = np.arange(len(rows))
    with plt.rc_context(STYLE):
        figure, axes = _figure(height=1.2 + 0.5 * len(rows))
        low = (rows.difference_vs_all - rows.difference_low).clip(lower=0)
        high = (rows.difference_high - rows.difference_vs_all).clip(lower=0)
        for i in positions:
            axes.errorbar(rows.difference_vs_all[i], i, xerr=[[low[i]], [high[i]]], fmt="o",
                          color=colors[i], ms=7, capsize=4, lw=1.5)
        axes.axvline(0, color=GREY, lw=1)
        axes.set_yticks(positions, [label + ("  (recommended)" if rec else "")
                                    for label, rec in zip(labels, rows.is_recommended.fillna(False))])
        for tick, color in zip(axes.get_yticklabels(), colors):
            tick.set_color(color)
        axes.invert_yaxis()
        axes.set_title("Training window against all history (paired over the same periods)")
        axes.set_xlabel(f"{metric} difference vs all history (positive = the window is better)")
        return _svg(figure, "window")


ROUND_INTERVALS = {1, 2, 7, 14, 28, 30, 91, 182, 364, 365}
SERIES_COLORS = [BLUE, ORANGE, GREEN, "#9467bd", "#8c564b", "#e377c2"]
NO_SCHEDULE = "no interval ringed: no scheduled retraining needed within the periods replayed"


def _spec_label(spec: str) -> str:
    return "all history" if spec == "all" else str(spec)


def _loss_axis(axes, losses: pd.Series, highest: pd.Series, tolerance: float | None) -> None:
    """The y axis of a loss chart: from 0 (a loss below 0 is the baseline's noise, not a
    gain: it is drawn at 0, and the legend says how many) to a little above the highest
    value drawn or the tolerance."""
    top = max([v for v in [highest.max(), tolerance] if v is not None and pd.notna(v)] or [0.0])
    axes.axhline(0, color=GREY, lw=0.8)
    axes.set_ylim(0, top * 1.12 if top > 0 else 1e-3)
    below = int((losses < 0).sum())
    if below:
        axes.plot([], [], " ", label=f"{below} below 0 drawn at 0 (no loss)")


def _log_retrains(axes, retrains: pd.Series) -> bool:
    retrains = retrains[retrains > 0]
    log_x = bool(len(retrains)) and retrains.max() / retrains.min() > 20
    if log_x:
        axes.set_xscale("log")
    return log_x


def policy_frontier(policy: pd.DataFrame, keep: tuple[str, float] | None = None) -> pd.DataFrame:
    """One row per spec and number of retrains (intervals k and k + 1 often retrain equally
    often over a finite history): the `keep` (spec_name, interval) row where it is one of
    them, else the longest interval."""
    kept = (policy.spec_name == keep[0]) & (policy.retrain_every_periods == keep[1]) if keep else False
    return (policy.assign(_kept=kept)
            .sort_values(["spec_name", "retrains_over_history", "_kept", "retrain_every_periods"])
            .groupby(["spec_name", "retrains_over_history"]).tail(1)  # the whole row, nulls kept
            .drop(columns="_kept").reset_index(drop=True))


def unringed_reason(recommendations: pd.DataFrame | None, policy: pd.DataFrame | None = None) -> str | None:
    """Why the policy chart rings no interval, in words; None when it rings one."""
    if recommendations is None:
        return f"no interval ringed: {RECOMMENDATIONS} not built"
    q5 = recommendations[recommendations.question_number == 5]
    if not len(q5):
        return "no interval ringed: the recommendations have no Q5 row"
    if pd.isna(q5.value.iloc[0]):
        return NO_SCHEDULE
    chosen = recommended_policy(recommendations)
    if chosen is None:
        return "no interval ringed: the Q5 recommendation names no training spec"
    if policy is not None and not ((policy.spec_name == chosen[0]) & (policy.retrain_every_periods == chosen[1])).any():
        return f"no interval ringed: {chosen[0]}, every {chosen[1]:g} is not among the intervals replayed"
    return None


def policy_chart(policy: pd.DataFrame, recommended: tuple[str, float] | None = None, unit: str = "periods",
                 unringed: str | None = None) -> str:
    """Q5: the frontier of paired loss against retrains, one series per training spec, each
    point its mean loss with its bounds (mean_loss_low..mean_loss_high), never below 0; the
    tolerance, which mean_loss_high is held to; the recommended (spec_name,
    retrain_every_periods) ringed, or, when none is, why not (`unringed`)."""
    metric = str(policy.metric_name.iloc[0])
    frontier = policy_frontier(policy, recommended)
    chosen = (policy[(policy.spec_name == recommended[0]) & (policy.retrain_every_periods == recommended[1])]
              if recommended is not None else policy.iloc[:0])
    named = recommended[0] if len(chosen) else sorted(frontier.spec_name)[0]
    tolerance = policy.tolerance_in_metric_units.dropna()
    tolerance = float(tolerance.iloc[0]) if len(tolerance) else None
    with plt.rc_context(STYLE):
        figure, axes = _figure()
        colors = itertools.cycle(SERIES_COLORS)
        for spec, rows in frontier.groupby("spec_name", sort=True):
            color = next(colors)
            label = _spec_label(spec)
            x = rows.retrains_over_history
            axes.plot(x, rows.mean_loss.clip(lower=0), "o-", color=color, ms=3, lw=1.2, label=f"{label}: mean loss")
            if rows.mean_loss_low.notna().any():
                axes.fill_between(x, rows.mean_loss_low.clip(lower=0), rows.mean_loss_high.clip(lower=0),
                                  color=color, alpha=0.13, lw=0, label=f"{label}: 80% interval")
            if spec != named:
                continue
            axes.plot(x, rows.mean_loss_high.clip(lower=0), ":", color=color, lw=1.2,
                      label=f"{label}: 90% upper bound (held to the tolerance)")
            few = len(rows) <= 8
            for r in rows.itertuples():
                if few or r.retrain_every_periods in ROUND_INTERVALS:
                    axes.annotate(f"every {r.retrain_every_periods:g}", (r.retrains_over_history, max(r.mean_loss, 0)),
                                  textcoords="offset points", xytext=(4, -11), fontsize=8, color=GREY)
        if tolerance is not None:
            axes.axhline(tolerance, color=RED, ls="--", lw=1.2, label=f"tolerance {tolerance:g}")
        if len(chosen):
            spec, every = recommended
            c = chosen.iloc[0]
            axes.plot([c.retrains_over_history], [max(c.mean_loss, 0)], "o", ms=14, mfc="none", mec=RED, mew=2,
                      label=f"recommended: {spec}, every {every:g} {unit}")
        else:
            if unringed is None:
                unringed = (NO_SCHEDULE if recommended is None else
                            f"no interval ringed: {recommended[0]}, every {recommended[1]:g} "
                            "is not among the intervals replayed")
            axes.text(0.98, 0.96, unringed, transform=axes.transAxes, ha="right", va="top", fontsize=9, color=RED)
        _loss_axis(axes, frontier.mean_loss, pd.concat([frontier.mean_loss, frontier.mean_loss_high]), tolerance)
        log_x = _log_retrains(axes, policy.retrains_over_history)
        baseline = policy.baseline_spec_name.dropna() if "baseline_spec_name" in policy else pd.Series(dtype=object)
        against = (f"{_spec_label(baseline.iloc[0])} retrained every fit time" if len(baseline)
                   else "retraining every fit time")
        axes.set_title(f"Retraining policies: quality lost against retrains (intervals in {unit})")
        axes.set_xlabel("retrains over the history" + (" (log scale)" if log_x else ""))
        axes.set_ylabel(f"{metric} lost vs {against}", fontsize=9)
        axes.legend(**LEGEND)
        return _svg(figure, "policy")


def _advice_row(check: pd.DataFrame) -> pd.Series | None:
    advised = check[check.is_advised.fillna(False).astype(bool)] if "is_advised" in check else check.iloc[:0]
    return advised.iloc[0] if len(advised) else None


def advice_cannot_judge(check: pd.DataFrame | None) -> str | None:
    """The reason when the hindsight check could not be judged, else None."""
    if check is None or not len(check):
        return None
    judged = check[check.verdict != "cannot judge"]
    if len(judged):
        return None
    reason = check.reason.dropna()
    return "cannot judge: " + (str(reason.iloc[0]) if len(reason) else "no reason given")


def _policy_words(spec: str, every, unit: str) -> str:
    if pd.isna(every):
        return f"no scheduled retraining on {_spec_label(spec)}"
    return f"retrain every {every:g} {unit} on {_spec_label(spec)}"


def hindsight_sentence(check: pd.DataFrame, unit: str = "periods") -> str:
    """The hindsight check in words: the advice as of as_of_at, its realized loss against the
    tolerance, its retrains against the fewest that stayed within it, and the verdict."""
    cannot = advice_cannot_judge(check)
    if cannot is not None:
        return cannot[0].upper() + cannot[1:] + "."
    first = check.iloc[0]
    metric = str(first.metric_name)
    tolerance = first.tolerance_in_metric_units
    as_of = f"{pd.Timestamp(first.as_of_at):%Y-%m-%d}" if pd.notna(first.as_of_at) else "the middle fit time"
    judged = (f"the {first.judged_periods:.0f} {unit} after it" if pd.notna(first.judged_periods)
              else "the periods after it")
    best = (_spec_label(first.best_spec_name) if pd.notna(first.best_spec_name) else "the best spec") \
        + " retrained at every fit time"
    advised = _advice_row(check)
    parts = []
    if advised is None:
        parts.append(f"As of {as_of}, the advice is not among the policies replayed on {judged}.")
    else:
        within = "within" if bool(advised.is_within_tolerance) else "beyond"
        loss = advised.realized_loss
        lost = (f"it lost {loss:.4g} {metric}" if loss >= 0
                else f"it lost nothing ({-loss:.4g} {metric} better)")
        words = _policy_words(advised.spec_name, advised.retrain_every_periods, unit)
        parts.append(f"As of {as_of}, the advice was: {words}. "
                     f"Replayed on {judged}, {lost} against {best}, {within} the tolerance of {tolerance:.4g}.")
        ok = check[check.is_within_tolerance.fillna(False).astype(bool)]
        if len(ok):
            fewest = ok.retrains.min()
            bests = check[check.is_hindsight_best.fillna(False).astype(bool)]
            named = "; ".join(_policy_words(r.spec_name, r.retrain_every_periods, unit) for r in bests.itertuples())
            parts.append(f"It retrained {advised.retrains:.0f} times; the fewest that stayed within the tolerance "
                         f"was {fewest:.0f}: {named}.")
        else:
            parts.append(f"It retrained {advised.retrains:.0f} times; no policy stayed within the tolerance.")
    parts.append(f"Verdict: {first.verdict}: {first.reason}.")
    return " ".join(parts)


def hindsight_frontier(check: pd.DataFrame) -> pd.DataFrame:
    """One row per spec and number of retrains (over a finite judged stretch many intervals
    retrain equally often): the advised row where it is one of them, else a hindsight best,
    else the longest interval (never retrained counts as the longest)."""
    return (check.assign(_advised=check.is_advised.fillna(False).astype(bool),
                         _best=check.is_hindsight_best.fillna(False).astype(bool),
                         _every=check.retrain_every_periods.astype("float").fillna(np.inf))
            .sort_values(["spec_name", "retrains", "_advised", "_best", "_every"])
            .groupby(["spec_name", "retrains"]).tail(1)
            .drop(columns=["_advised", "_best", "_every"]).reset_index(drop=True))


def hindsight_chart(check: pd.DataFrame, unit: str = "periods") -> str:
    """The advice checked in hindsight: realized loss against retrains over the judged periods,
    one series per spec (never retrained = the 1-retrain point), the tolerance, the advised
    policy ringed and the hindsight best (fewest retrains within the tolerance) marked."""
    rows = check[check.verdict != "cannot judge"].copy()
    metric = str(rows.metric_name.iloc[0])
    rows["retrains"] = rows.retrains.where(rows.retrains.notna() | rows.retrain_every_periods.notna(), 1)
    rows["is_advised"] = rows.is_advised.fillna(False).astype(bool)
    rows["is_hindsight_best"] = rows.is_hindsight_best.fillna(False).astype(bool)
    drawn = hindsight_frontier(rows)
    tolerance = rows.tolerance_in_metric_units.dropna()
    tolerance = float(tolerance.iloc[0]) if len(tolerance) else None
    with plt.rc_context(STYLE):
        figure, axes = _figure()
        colors = itertools.cycle(SERIES_COLORS)
        for spec, part in drawn.groupby("spec_name", sort=True):
            color = next(colors)
            axes.plot(part.retrains, part.realized_loss.clip(lower=0), "o-", color=color, ms=3, lw=1.2,
                      label=f"{_spec_label(spec)}: realized loss")
        marked = rows[rows.is_advised | rows.is_hindsight_best]
        for r in marked.itertuples():  # only the points the sentence names: the rest would crowd the chart
            text = "never" if pd.isna(r.retrain_every_periods) else f"every {r.retrain_every_periods:g}"
            axes.annotate(text, (r.retrains, max(r.realized_loss, 0)), textcoords="offset points",
                          xytext=(8, 12) if r.is_advised else (6, 4), fontsize=8, color=GREY)
        if tolerance is not None:
            axes.axhline(tolerance, color=RED, ls="--", lw=1.2, label=f"tolerance {tolerance:g}")
        best = rows[rows.is_hindsight_best]
        if len(best):
            axes.plot(best.retrains, best.realized_loss.clip(lower=0), "D", ms=8, color=GREEN, mec="black", mew=0.6,
                      label="hindsight best: fewest retrains within the tolerance")
        advised = _advice_row(rows)
        if advised is not None:
            axes.plot([advised.retrains], [max(advised.realized_loss, 0)], "o", ms=14, mfc="none", mec=RED, mew=2,
                      label="advised: " + _policy_words(advised.spec_name, advised.retrain_every_periods, unit))
        else:
            axes.text(0.98, 0.96, "the advice is not among the policies replayed", transform=axes.transAxes,
                      ha="right", va="top", fontsize=9, color=RED)
        _loss_axis(axes, drawn.realized_loss, pd.concat([drawn.realized_loss, marked.realized_loss]), tolerance)
        log_x = _log_retrains(axes, rows.retrains)
        first = rows.iloc[0]
        as_of = f" after {pd.Timestamp(first.as_of_at):%Y-%m-%d}" if pd.notna(first.as_of_at) else ""
        axes.set_title(f"Hindsight check: the advice replayed on the {unit}{as_of}")
        axes.set_xlabel("retrains over the judged periods (1 = never retrained after the first fit)"
                        + (", log scale" if log_x else ""))
        against = f"{_spec_label(first.best_spec_name)} every fit time" if pd.notna(first.best_spec_name) else "best"
        axes.set_ylabel(f"{metric} lost vs {against}", fontsize=9)
        axes.legend(**LEGEND)
        return _svg(figure, "hindsight")


def arrival_chart(arrivals: pd.DataFrame, unit: str = "period") -> str:
    """Q2: rows and labelled rows per period (by event time)."""
    with plt.rc_context(STYLE):
        figure, axes = _figure(height=3.2)
        axes.plot(arrivals.period_start, arrivals.row_count, color=BLUE, lw=1, label="rows")
        axes.plot(arrivals.period_start, arrivals.labelled_row_count, color=GREEN, lw=1, label="labelled rows")
        _dates(axes)
        axes.set_ylim(bottom=0)
        axes.set_title(f"Rows arriving per {unit}")
        axes.set_xlabel("period start (event time)")
        axes.set_ylabel(f"rows per {unit}")
        axes.legend(**LEGEND)
        return _svg(figure, "arrivals")


def label_delay_chart(arrivals: pd.DataFrame) -> str:
    """Q2: hours from event to label, median and p90, per period."""
    with plt.rc_context(STYLE):
        figure, axes = _figure(height=2.6)
        axes.plot(arrivals.period_start, arrivals.label_delay_hours_p50, color=BLUE, lw=1, label="median")
        axes.plot(arrivals.period_start, arrivals.label_delay_hours_p90, color=ORANGE, lw=1, label="p90")
        _dates(axes)
        axes.set_ylim(bottom=0)
        axes.set_title("Label delay")
        axes.set_xlabel("period start (event time)")
        axes.set_ylabel("hours from event to label")
        axes.legend(**LEGEND)
        return _svg(figure, "label-delay")


def quality_chart(performance: pd.DataFrame, metric: str) -> str:
    """Q1 as production logged it: the metric per period with its interval, per model version
    ('all' when the table has that slice)."""
    rows = performance[performance.metric_name == metric]
    if "all" in set(rows.model_version):
        rows = rows[rows.model_version == "all"]
    with plt.rc_context(STYLE):
        figure, axes = _figure(height=3.4)
        colors = itertools.cycle([BLUE, ORANGE, GREEN, "#9467bd"])
        for version, part in rows.groupby("model_version", sort=True):
            color = next(colors)
            axes.fill_between(part.period_start, part.ci_low, part.ci_high, color=color, alpha=0.15, lw=0)
            axes.plot(part.period_start, part.metric_value, color=color, lw=1, label=f"{version}")
        if rows.ci_level.notna().any():
            axes.plot([], [], color=GREY, alpha=0.3, lw=6, label=f"{rows.ci_level.dropna().iloc[0]:.0%} interval")
        _dates(axes)
        axes.set_title(f"Production quality per period ({metric})")
        axes.set_xlabel("period start (event time)")
        axes.set_ylabel(metric)
        axes.legend(**LEGEND, title="model version", title_fontsize=9)
        return _svg(figure, "quality")


def psi_log_scale(psi: pd.Series) -> bool:
    """A log-like y axis for PSI when its range spans more than 10x or exceeds 1: on a linear
    axis from 0 to 16 the 0.1 and 0.25 guides lie flat on zero."""
    psi = psi.dropna()
    positive = psi[psi > 0]
    if not len(positive):
        return False
    return bool(positive.max() > 1 or positive.max() / positive.min() > 10)


def drift_chart(drift: pd.DataFrame, top: int = 6) -> str:
    """Input drift: PSI per period for the features that moved most (by max PSI), on a
    symmetric log axis (linear below 0.1) when the range is wide, the 0.1/0.25 guides kept."""
    rows = drift[drift.psi.notna()]
    features = rows.groupby("feature_name").psi.max().sort_values(ascending=False).index[:top]
    columns = 3 if len(features) > 2 else max(len(features), 1)
    lines = max(1, int(np.ceil(len(features) / columns)))
    log_y = psi_log_scale(rows[rows.feature_name.isin(features)].psi)
    with plt.rc_context(STYLE):
        figure, grid = _figure(height=2.2 * lines + 0.6, nrows=lines, ncols=columns,
                               sharex=True, sharey=True, squeeze=False)
        for axes, feature in itertools.zip_longest(grid.flat, features):
            if feature is None:
                axes.set_visible(False)
                continue
            part = rows[rows.feature_name == feature]
            axes.plot(part.period_start, part.psi, color=BLUE, lw=1)
            axes.axhline(0.1, color=ORANGE, ls=":", lw=1)
            axes.axhline(0.25, color=RED, ls="--", lw=1)
            axes.set_title(feature, fontsize=9)
            _dates(axes)
        if log_y:
            top_psi = float(rows[rows.feature_name.isin(features)].psi.max())
            for axes in grid.flat:
                axes.set_yscale("symlog", linthresh=0.1, linscale=0.6)
            grid.flat[0].set_ylim(0, max(top_psi, 0.25) * 1.3)
            ticks = [t for t in (0, 0.1, 0.25, 1, 10, 100, 1000) if t <= max(top_psi, 0.25) * 1.3]
            grid.flat[0].yaxis.set_major_locator(matplotlib.ticker.FixedLocator(ticks))
            grid.flat[0].yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            grid.flat[0].yaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        else:
            grid.flat[0].set_ylim(bottom=0)
        for axes in grid[:, 0]:
            axes.set_ylabel("PSI vs reference" + (" (log)" if log_y else ""))
        scale = ", log scale above 0.1" if log_y else ""
        figure.suptitle(f"Input drift: PSI per period, the {len(features)} features that moved most "
                        f"(dotted 0.1: moderate, dashed 0.25: large{scale})", fontsize=10)
        figure.tight_layout()
        return _svg(figure, "drift")


# --------------------------------------------------------------------------- page


def not_built(*tables: str) -> str:
    """The panel shown where a mart is missing."""
    return "".join(
        f'<div class="not-built">not built: <code>{html.escape(t)}</code> — run <code>dbt build</code></div>'
        for t in tables
    )


def _unit(marts: dict[str, pd.DataFrame]) -> str:
    summary = marts.get(ARRIVAL_SUMMARY)
    grain = str(summary.period_grain.iloc[0]) if summary is not None and len(summary) else "period"
    return grain


def decision_metric(marts: dict[str, pd.DataFrame]) -> str:
    """The metric decisions use: the decay summary's, else the task's default that was logged."""
    summary = marts.get("model_drift__decay_summary")
    if summary is not None and len(summary):
        return str(summary.metric_name.iloc[0])
    performance = marts.get("model_drift__performance_by_period")
    logged = set(performance.metric_name) if performance is not None else set()
    return next((m for m in DEFAULT_METRICS if m in logged), DEFAULT_METRICS[0])


def recommended_policy(recommendations: pd.DataFrame | None) -> tuple[str, float] | None:
    """(spec_name, retrain_every_periods) named by the Q5 recommendation, if any."""
    if recommendations is None:
        return None
    q5 = recommendations[recommendations.question_number == 5]
    if not len(q5) or pd.isna(q5.value.iloc[0]) or pd.isna(q5.spec_name.iloc[0]):
        return None
    return str(q5.spec_name.iloc[0]), float(q5.value.iloc[0])


def answers(database: str | pathlib.Path, marts: dict[str, pd.DataFrame]) -> dict[int, dict[str, str]]:
    """Question number -> question, answer and its details: from the recommendations
    table where it has the question, else from the marts the answers printer reads."""
    found: dict[int, dict[str, str]] = {}
    if ARRIVAL_SUMMARY in marts:
        overall = [row for row in arrival_answers(database) if row[0] == "all"]
        if overall:
            found[2] = {"question": QUESTIONS[2], "answer": overall[0][2], "details": f"table: {ARRIVAL_SUMMARY}"}
    for line in experiment_answers(database):
        match = re.match(r"Q(\d)\. (.*?\?) (.*)", line)
        if match:
            number = int(match[1])
            found[number] = {"question": match[2], "answer": match[3], "details": f"table: {ANSWER_TABLES[number]}"}
    recommendations = marts.get(RECOMMENDATIONS)
    for r in recommendations.itertuples() if recommendations is not None else ():
        details = [f"confidence: {r.confidence}"] if pd.notna(r.confidence) else []
        details += [f"table: {r.backing_table}"] if pd.notna(r.backing_table) else []
        found[int(r.question_number)] = {"question": r.question, "answer": r.answer, "details": " · ".join(details)}
    return found


Drawn = str | tuple[str, str]


def note_panel(text: str) -> str:
    """A mart's own word on why there is no chart (too little history, cannot judge)."""
    return f'<div class="note">{html.escape(text)}</div>'


def chart_note(name: str, marts: dict[str, pd.DataFrame]) -> str | None:
    """The note shown instead of chart `name` when its mart says why there is none."""
    if name == "learning":
        return learning_note(marts.get(LEARNING_FIT))
    if name == "hindsight":
        return advice_cannot_judge(marts.get(ADVICE_CHECK))
    return None


def _answer_cards(found: dict[int, dict[str, str]]) -> str:
    cards = []
    for number, question in QUESTIONS.items():
        item = found.get(number)
        body = (f"<p>{html.escape(str(item['answer']))}</p>"
                + (f'<p class="meta">{html.escape(item["details"])}</p>' if item["details"] else "")
                if item else not_built(ANSWER_TABLES[number]))
        title = item["question"] if item else question
        heading = f"<h3>Q{number}. {html.escape(str(title))}</h3>"
        cards.append(f'<article class="answer" id="answer-q{number}">{heading}{body}</article>')
    return "\n".join(cards)



def _charts(marts: dict[str, pd.DataFrame]) -> list[tuple[str, str, tuple[str, ...], Callable[[], Drawn], str]]:
    """(id, heading, tables it needs, draw, caption) for every chart, in page order. draw gives
    the SVG, or (a sentence that leads it, the SVG)."""
    unit = _unit(marts)
    units = unit + "s" if unit != "period" else "periods"
    metric = decision_metric(marts)
    get = marts.get
    return [
        ("decay", "Q1. Decay curve", ("model_drift__decay_curve",),
         lambda: decay_chart(get("model_drift__decay_curve"), get("model_drift__decay_summary"), units),
         "Backtest: models trained at each cutoff, scored as they age; band = bootstrap over cutoffs."),
        ("learning", "Q3. Learning curve", ("model_drift__learning_curve",),
         lambda: learning_chart(get("model_drift__learning_curve"), get(LEARNING_FIT)),
         "Backtest: models trained on the n newest rows before each cutoff; inverse power law fit and its plateau."),
        ("window", "Q4. Training window", ("model_drift__training_window_comparison",),
         lambda: window_chart(get("model_drift__training_window_comparison"), units),
         "Paired difference against all history with its bootstrap interval over cutoffs; green = recommended."),
        ("policy", "Q5. Retraining policy frontier", (POLICY,),
         lambda: policy_chart(get(POLICY), recommended_policy(get(RECOMMENDATIONS)), units,
                              unringed_reason(get(RECOMMENDATIONS), get(POLICY))),
         "Each point a retraining interval (of intervals that retrain equally often, the longest): its paired "
         "loss against the best spec retrained at every fit time, with its bootstrap interval; the ringed one "
         "is recommended."),
        ("hindsight", "Hindsight check", (ADVICE_CHECK,),
         lambda: (hindsight_sentence(get(ADVICE_CHECK), units), hindsight_chart(get(ADVICE_CHECK), units)),
         "The advice as it would have been given from what was known then, every policy replayed on the periods "
         "after it; ringed: the advice, diamond: the fewest retrains that stayed within the tolerance."),
        ("arrivals", "Q2. Arrivals", ("model_drift__arrival_by_period",),
         lambda: arrival_chart(get("model_drift__arrival_by_period"), unit),
         "Rows and labelled rows counted by the period of their event."),
        ("label-delay", "Q2. Label delay", ("model_drift__arrival_by_period",),
         lambda: label_delay_chart(get("model_drift__arrival_by_period")),
         "Hours from event to label over each period's labelled rows."),
        ("quality", "Production quality per period", ("model_drift__performance_by_period",),
         lambda: quality_chart(get("model_drift__performance_by_period"), metric),
         "What the production model scored, as logged, with its interval."),
        ("drift", "Input drift", ("model_drift__feature_drift_by_period",),
         lambda: drift_chart(get("model_drift__feature_drift_by_period")),
         "Population stability index of each feature against the reference window."),
    ]


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{margin:0 0 4px;font-size:26px} .asof{color:#5b6472;margin:0 0 20px}
.answers{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px;margin-bottom:28px}
.answer{background:#fff;border:1px solid #dde1e7;border-left:4px solid #1f77b4;border-radius:6px;padding:10px 14px}
.answer h3{margin:2px 0 6px;font-size:15px} .answer p{margin:4px 0;font-size:14px;line-height:1.4}
.meta{color:#5b6472;font-size:12px!important}
.chart{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin:0 0 18px}
.chart h2{font-size:18px;margin:0 0 6px} .chart figure{margin:0} .chart svg{width:100%;height:auto;display:block}
.chart figcaption{color:#5b6472;font-size:13px;margin-top:4px}
.chart .lead{font-size:14px;line-height:1.45;margin:0 0 8px}
.note{background:#eef4fb;border:1px solid #b8cde6;border-radius:4px;padding:10px;margin:6px 0;font-size:14px}
.not-built{background:#fff8e1;border:1px dashed #d9a400;border-radius:4px;padding:10px;margin:6px 0;font-size:14px}
code{font-size:90%}
"""


def render_report(database: str | pathlib.Path, marts: dict[str, pd.DataFrame] | None = None) -> str:
    """The whole report as one HTML string."""
    marts = read_marts(database) if marts is None else marts
    summary = marts.get(ARRIVAL_SUMMARY)
    known = summary is not None and len(summary) and pd.notna(summary.last_event_at.iloc[0])
    as_of = (f"data from {summary.first_event_at.iloc[0]:%Y-%m-%d} to {summary.last_event_at.iloc[0]:%Y-%m-%d %H:%M}"
             if known else "no arrival summary")
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = []
    for name, heading, needs, draw, caption in _charts(marts):
        missing = [t for t in needs if t not in marts]
        empty = [t for t in needs if t in marts and marts[t].empty]
        note = None if missing else chart_note(name, marts)
        if missing:
            body = not_built(*missing)
        elif note is not None:
            body = note_panel(note)
        elif empty:
            body = "".join(f'<div class="not-built">no rows in <code>{html.escape(t)}</code></div>' for t in empty)
        else:
            try:
                drawn = draw()
                lead, svg = drawn if isinstance(drawn, tuple) else ("", drawn)
                body = ((f'<p class="lead">{html.escape(lead)}</p>' if lead else "")
                        + f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>")
            except Exception as error:  # one odd mart must not cost the whole report
                body = (f'<div class="not-built">could not draw from <code>{html.escape(", ".join(needs))}</code>: '
                        f"{html.escape(type(error).__name__)}: {html.escape(str(error))}</div>")
        sections.append(f'<section class="chart" id="chart-{name}"><h2>{html.escape(heading)}</h2>{body}</section>')
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>model_drift report</title>
<style>{CSS}</style>
</head>
<body>
<main>
<h1>model_drift report</h1>
<p class="asof">{html.escape(as_of)} · {html.escape(pathlib.Path(database).name)} · generated {generated}</p>
<section class="answers" id="answers">
{_answer_cards(answers(database, marts))}
</section>
{chr(10).join(sections)}
</main>
</body>
</html>
"""


def write_report(database: str | pathlib.Path, out: str | pathlib.Path) -> pathlib.Path:
    """Write the report for a DuckDB file; returns the path written."""
    path = pathlib.Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(database), encoding="utf-8")
    return path

"""Q1 decay, Q3 learning curve and Q4 training windows, read off the one
``backtest_scores`` table. Each function returns the tables dbt writes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from model_drift.curves import (
    crossing_age,
    fit_decay_families,
    fit_learning_curve,
    rows_for_share_of_plateau,
)
from model_drift.errors import UserError
from model_drift.metrics import HIGHER_IS_BETTER
from model_drift.replay import (
    DecaySettings,
    chosen_spec,
    decay_losses,
    grid_from_scores,
    to_metric,
    window_rows,
)

# chance-level quality a learning curve starts from, where the metric has one
CHANCE_QUALITY = {"roc_auc": 0.5, "r2": 0.0}
BOUNDED_BY_ONE = {"roc_auc", "accuracy", "precision", "recall", "f1", "macro_f1", "weighted_f1", "r2"}
# rows needed are reported only up to this multiple of the largest size tried
EXTRAPOLATION_LIMIT = 10


def _oriented(scores: pd.DataFrame, metric: str) -> pd.Series:
    values = scores["metric_value"].astype(float)
    return values if HIGHER_IS_BETTER[metric] else -values


def metric_interval(low, high, metric) -> tuple:
    """An interval of higher-is-better values as (low, high) in the metric's
    own direction: negating swaps the ends."""
    return (low, high) if HIGHER_IS_BETTER[metric] else (-high, -low)


def _pooled(rows: pd.DataFrame) -> pd.DataFrame:
    pooled = rows.groupby("model_age_periods").agg(loss=("loss", "mean"), cutoffs=("cutoff_number", "nunique"))
    return pooled.reset_index()


def _bootstrap_pools(rows: pd.DataFrame, settings: DecaySettings) -> list[pd.DataFrame]:
    """The pooled loss curve recomputed on cutoffs drawn with replacement
    (as cutoff x age sums and counts, weighted by how often a draw took each)."""
    generator = np.random.default_rng(settings.seed)
    cutoffs, row = np.unique(rows["cutoff_number"].to_numpy(), return_inverse=True)
    ages, column = np.unique(rows["model_age_periods"].to_numpy(), return_inverse=True)
    sums = np.zeros((len(cutoffs), len(ages)))
    counts = np.zeros_like(sums)
    np.add.at(sums, (row, column), rows["loss"].to_numpy(float))
    np.add.at(counts, (row, column), 1.0)
    pools = []
    for _ in range(settings.bootstrap):
        weights = np.bincount(generator.integers(0, len(cutoffs), len(cutoffs)), minlength=len(cutoffs)).astype(float)
        reach = weights @ counts
        seen = reach > 0
        pools.append(pd.DataFrame({
            "model_age_periods": ages[seen],
            "loss": (weights @ sums)[seen] / reach[seen],
            "cutoffs": (weights @ (counts > 0))[seen],
        }))
    return pools


def _abrupt_change(rows: pd.DataFrame) -> tuple[pd.Timestamp | None, float, float, float]:
    """The best single calendar-time step in the losses of models trained
    before it. Returns (change_at, step, step-model RSS, age-linear-model RSS);
    a step that explains the losses much better than a steady decline with
    age means quality fell at a moment, not with age."""
    periods = np.sort(rows["eval_period_start"].unique())
    loss = rows["loss"].to_numpy()
    ages = rows["model_age_periods"].to_numpy(float)
    # steady decline through the origin: loss = rate * age
    rate = float(ages @ loss / (ages @ ages)) if ages @ ages > 0 else 0.0
    linear_rss = float(np.sum((loss - rate * ages) ** 2))
    best = (None, 0.0, float(np.sum(loss**2)))
    eval_at = rows["eval_period_start"].to_numpy()
    cutoff_at = rows["cutoff_at"].to_numpy()
    for change_at in periods[len(periods) // 10: max(len(periods) // 10 + 1, 9 * len(periods) // 10)]:
        after = (eval_at >= change_at) & (cutoff_at < change_at)
        if after.sum() < 3 or (~after).sum() < 3:
            continue
        step = float(loss[after].mean())
        rss = float(np.sum((loss - step * after) ** 2))
        if rss < best[2]:
            best = (pd.Timestamp(change_at), step, rss)
    return best[0], best[1], best[2], linear_rss


def decay_tables(
    scores: pd.DataFrame, metric: str, spec: str, settings: DecaySettings
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(decay_curve, decay_curve_fit, decay_summary) for one training spec:
    the loss of a model of each age against the freshest model of the same
    spec on the same periods (the loss Q5's replay uses), pooled over fits."""
    rows = decay_losses(grid_from_scores(scores, metric), spec)
    if rows["cutoff_number"].nunique() < 2:
        raise UserError(
            f"the decay curve needs fits at 2 or more times of the replay grid for spec '{spec}'; there are "
            f"{rows['cutoff_number'].nunique()}. Fix: raise var model_drift_backtest_max_replay_fits (the grid's "
            "budget), e.g. --vars '{model_drift_backtest_max_replay_fits: 300}', or collect more history"
        )
    fresh_level = float(rows.groupby("eval_period_start")["fresh_quality"].first().mean())
    tolerance = settings.in_metric_units(fresh_level)
    pooled = _pooled(rows)
    ages, quality = pooled["model_age_periods"].to_numpy(float), fresh_level - pooled["loss"].to_numpy()
    weights = pooled["cutoffs"].to_numpy(float)
    fits = fit_decay_families(ages, quality, weights)
    if not fits:
        raise UserError(
            f"the decay curve needs scores at 3 or more model ages for spec '{spec}'; there are {len(ages)}: "
            "the replay grid has too few fit times. Fix: collect more history, use a shorter var "
            "model_drift_period, or lower var model_drift_backtest_min_train_rows so that more periods can be fitted"
        )
    chosen = min(fits.values(), key=lambda f: f.aicc)
    horizon = float(ages.max())

    pools = _bootstrap_pools(rows, settings)
    band = pd.concat(pools).groupby("model_age_periods")["loss"].quantile([0.025, 0.975]).unstack()
    crossings, horizon_losses = [], []
    for pool in pools:
        refit = fit_decay_families(pool["model_age_periods"].to_numpy(float), fresh_level - pool["loss"].to_numpy(),
                                   pool["cutoffs"].to_numpy(float))
        if not refit:  # a draw of only the latest cutoffs can hold too few ages to fit
            continue
        same = refit.get(chosen.family) or min(refit.values(), key=lambda f: f.aicc)
        crossing = crossing_age(same, tolerance, horizon)
        crossings.append(np.inf if crossing is None else crossing)
        horizon_losses.append(float(same.predict(np.array([0.0]))[0] - same.predict(np.array([horizon]))[0]))
    loss_low, loss_high = np.quantile(horizon_losses, [0.025, 0.975])
    crossing = crossing_age(chosen, tolerance, horizon)
    crossing_low, crossing_high = np.quantile(crossings, [0.025, 0.975])

    # models trained on too small a set look worse at every later period:
    # the step test compares models of adequate training size only
    adequate = rows[rows["train_rows"] >= 0.5 * rows["train_rows"].max()]
    left_out = rows["cutoff_number"].nunique() - adequate["cutoff_number"].nunique()
    change_at, step, step_rss, linear_rss = _abrupt_change(adequate)
    n = len(adequate)
    # AIC of the step (2 parameters: time and size) against the steady decline (1)
    step_wins = change_at is not None and n * np.log(step_rss / n) + 4 < n * np.log(linear_rss / n) + 2 - 10
    if step_wins and step >= tolerance / 2:
        adequate_fits = adequate["cutoff_number"].nunique()
        regime, reason = "abrupt", (f"quality of older models fell by {step:.4f} at {change_at:%Y-%m-%d}, whatever "
                                    f"their age, in {adequate_fits} fits of adequate training size"
                                    + (f" ({left_out} smaller ones left out)" if left_out else ""))
    elif chosen.family != "constant" and loss_low > 0:
        regime, reason = "gradual", (f"quality falls with model age ({chosen.family}), {loss_low:.4f} to "
                                     f"{loss_high:.4f} over {horizon:.0f} periods")
    elif loss_high < tolerance:
        regime, reason = "none", f"the loss over {horizon:.0f} periods is below the tolerance ({loss_high:.4f} at most)"
    else:
        regime, reason = "too noisy", (f"the loss over {horizon:.0f} periods is between {loss_low:.4f} and "
                                       f"{loss_high:.4f}: cannot tell")

    fitted = chosen.predict(ages)
    band_low, band_high = metric_interval(
        fresh_level - band.loc[ages, 0.975].to_numpy(), fresh_level - band.loc[ages, 0.025].to_numpy(), metric
    )
    curve = pd.DataFrame({
        "spec_name": spec,
        "metric_name": metric,
        "model_age_periods": ages.astype(int),
        "cutoff_count": weights.astype(int),
        "expected_quality": to_metric(quality, metric),
        "band_low": band_low,
        "band_high": band_high,
        "expected_loss": pooled["loss"].to_numpy(),
        "fitted_quality": to_metric(fitted, metric),
        "is_beyond_tolerance": (fitted[0] - fitted) >= tolerance,
    })
    fit_table = pd.DataFrame([
        {
            "spec_name": spec,
            "metric_name": metric,
            "family": f.family,
            "parameters": json.dumps(dict(zip(_PARAMETER_NAMES[f.family], f.parameters))),
            "aicc": f.aicc,
            "delta_aicc": f.aicc - chosen.aicc,
            "rmse": f.rmse,
            "r2": f.r2,
            "is_chosen": f.family == chosen.family,
        }
        for f in fits.values()
    ])
    summary = pd.DataFrame([{
        "spec_name": spec,
        "metric_name": metric,
        "regime": regime,
        "reason": reason,
        "chosen_family": chosen.family,
        "cutoff_count": int(rows["cutoff_number"].nunique()),
        "horizon_periods": int(horizon),
        "fresh_quality": to_metric(fresh_level, metric),
        "tolerance": settings.tolerance,
        "tolerance_kind": settings.tolerance_kind,
        "tolerance_in_metric_units": tolerance,
        "loss_at_horizon": float(fitted[0] - fitted[-1]),
        "loss_at_horizon_low": float(loss_low),
        "loss_at_horizon_high": float(loss_high),
        "periods_to_tolerance": crossing,
        "periods_to_tolerance_low": None if np.isinf(crossing_low) else float(crossing_low),
        "periods_to_tolerance_high": None if np.isinf(crossing_high) else float(crossing_high),
        "abrupt_change_at": change_at if regime == "abrupt" else None,
        "abrupt_change_loss": step if regime == "abrupt" else None,
    }])
    return curve, fit_table, summary


_PARAMETER_NAMES = {
    "constant": ("level",),
    "linear": ("level", "rate"),
    "exponential": ("level", "floor_gap", "scale"),
    "logarithmic": ("level", "rate"),
    "power": ("level", "rate", "exponent"),
    "inverse_power": ("plateau", "gap", "exponent"),
}


def learning_tables(
    scores: pd.DataFrame,
    metric: str,
    labelled_rows_per_period: float | None,
    seed: int,
    bootstrap: int = 200,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(learning_curve, learning_curve_fit): quality of models trained on the
    n most recent rows, scored on the first periods after their cutoff."""
    rows = scores[(scores["spec_kind"] == "rows") & scores["metric_value"].notna()].copy()
    if rows["spec_size"].nunique() < 3:
        return _too_little_for_a_learning_curve(rows, metric, labelled_rows_per_period)
    rows["quality"] = _oriented(rows, metric)
    per_cutoff = rows.groupby(["spec_size", "cutoff_number"])["quality"].mean().reset_index()
    pooled = (per_cutoff.groupby("spec_size")
              .agg(quality=("quality", "mean"), cutoffs=("cutoff_number", "nunique")).reset_index())
    generator = np.random.default_rng(seed)
    cutoffs = per_cutoff["cutoff_number"].unique()
    draws = []
    for _ in range(bootstrap):
        drawn = generator.choice(cutoffs, size=len(cutoffs), replace=True)
        sample = pd.concat([per_cutoff[per_cutoff["cutoff_number"] == c] for c in drawn])
        draws.append(sample.groupby("spec_size")["quality"].mean())
    band = pd.concat(draws, axis=1).quantile([0.025, 0.975], axis=1).T
    sizes = pooled["spec_size"].to_numpy(float)
    ceiling = 1.0 if metric in BOUNDED_BY_ONE else np.inf
    fit = fit_learning_curve(sizes, pooled["quality"].to_numpy(), pooled["cutoffs"].to_numpy(float), ceiling)
    band_low, band_high = metric_interval(
        band.loc[pooled["spec_size"], 0.025].to_numpy(), band.loc[pooled["spec_size"], 0.975].to_numpy(), metric
    )
    curve = pd.DataFrame({
        "metric_name": metric,
        "train_rows": sizes.astype(int),
        "cutoff_count": pooled["cutoffs"].to_numpy(int),
        "quality": to_metric(pooled["quality"].to_numpy(), metric),
        "band_low": band_low,
        "band_high": band_high,
        "fitted_quality": to_metric(fit.predict(sizes), metric) if fit else np.nan,
    })
    # gains are measured from chance where the metric has a chance level
    # (every such metric is higher-is-better), else from the smallest size tried
    baseline = CHANCE_QUALITY.get(metric, float(pooled["quality"].iloc[0]))
    largest = float(sizes.max())
    needed = {share: (rows_for_share_of_plateau(fit, baseline, share) if fit else None) for share in (0.95, 0.99)}
    # an extrapolation far past the sizes tried is a guess, not an estimate
    needed = {share: (n if n is not None and n <= EXTRAPOLATION_LIMIT * largest else None)
              for share, n in needed.items()}
    plateau = fit.parameters[0] if fit else None
    family = "inverse_power" if fit else None
    reached = _plateau_within_sizes(sizes, pooled["quality"].to_numpy(), pooled["cutoffs"].to_numpy(float), baseline)
    if reached is not None and (needed[0.95] is None or needed[0.95] > largest):
        # the largest size gained nothing on the one before: the plateau is
        # within the sizes tried, read off the curve, not an extrapolation
        plateau, needed, family = reached[0], reached[1], "empirical"
    fit_row = {
        "metric_name": metric,
        "family": family,
        "plateau_quality": to_metric(plateau, metric) if plateau is not None else None,
        "gap": fit.parameters[1] if fit else None,
        "exponent": fit.parameters[2] if fit else None,
        "baseline_quality": to_metric(baseline, metric),
        "rmse": fit.rmse if fit else None,
        "r2": fit.r2 if fit else None,
        "rows_for_95pct": needed[0.95],
        "rows_for_99pct": needed[0.99],
        "labelled_rows_per_period": labelled_rows_per_period,
        "periods_for_95pct": (needed[0.95] / labelled_rows_per_period
                              if needed[0.95] and labelled_rows_per_period else None),
        "periods_for_99pct": (needed[0.99] / labelled_rows_per_period
                              if needed[0.99] and labelled_rows_per_period else None),
        "largest_rows_tried": int(largest),
        "is_still_rising": bool(needed[0.95] is None or needed[0.95] > largest),
        "note": None,
    }
    return curve, pd.DataFrame([fit_row])


def _plateau_within_sizes(sizes: np.ndarray, quality: np.ndarray, weights: np.ndarray, baseline: float):
    """When quality (higher is better) made non-decreasing in size levels off
    at the largest sizes: (plateau, {share: rows}) with the rows interpolated
    in log size; else None (still rising, or nothing above the baseline)."""
    isotonic = IsotonicRegression(increasing=True).fit(np.log(sizes), quality, sample_weight=weights)
    level = isotonic.predict(np.log(sizes))
    plateau = float(level[-1])
    if len(sizes) < 3 or level[-1] > level[-2] or plateau <= baseline:
        return None
    needed = {}
    for share in (0.95, 0.99):
        target = baseline + share * (plateau - baseline)
        i = int(np.argmax(level >= target - 1e-12))
        if i == 0 or level[i] == level[i - 1]:
            needed[share] = float(sizes[i])
        else:
            t = (target - level[i - 1]) / (level[i] - level[i - 1])
            needed[share] = float(np.exp(np.log(sizes[i - 1]) + t * (np.log(sizes[i]) - np.log(sizes[i - 1]))))
    return plateau, needed


def _too_little_for_a_learning_curve(rows: pd.DataFrame, metric: str, rate: float | None):
    """An empty curve and a fit row that says how much is needed."""
    sizes = sorted(int(n) for n in rows["spec_size"].unique())
    largest = int(rows["train_rows"].max()) if len(rows) else 0
    tried = f"only {', '.join(f'{n:,}' for n in sizes)} could be fitted" if sizes else "no size could be fitted"
    note = (f"too little labelled history for a learning curve: of the sizes in model_drift_backtest_row_counts, "
            f"{tried}; it needs 3 sizes that fit in the labelled rows before a cutoff: set "
            "model_drift_backtest_row_counts to smaller sizes, e.g. [50, 100, 200, 400]")
    curve = pd.DataFrame(columns=["metric_name", "train_rows", "cutoff_count", "quality", "band_low", "band_high",
                                  "fitted_quality"])
    fit = {key: None for key in ("family", "plateau_quality", "gap", "exponent", "baseline_quality", "rmse", "r2",
                                 "rows_for_95pct", "rows_for_99pct", "periods_for_95pct", "periods_for_99pct")}
    fit.update(metric_name=metric, labelled_rows_per_period=rate, largest_rows_tried=largest,
               is_still_rising=None, note=note)
    return curve, pd.DataFrame([fit])


def window_table(scores: pd.DataFrame, metric: str, period_offset, seed: int) -> pd.DataFrame:
    """Q4: each window against all history, both retrained at every fit time
    of the replay grid, on the same periods; the verdict names a window only
    when it wins beyond the noise between periods and in both halves."""
    table = window_rows(grid_from_scores(scores, metric), period_offset, seed)
    if len(table) < 2:
        raise UserError(
            "the training-window comparison needs at least one window besides all history; "
            "set var model_drift_backtest_window_periods, e.g. --vars '{model_drift_backtest_window_periods: [7, 28]}'"
        )
    spec, reason = chosen_spec(table)
    for column in ("quality", "difference_vs_all", "first_half_difference", "second_half_difference"):
        table[column] = to_metric(table[column], metric)
    table["difference_low"], table["difference_high"] = metric_interval(
        table["difference_low"].to_numpy(), table["difference_high"].to_numpy(), metric)
    table["metric_name"] = metric
    table["is_recommended"] = table["spec_name"] == spec
    table["verdict"] = "keep all history" if spec == "all" else f"drop data older than {spec.split('_')[1]} periods"
    extended = table[table["extended_fit_count"] > 0]
    if len(extended):
        reason += "; " + ", ".join(
            f"{r.spec_name} held too few rows at {r.extended_fit_count} of {r.fit_count} fits and used its newest "
            "model_drift_backtest_min_train_rows rows there" for r in extended.itertuples())
    table["reason"] = reason
    return table

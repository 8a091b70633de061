"""Q1 quality marts (model_drift__performance_by_period, model_drift__decay_by_model_age)
against independent implementations: scikit-learn for every metric, and the
interval formulas written out here (Wilson, Hanley-McNeil, Student t with
scipy's quantile).

Tolerances:
- metric values: 1e-9 relative (ROC AUC with ties on the synthetic fixture:
  1e-12); where scikit-learn returns 0 on a zero division the mart has null
  and a null_reason, which is what is asserted;
- interval ends: Wilson and Hanley-McNeil to 1e-9 absolute (closed forms on
  both sides). t-intervals: the SQL t quantile is a table rounded to 6
  decimals up to 30 degrees of freedom and a Cornish-Fisher expansion beyond
  (documented error below 2e-5), so an interval end may differ by that
  quantile error times the standard error: 1e-6 * se (table) or 2e-5 * se
  (expansion), plus 1e-9. The quantile itself, read back from each interval,
  is checked against scipy.stats.t.ppf to 1e-6 (table) and 2e-5 (expansion).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn import metrics as skm

from conftest import DEMO_PARQUET, run_dbt, write_parquet

BINARY_METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier",
                  "positive_rate", "predicted_positive_rate"]
REGRESSION_METRICS = ["mae", "rmse", "mape", "r2", "bias"]
MULTICLASS_METRICS = ["accuracy", "macro_f1", "weighted_f1"]
NO_ROWS = "no labelled rows with a prediction"
EPS = np.finfo(float).eps


# --- independent interval formulas ------------------------------------------------

def z_of(level: float) -> float:
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def wilson(successes: float, trials: float, z: float) -> tuple[float, float]:
    if trials <= 0:
        return np.nan, np.nan
    p = successes / trials
    centre = p + z * z / (2 * trials)
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (centre - half) / (1 + z * z / trials), (centre + half) / (1 + z * z / trials)


def hanley_mcneil(auc: float, positives: int, negatives: int, z: float) -> tuple[float, float]:
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc)
                + (negatives - 1) * (q2 - auc * auc)) / (positives * negatives)
    half = z * np.sqrt(max(variance, 0.0))
    return max(0.0, auc - half), min(1.0, auc + half)


def t_interval(values: np.ndarray, level: float) -> tuple[float, float, float]:
    """(low, high, standard error) of the mean, Student t with n - 1 df."""
    n = len(values)
    if n < 2:
        return np.nan, np.nan, np.nan
    se = np.std(values, ddof=1) / np.sqrt(n)
    half = stats.t.ppf(1 - (1 - level) / 2, n - 1) * se
    return values.mean() - half, values.mean() + half, se


def row(name, value, low=np.nan, high=np.nan, method="none", n=0, reason=None, se=np.nan, df=np.nan):
    return {"metric_name": name, "metric_value": value, "ci_low": low, "ci_high": high,
            "ci_method": method, "metric_row_count": n, "null_reason": reason, "se": se, "df": df}


def missing(name, reason, method, n):
    return row(name, np.nan, method=method, n=n, reason=reason)


# --- expected metrics, one group at a time ----------------------------------------

def binary_rows(y: np.ndarray, p: np.ndarray, threshold: float, level: float) -> list[dict]:
    z = z_of(level)
    n = len(y)
    y_hat = (p >= threshold).astype(int)
    tp = int((y * y_hat).sum())
    positives, predicted = int(y.sum()), int(y_hat.sum())
    f1_denominator = 2 * tp + (predicted - tp) + (positives - tp)
    out = [row("accuracy", skm.accuracy_score(y, y_hat), *wilson((y == y_hat).sum(), n, z), "wilson", n)]
    # scikit-learn's zero_division (0 by default, nan here) is where the mart has null and a reason
    precision, recall, f1, _ = skm.precision_recall_fscore_support(
        y, y_hat, average="binary", labels=[0, 1], zero_division=np.nan)
    if predicted:
        out.append(row("precision", precision, *wilson(tp, predicted, z), "wilson", predicted))
    else:
        assert np.isnan(precision)
        out.append(missing("precision", "no predicted positives", "wilson", 0))
    if positives:
        out.append(row("recall", recall, *wilson(tp, positives, z), "wilson", positives))
    else:
        assert np.isnan(recall)
        out.append(missing("recall", "no positives", "wilson", 0))
    if f1_denominator:
        out.append(row("f1", f1, *wilson(tp, f1_denominator / 2, z), "wilson_effective_n", n))
    else:
        assert np.isnan(f1)
        out.append(missing("f1", "no positives and no predicted positives", "wilson_effective_n", n))
    if 0 < positives < n:
        auc = skm.roc_auc_score(y, p)
        out.append(row("roc_auc", auc, *hanley_mcneil(auc, positives, n - positives, z), "hanley_mcneil", n))
    else:
        out.append(missing("roc_auc", "one class only", "hanley_mcneil", n))
    clipped = np.clip(p, EPS, 1 - EPS)
    losses = -(y * np.log(clipped) + (1 - y) * np.log(1 - clipped))
    low, high, se = t_interval(losses, level)
    out.append(row("log_loss", skm.log_loss(y, p, labels=[0, 1]), low, high, "t", n, se=se, df=n - 1))
    low, high, se = t_interval((p - y) ** 2, level)
    out.append(row("brier", skm.brier_score_loss(y, p, pos_label=1), low, high, "t", n, se=se, df=n - 1))
    out.append(row("positive_rate", y.mean(), *wilson(positives, n, z), "wilson", n))
    out.append(row("predicted_positive_rate", y_hat.mean(), *wilson(predicted, n, z), "wilson", n))
    return out


def regression_rows(y: np.ndarray, p: np.ndarray, level: float) -> list[dict]:
    n = len(y)
    e = p - y
    out = []
    low, high, se = t_interval(np.abs(e), level)
    out.append(row("mae", skm.mean_absolute_error(y, p), low, high, "t", n, se=se, df=n - 1))
    low, high, se = t_interval(e * e, level)
    out.append(row("rmse", skm.root_mean_squared_error(y, p), np.sqrt(max(low, 0)) if n > 1 else np.nan,
                   np.sqrt(high), "t_on_mse", n, se=se, df=n - 1))
    nonzero = y != 0
    if nonzero.any():
        low, high, se = t_interval(np.abs(e[nonzero] / y[nonzero]), level)
        out.append(row("mape", skm.mean_absolute_percentage_error(y[nonzero], p[nonzero]), low, high, "t",
                       int(nonzero.sum()), se=se, df=nonzero.sum() - 1))
    else:
        out.append(missing("mape", "no labelled rows with a non-zero target", "t", 0))
    if n < 2:
        out.append(missing("r2", "fewer than 2 labelled rows", "none", n))
    elif np.all(y == y[0]):
        out.append(missing("r2", "constant target", "none", n))
    else:
        out.append(row("r2", skm.r2_score(y, p), n=n))
    low, high, se = t_interval(e, level)
    out.append(row("bias", e.mean(), low, high, "t", n, se=se, df=n - 1))
    return out


def multiclass_rows(y: np.ndarray, p: np.ndarray, level: float) -> list[dict]:
    n = len(y)
    correct = int((y == p).sum())
    return [
        row("accuracy", skm.accuracy_score(y, p), *wilson(correct, n, z_of(level)), "wilson", n),
        row("macro_f1", skm.f1_score(y, p, average="macro", zero_division=0), n=n),
        row("weighted_f1", skm.f1_score(y, p, average="weighted", zero_division=0), n=n),
    ]


def expected_metrics(frame: pd.DataFrame, keys: list[str], task: str, names: list[str], *,
                     level: float = 0.95, threshold: float = 0.5,
                     all_groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Long table of expected metrics per group of `keys`, from the rows of
    `frame` that are labelled and have a prediction (columns y, p). Groups in
    `all_groups` without such rows get every metric null."""
    scored = frame[frame.y.notna() & frame.p.notna()]
    records = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for key, group in scored.groupby(keys, sort=False):
            if task == "binary":
                rows = binary_rows(group.y.to_numpy(int), group.p.to_numpy(float), threshold, level)
            elif task == "regression":
                rows = regression_rows(group.y.to_numpy(float), group.p.to_numpy(float), level)
            else:
                rows = multiclass_rows(group.y.to_numpy(str), group.p.to_numpy(str), level)
            records += [{**dict(zip(keys, key)), **r} for r in rows]
    expected = pd.DataFrame(records)
    if all_groups is not None:
        empty = all_groups.merge(scored[keys].drop_duplicates(), how="left", indicator=True)
        empty = empty[empty._merge == "left_only"].drop(columns="_merge")
        filler = pd.DataFrame([missing(name, NO_ROWS, "none", 0) for name in names])
        expected = pd.concat([expected, empty.merge(filler, how="cross")], ignore_index=True)
    return expected


# --- comparison -------------------------------------------------------------------

def assert_metrics_match(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str], *,
                         rtol: float = 1e-9, auc_rtol: float = 1e-9, ci_atol: float = 1e-9) -> pd.DataFrame:
    on = keys + ["metric_name"]
    merged = actual.merge(expected, on=on, how="outer", suffixes=("", "_want"), indicator=True, validate="one_to_one")
    stray = merged[merged._merge != "both"]
    assert stray.empty, f"rows only on one side:\n{stray[on + ['_merge']].head(20)}"

    def where(mask, label):
        return merged.loc[mask, on + [label, label + "_want"]].head(10).to_string()

    for column in ["metric_value", "ci_low", "ci_high"]:
        null_mismatch = merged[column].isna() != merged[column + "_want"].isna()
        assert not null_mismatch.any(), f"null pattern of {column} differs:\n{where(null_mismatch, column)}"
    reason = merged.null_reason.fillna("") != merged.null_reason_want.fillna("")
    assert not reason.any(), f"null_reason differs:\n{where(reason, 'null_reason')}"
    for column in ["ci_method", "metric_row_count"]:
        differs = merged[column] != merged[column + "_want"]
        assert not differs.any(), f"{column} differs:\n{where(differs, column)}"

    known = merged[merged.metric_value.notna()]
    for is_auc, tolerance in [(True, auc_rtol), (False, rtol)]:
        part = known[(known.metric_name == "roc_auc") == is_auc]
        np.testing.assert_allclose(part.metric_value.to_numpy(float), part.metric_value_want.to_numpy(float),
                                   rtol=tolerance, atol=1e-15, err_msg=where(part.index, "metric_value"))
    for column in ["ci_low", "ci_high"]:
        bounded = merged[merged[column].notna()]
        got, want = np.array(bounded[column], dtype=float), np.array(bounded[column + "_want"], dtype=float)
        quantile_error = np.where(bounded.df <= 30, 1e-6, 2e-5)
        tolerance = np.where(bounded.ci_method == "t", 1e-9 + quantile_error * bounded.se, ci_atol)
        # rmse: the t-interval of the mean squared error, square-rooted; compare the squares
        on_mse = (bounded.ci_method == "t_on_mse").to_numpy()
        got[on_mse], want[on_mse] = got[on_mse] ** 2, want[on_mse] ** 2
        tolerance[on_mse] = 1e-9 + quantile_error[on_mse] * bounded.se.to_numpy(float)[on_mse]
        bad = np.abs(got - want) > tolerance
        assert not bad.any(), f"{column} differs:\n{where(bounded.index[bad], column)}"
    assert_t_quantiles(merged, actual.ci_level.iloc[0])
    return merged


def assert_t_quantiles(merged: pd.DataFrame, level: float) -> None:
    """The t quantile the SQL used, read back from its interval, is scipy's:
    to the table's rounding (5e-7) up to 30 df, to 2e-5 (Cornish-Fisher) beyond."""
    rows = merged[(merged.ci_method == "t") & merged.se.notna() & (merged.se > 1e-9)]
    if rows.empty:
        return
    used = (rows.ci_high - rows.metric_value) / rows.se
    exact = stats.t.ppf(1 - (1 - level) / 2, rows.df.astype(float))
    tolerance = np.where(rows.df <= 30, 1e-6, 2e-5)
    error = np.abs(used - exact)
    assert (error <= tolerance).all(), rows.assign(used=used, exact=exact)[error > tolerance].head()


# --- the demo ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_raw(demo_build) -> pd.DataFrame:
    frame = pd.read_parquet(DEMO_PARQUET)
    frame["period_start"] = frame.scheduled_departure_at.dt.floor("D")
    frame["y"] = frame.is_arrival_delayed.astype(float)
    frame["p"] = frame.predicted_delay_probability
    return frame


def demo_slices(frame: pd.DataFrame) -> pd.DataFrame:
    overall = frame.assign(segment_column="all", segment_value="all")
    by_origin = frame.assign(segment_column="origin", segment_value=frame.origin)
    return pd.concat([overall, by_origin], ignore_index=True)


def test_demo_performance_by_period_matches_sklearn(demo_build, demo_raw):
    actual = demo_build.table("model_drift__performance_by_period")
    keys = ["segment_column", "segment_value", "model_version", "period_start"]
    sliced = demo_slices(demo_raw)
    expected = expected_metrics(sliced, keys, "binary", BINARY_METRICS)
    merged = assert_metrics_match(actual, expected, keys)
    assert set(merged.segment_value) == {"all", "EWR", "JFK", "LGA"}
    assert merged.period_start.nunique() == 365
    assert (actual.ci_level == 0.95).all() and (actual.task == "binary").all()
    # the demo model predicts few delays: many days have no predicted positive
    assert (merged.null_reason == "no predicted positives").sum() > 100
    counts = sliced.groupby(keys).agg(row_count=("y", "size"), labelled_row_count=("y", "count"))
    got = actual.drop_duplicates(keys).set_index(keys)[["row_count", "labelled_row_count"]]
    pd.testing.assert_frame_equal(got.sort_index(), counts.sort_index(), check_dtype=False)


def test_demo_decay_by_model_age(demo_build, demo_raw):
    """The one demo version was trained 2013-02-01: age is days since then, and
    January (scored before training) is left out."""
    decay = demo_build.table("model_drift__decay_by_model_age")
    aged = demo_slices(demo_raw[demo_raw.scheduled_departure_at >= pd.Timestamp("2013-02-01")])
    aged["model_age_periods"] = (aged.period_start - pd.Timestamp("2013-02-01")).dt.days
    assert sorted(decay.model_age_periods.unique()) == list(range(334))  # Feb 1 .. Dec 31
    ages = [0, 1, 45, 150, 333]
    keys = ["segment_column", "segment_value", "model_age_periods"]
    subset = aged[aged.model_age_periods.isin(ages)]
    expected = expected_metrics(subset, keys, "binary", BINARY_METRICS)
    assert_metrics_match(decay[decay.model_age_periods.isin(ages)], expected, keys, auc_rtol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for age in ages:
            rows = aged[(aged.model_age_periods == age) & (aged.segment_column == "all") & aged.y.notna()]
            got = decay.query("segment_column == 'all' and metric_name == 'roc_auc' and model_age_periods == @age")
            assert got.metric_value.iloc[0] == pytest.approx(skm.roc_auc_score(rows.y, rows.p), rel=1e-12)
    counts = aged.groupby(keys).agg(row_count=("y", "size"), labelled_row_count=("y", "count"))
    got = decay.drop_duplicates(keys).set_index(keys)
    assert (got.version_count == 1).all()
    pd.testing.assert_frame_equal(got[["row_count", "labelled_row_count"]].sort_index(), counts.sort_index(),
                                  check_dtype=False, check_index_type=False)
    # a single version: the metric at age a is the metric of the day 2013-02-01 + a
    by_period = demo_build.table("model_drift__performance_by_period")
    by_period["model_age_periods"] = (by_period.period_start - pd.Timestamp("2013-02-01")).dt.days
    both = decay.merge(by_period, on=keys + ["metric_name"], suffixes=("", "_period"))
    assert len(both) == len(decay)
    np.testing.assert_allclose(both.metric_value, both.metric_value_period, rtol=1e-12)


# --- synthetic binary fixture: ties, one class, no labels, a gap, segments, versions -

START = pd.Timestamp("2024-03-01")
TRAINED = {"v1": pd.Timestamp("2024-02-28 00:00"), "v2": pd.Timestamp("2024-03-05 12:00")}
MIN_LABELS = 25


def day_rows(rng, day: int, n: int, version: str | None, *, decimals: int = 1, labelled: bool = True,
             all_negative: bool = False, low_scores: bool = False, null_predictions: float = 0.0) -> pd.DataFrame:
    seconds = np.sort(rng.integers(0, 86_400, n))
    score = rng.uniform(0, 0.44 if low_scores else 1, n).round(decimals)
    target = (rng.uniform(size=n) < 0.1 + 0.8 * score).astype(float)
    if all_negative:
        target[:] = 0
    if not labelled:
        target[:] = np.nan
    else:
        target[rng.uniform(size=n) < 0.05] = np.nan  # a few labels still missing
    score[rng.uniform(size=n) < null_predictions] = np.nan
    return pd.DataFrame({
        "event_at": START + pd.Timedelta(days=day) + pd.to_timedelta(seconds, unit="s"),
        "outcome": pd.array(target, dtype="Float64").astype("Int64"),
        "score": score,
        "model_version": version,
        "region": rng.choice(np.array(["north", "south", None], dtype=object), n, p=[0.5, 0.4, 0.1]),
    })


def binary_frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    parts = [
        day_rows(rng, 0, 300, "v1", decimals=1, null_predictions=0.03),   # scores 0.0, 0.1, .., 1.0 (exact 0 and 1)
        day_rows(rng, 1, 250, "v1", decimals=2, null_predictions=0.03),
        day_rows(rng, 2, 60, "v1", all_negative=True, low_scores=True),   # one class, no predicted positive
        # day 3: no rows at all (a gap inside v1's life)
        day_rows(rng, 4, 120, "v1", decimals=1),
        day_rows(rng, 4, 150, "v2", decimals=2),                          # v2 trained at noon today
        day_rows(rng, 5, 80, "v1", decimals=1),
        day_rows(rng, 5, 200, "v2", decimals=1, null_predictions=0.03),
        day_rows(rng, 5, 12, None, decimals=1),                           # no model version
        day_rows(rng, 6, 40, "v2", labelled=False),                       # rows, but no labels
        day_rows(rng, 7, 21, "v2", decimals=1),                           # below model_drift_min_labels_per_period
        day_rows(rng, 8, 33, "v2", decimals=2),
        day_rows(rng, 9, 200, "v2", decimals=1),
    ]
    return pd.concat(parts, ignore_index=True)


def build(workdir, frame: pd.DataFrame, select: str, **dbt_vars):
    workdir.mkdir(parents=True, exist_ok=True)
    path = write_parquet(frame, workdir / "input.parquet")
    settings = {"model_drift_input_path": str(path), "model_drift_event_at": "event_at",
                "model_drift_target": "outcome", "model_drift_prediction": "score",
                "model_drift_as_of": "2025-01-01", **dbt_vars}
    run = run_dbt(["build", "--select", *select.split()], workdir / "dbt", dbt_vars=settings)
    assert run.ok, run.output[-5000:]
    return run


def fixture_slices(frame: pd.DataFrame, segment: str | None = None) -> pd.DataFrame:
    out = frame.assign(segment_column="all", segment_value="all")
    if segment:
        out = pd.concat([out, frame.assign(segment_column=segment, segment_value=frame[segment].fillna("(null)"))],
                        ignore_index=True)
    return out


@pytest.fixture(scope="module")
def binary_build(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("binary")
    frame = binary_frame()
    versions = workdir / "versions.csv"
    pd.DataFrame({"model_version": list(TRAINED), "trained_at": [str(t) for t in TRAINED.values()]}).to_csv(
        versions, index=False)
    run = build(workdir, frame, "+model_drift__performance_by_period +model_drift__decay_by_model_age",
                model_drift_task="binary", model_drift_model_version="model_version",
                model_drift_model_versions_path=str(versions), model_drift_segments=["region"],
                model_drift_min_labels_per_period=MIN_LABELS)
    frame["period_start"] = frame.event_at.dt.floor("D")
    frame["y"] = frame.outcome.astype(float)
    frame["p"] = frame.score
    frame["model_version"] = frame.model_version.fillna("(null)")
    return run, frame


PERIOD_KEYS = ["segment_column", "segment_value", "model_version", "period_start"]


def test_binary_fixture_matches_sklearn(binary_build):
    run, frame = binary_build
    actual = run.table("model_drift__performance_by_period")
    sliced = fixture_slices(frame, "region")
    # every slice-version has a row for every period from its first to its last
    spans = sliced.groupby(["segment_column", "segment_value", "model_version"]).period_start.agg(["min", "max"])
    groups = pd.DataFrame(
        [(*key, day) for key, (first, last) in spans.iterrows() for day in pd.date_range(first, last, freq="D")],
        columns=PERIOD_KEYS)
    expected = expected_metrics(sliced, PERIOD_KEYS, "binary", BINARY_METRICS, all_groups=groups)
    assert_metrics_match(actual, expected, PERIOD_KEYS, auc_rtol=1e-12)

    counts = groups.merge(sliced.groupby(PERIOD_KEYS).agg(row_count=("y", "size"), labelled_row_count=("y", "count"))
                          .reset_index(), how="left").fillna({"row_count": 0, "labelled_row_count": 0})
    got = actual.drop_duplicates(PERIOD_KEYS)[PERIOD_KEYS + ["row_count", "labelled_row_count", "is_low_label_count"]]
    both = got.merge(counts, on=PERIOD_KEYS, suffixes=("", "_want"), validate="one_to_one")
    assert len(both) == len(got) == len(counts)
    assert (both.row_count == both.row_count_want).all()
    assert (both.labelled_row_count == both.labelled_row_count_want).all()
    assert (both.is_low_label_count == (both.labelled_row_count_want < MIN_LABELS)).all()


def overall_metric(actual: pd.DataFrame, day: int, name: str, version: str) -> pd.Series:
    found = actual[(actual.segment_column == "all") & (actual.period_start == START + pd.Timedelta(days=day))
                   & (actual.metric_name == name) & (actual.model_version == version)]
    assert len(found) == 1
    return found.iloc[0]


def test_binary_fixture_edge_periods(binary_build):
    run, frame = binary_build
    actual = run.table("model_drift__performance_by_period")
    # ties: day 0 has only 11 distinct scores; its AUC still equals scikit-learn's exactly
    day0 = frame[(frame.period_start == START) & frame.y.notna() & frame.p.notna()]
    assert day0.p.nunique() <= 11
    assert overall_metric(actual, 0, "roc_auc", "v1").metric_value == pytest.approx(
        skm.roc_auc_score(day0.y, day0.p), rel=1e-12, abs=0)
    # one class only
    auc = overall_metric(actual, 2, "roc_auc", "v1")
    assert pd.isna(auc.metric_value) and auc.null_reason == "one class only"
    assert pd.isna(auc.ci_low) and auc.metric_row_count > 0
    assert overall_metric(actual, 2, "precision", "v1").null_reason == "no predicted positives"
    assert overall_metric(actual, 2, "recall", "v1").null_reason == "no positives"
    assert overall_metric(actual, 2, "accuracy", "v1").metric_value == 1.0
    # the gap (day 3, no rows at all) lies inside v1's life: rows of nulls, never a missing row
    gap = actual[(actual.period_start == START + pd.Timedelta(days=3)) & (actual.model_version == "v1")]
    assert len(gap) == len(BINARY_METRICS) * 4  # all + north, south, (null)
    assert gap.metric_value.isna().all() and (gap.null_reason == NO_ROWS).all()
    assert (gap.row_count == 0).all() and gap.is_low_label_count.all() and (gap.ci_method == "none").all()
    assert not (actual.period_start == START + pd.Timedelta(days=3)).loc[actual.model_version == "v2"].any()
    # rows but no labels (day 6)
    unlabelled = actual[(actual.period_start == START + pd.Timedelta(days=6)) & (actual.segment_column == "all")]
    assert unlabelled.metric_value.isna().all() and (unlabelled.null_reason == NO_ROWS).all()
    assert (unlabelled.row_count == 40).all() and (unlabelled.labelled_row_count == 0).all()
    # few labels (day 7): flagged, not dropped
    thin = overall_metric(actual, 7, "accuracy", "v2")
    assert thin.labelled_row_count < MIN_LABELS and thin.is_low_label_count and pd.notna(thin.metric_value)
    assert not overall_metric(actual, 9, "accuracy", "v2").is_low_label_count


def test_model_versions_live_between_their_first_and_last_period(binary_build):
    run, frame = binary_build
    actual = run.table("model_drift__performance_by_period")
    assert set(actual.model_version) == {"v1", "v2", "(null)"}
    for (column, value, version), rows in actual.groupby(["segment_column", "segment_value", "model_version"]):
        sliced = fixture_slices(frame, "region")
        own = sliced[(sliced.segment_column == column) & (sliced.segment_value == value)
                     & (sliced.model_version == version)]
        days = pd.date_range(own.period_start.min(), own.period_start.max(), freq="D")
        assert sorted(rows.period_start.unique()) == list(days), (column, value, version)
    overall = actual[actual.segment_column == "all"]
    assert overall[overall.model_version == "v1"].period_start.max() == START + pd.Timedelta(days=5)
    assert overall[overall.model_version == "v2"].period_start.min() == START + pd.Timedelta(days=4)
    assert set(overall[overall.model_version == "(null)"].period_start) == {START + pd.Timedelta(days=5)}


def test_binary_fixture_decay_pools_versions(binary_build):
    """Age counts from the start of the training period; rows scored before
    their model was trained (v2 before noon on day 4) and rows without a
    version are left out; both versions are pooled at each age."""
    run, frame = binary_build
    decay = run.table("model_drift__decay_by_model_age")
    known = frame[frame.model_version.isin(list(TRAINED))].copy()
    trained = known.model_version.map(TRAINED)
    known = known[known.event_at >= trained]
    known["model_age_periods"] = (known.period_start - known.model_version.map(TRAINED).dt.floor("D")).dt.days
    sliced = fixture_slices(known, "region")
    keys = ["segment_column", "segment_value", "model_age_periods"]
    expected = expected_metrics(sliced, keys, "binary", BINARY_METRICS)
    assert_metrics_match(decay, expected, keys, auc_rtol=1e-12)
    versions = sliced.groupby(keys).model_version.nunique()
    got = decay.drop_duplicates(keys).set_index(keys).version_count
    assert (got == versions.reindex(got.index)).all()
    assert got.max() == 2  # v1 lives at ages 2..7 (days 0..5), v2 at ages 0..5 (days 4..9)
    assert (decay.model_age_periods >= 0).all()
    assert (decay.is_low_label_count == (decay.labelled_row_count < MIN_LABELS)).all()


# --- regression ---------------------------------------------------------------------

def regression_frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    parts = []
    for day, n in [(0, 400), (1, 32), (2, 25), (4, 150)]:
        target = np.round(rng.gamma(2.0, 30.0, n), 2)
        target[rng.uniform(size=n) < 0.1] = 0.0                    # zeros: mape skips them
        prediction = np.round(target * rng.normal(1.0, 0.2, n) + rng.normal(0, 5, n), 3)
        frame = pd.DataFrame({"event_at": START + pd.Timedelta(days=day) + pd.to_timedelta(
            rng.integers(0, 86_400, n), unit="s"), "outcome": target, "score": prediction})
        frame.loc[rng.uniform(size=n) < 0.05, "score"] = np.nan
        frame.loc[rng.uniform(size=n) < 0.05, "outcome"] = np.nan
        parts.append(frame)
    # day 5: only zero targets; day 6: a constant target (12.0, exact in binary)
    parts.append(pd.DataFrame({"event_at": START + pd.Timedelta(days=5) + pd.to_timedelta(range(5), unit="h"),
                               "outcome": [0.0] * 5, "score": [0.1, -0.2, 0.0, 0.3, 0.05]}))
    parts.append(pd.DataFrame({"event_at": START + pd.Timedelta(days=6) + pd.to_timedelta(range(4), unit="h"),
                               "outcome": [12.0] * 4, "score": [11.0, 12.5, 13.0, 12.0]}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def regression_build(tmp_path_factory):
    frame = regression_frame()
    run = build(tmp_path_factory.mktemp("regression"), frame, "+model_drift__performance_by_period",
                model_drift_task="regression", model_drift_confidence_level=0.9)
    frame["period_start"] = frame.event_at.dt.floor("D")
    frame["y"], frame["p"] = frame.outcome, frame.score
    return run, frame


def test_regression_matches_sklearn(regression_build):
    run, frame = regression_build
    actual = run.table("model_drift__performance_by_period")
    assert set(actual.metric_name) == set(REGRESSION_METRICS) and (actual.ci_level == 0.9).all()
    keys = ["segment_column", "segment_value", "model_version", "period_start"]
    sliced = fixture_slices(frame).assign(model_version="all")
    groups = pd.DataFrame({"segment_column": "all", "segment_value": "all", "model_version": "all",
                           "period_start": pd.date_range(START, START + pd.Timedelta(days=6), freq="D")})
    expected = expected_metrics(sliced, keys, "regression", REGRESSION_METRICS, level=0.9, all_groups=groups)
    assert_metrics_match(actual, expected, keys)

    def metric(day, name):
        return actual[(actual.period_start == START + pd.Timedelta(days=day)) & (actual.metric_name == name)].iloc[0]

    assert metric(5, "mape").null_reason == "no labelled rows with a non-zero target"
    assert metric(6, "r2").null_reason == "constant target"
    assert metric(3, "mae").null_reason == NO_ROWS                       # the gap
    assert metric(0, "mape").metric_row_count == ((frame.period_start == START) & frame.y.notna()
                                                  & frame.p.notna() & (frame.y != 0)).sum()


@pytest.fixture(scope="module")
def regression_edge_build(tmp_path_factory):
    """Day 0: four ordinary rows. Day 1: one labelled row. Day 2: eight rows
    whose target is the constant 9.8 (no exact binary form)."""
    frame = pd.DataFrame({
        "event_at": [START + pd.Timedelta(hours=h) for h in range(4)]
        + [START + pd.Timedelta(days=1, hours=3)]
        + [START + pd.Timedelta(days=2, hours=h) for h in range(8)],
        "outcome": [1.0, 2.0, 4.0, 3.0] + [4.5] + [9.8] * 8,
        "score": [1.5, 2.0, 3.0, 3.5] + [5.0] + [9.0, 10.0, 9.5, 10.5, 9.8, 9.7, 10.1, 9.9],
    })
    workdir = tmp_path_factory.mktemp("regression_edges")
    path = write_parquet(frame, workdir / "input.parquet")
    run = run_dbt(["build", "--select", "+model_drift__performance_by_period"], workdir / "dbt", dbt_vars={
        "model_drift_input_path": str(path), "model_drift_event_at": "event_at", "model_drift_target": "outcome",
        "model_drift_prediction": "score", "model_drift_as_of": "2025-01-01", "model_drift_task": "regression"})
    table = run.table("model_drift__performance_by_period")
    return run, table


def day_metric(table: pd.DataFrame, day: int, name: str) -> pd.Series:
    return table[(table.period_start == START + pd.Timedelta(days=day)) & (table.metric_name == name)].iloc[0]


def test_regression_with_one_labelled_row_in_a_period(regression_edge_build):
    run, table = regression_edge_build
    rmse = day_metric(table, 1, "rmse")
    assert rmse.metric_value == 0.5 and day_metric(table, 1, "r2").null_reason == "fewer than 2 labelled rows"
    assert pd.isna(rmse.ci_high) and pd.isna(rmse.ci_low), (rmse.ci_low, rmse.ci_high)
    assert run.ok, run.output[-3000:]


def test_regression_r2_of_a_constant_target_without_an_exact_binary_form(regression_edge_build):
    _, table = regression_edge_build
    assert day_metric(table, 0, "r2").metric_value == pytest.approx(skm.r2_score([1, 2, 4, 3], [1.5, 2, 3, 3.5]))
    r2 = day_metric(table, 2, "r2")
    assert pd.isna(r2.metric_value) and r2.null_reason == "constant target", r2.metric_value


# --- multiclass ---------------------------------------------------------------------

def multiclass_frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    classes = np.array(["bird", "cat", "dog"])
    parts = []
    for day, n in [(0, 300), (1, 120), (3, 40)]:
        truth = rng.choice(classes, n, p=[0.2, 0.5, 0.3])
        guess = np.where(rng.uniform(size=n) < 0.7, truth, rng.choice(classes, n))
        guess = np.where(rng.uniform(size=n) < 0.03, "fish", guess)      # a class never true
        frame = pd.DataFrame({"event_at": START + pd.Timedelta(days=day) + pd.to_timedelta(
            rng.integers(0, 86_400, n), unit="s"), "outcome": truth.astype(object), "score": guess.astype(object)})
        frame.loc[rng.uniform(size=n) < 0.05, "score"] = None
        frame.loc[rng.uniform(size=n) < 0.05, "outcome"] = None
        parts.append(frame)
    parts.append(pd.DataFrame({"event_at": [START + pd.Timedelta(days=4, hours=1)], "outcome": ["cat"],
                               "score": ["dog"]}))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def multiclass_build(tmp_path_factory):
    frame = multiclass_frame()
    run = build(tmp_path_factory.mktemp("multiclass"), frame, "+model_drift__performance_by_period",
                model_drift_task="multiclass", model_drift_confidence_level=0.99)
    frame["period_start"] = frame.event_at.dt.floor("D")
    frame["y"], frame["p"] = frame.outcome, frame.score
    return run, frame


def test_multiclass_matches_sklearn(multiclass_build):
    run, frame = multiclass_build
    actual = run.table("model_drift__performance_by_period")
    assert list(actual.drop_duplicates("metric_name").sort_values("metric_order").metric_name) == MULTICLASS_METRICS
    keys = ["segment_column", "segment_value", "model_version", "period_start"]
    sliced = fixture_slices(frame).assign(model_version="all")
    groups = pd.DataFrame({"segment_column": "all", "segment_value": "all", "model_version": "all",
                           "period_start": pd.date_range(START, START + pd.Timedelta(days=4), freq="D")})
    expected = expected_metrics(sliced, keys, "multiclass", MULTICLASS_METRICS, level=0.99, all_groups=groups)
    assert_metrics_match(actual, expected, keys)
    single = actual[actual.period_start == START + pd.Timedelta(days=4)].set_index("metric_name").metric_value
    assert (single.accuracy, single.macro_f1, single.weighted_f1) == (0.0, 0.0, 0.0)

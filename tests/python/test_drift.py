"""Input drift (model_drift__feature_drift_by_period, model_drift__category_share_by_period)
against independent computations from the raw rows: numpy binning, scipy's
Jensen-Shannon, KS, Wasserstein, Kolmogorov distribution and chi-square, and
pandas summary statistics.

Tolerances:
- binned statistics recomputed here from the mart's own bin edges (PSI,
  Jensen-Shannon, binned KS, its error bound, binned Wasserstein and its
  bound, chi-square): 1e-9 relative;
- the exact statistics: scipy's ks_2samp statistic lies in
  [ks_statistic, ks_statistic + ks_error_bound] and scipy's
  wasserstein_distance within wasserstein_error_bound (both + 1e-9);
- ks_p_value: scipy.special.kolmogorov at the same Stephens-corrected lambda
  to 1e-6; scipy's ks_2samp(method='asymp') p-value (exact rather than binned
  statistic, no Stephens correction), where n m / (n + m) >= 30: to 0.03
  absolute where the binned statistic is exact, elsewhere between the
  p-values at both ends of the statistic's error interval, widened by 0.03;
- summary statistics: 1e-9 relative (both sides interpolate percentiles
  linearly).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

from conftest import DEMO_PARQUET, run_dbt, write_parquet

PSI_FLOOR = 1e-4
BINS = 200
P_VALUE_TOLERANCE = 0.03


# --- independent computations ----------------------------------------------------

def expected_edges(reference: np.ndarray, bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """The documented edges: edge k is the largest reference value among the
    k-th of `bins` equal-count buckets, i.e. the value of rank floor(k n / bins);
    the deciles are the edges k = bins / 10, 2 bins / 10, ..., i.e. the values
    of rank floor(d n / 10). Ties collapse."""
    values = np.sort(reference)
    n = len(values)

    def at(fractions):
        ranks = np.floor(fractions * n + 1e-9).astype(int)
        return np.unique(values[ranks[ranks >= 1] - 1])

    return at(np.arange(1, bins + 1) / bins), at(np.arange(1, 11) / 10)


def numeric_expected(current: np.ndarray, reference: np.ndarray, edges: np.ndarray, deciles: np.ndarray) -> dict:
    """Distances recomputed from raw values and the mart's edges. A value v is
    in bin searchsorted(edges, v, 'left'): bins are (previous edge, edge], and
    values above the last edge fall in an overflow bin. Binned Wasserstein
    keeps the values of the two outer bins and those equal to an edge, and
    puts every other value at its bin's midpoint."""
    samples = pd.concat([
        pd.DataFrame({"value": current, "sample": "current"}),
        pd.DataFrame({"value": reference, "sample": "reference"}),
    ], ignore_index=True)
    values = samples.value.to_numpy()
    bins = np.searchsorted(edges, values, side="left")
    samples["bin"] = bins
    # what the bins know of a value: exact in the outer bins and on an edge,
    # else only that it lies between the bin's two edges (placed at the midpoint)
    inner = (bins > 0) & (bins < len(edges))
    upper = edges[np.minimum(bins, len(edges) - 1)] if len(edges) else values
    lower = edges[np.maximum(bins - 1, 0)] if len(edges) else values
    inside = inner & (values < upper)
    samples["low"] = np.where(inside, lower, values)
    samples["high"] = np.where(inside, upper, values)
    samples["placed"] = np.where(inside, (lower + upper) / 2, values)
    assert len(current) and len(reference)
    grouped = samples.groupby(["bin", "sample"])
    per_bin = pd.concat({
        "count": grouped.value.count(), "mean": grouped.placed.mean(),
        "min": grouped.low.min(), "max": grouped.high.max(),
    }, axis=1).unstack("sample")
    counts = per_bin["count"].fillna(0)
    shares = counts / counts.sum()
    gap = np.abs(shares.current.cumsum() - shares.reference.cumsum())
    ks = gap.max()
    spread = samples.groupby("bin").high.max() > samples.groupby("bin").low.min()
    hidden = np.maximum(shares.current, shares.reference)[spread.reindex(shares.index).to_numpy()]
    ks_bound = min(hidden.max() if len(hidden) else 0.0, 1 - ks)
    means = per_bin["mean"]
    has_c, has_r = counts.current > 0, counts.reference > 0
    binned_w1 = stats.wasserstein_distance(means.current[has_c], means.reference[has_r],
                                           counts.current[has_c], counts.reference[has_r])
    ranges = (per_bin["max"] - per_bin["min"]).fillna(0)
    w1_bound = (shares.current * ranges.current).sum() + (shares.reference * ranges.reference).sum()
    p = np.bincount(np.searchsorted(deciles, current, side="left"), minlength=len(deciles) + 1) / len(current)
    q = np.bincount(np.searchsorted(deciles, reference, side="left"), minlength=len(deciles) + 1) / len(reference)
    n, m = len(current), len(reference)
    return {
        "psi": psi(p, q),
        "js_distance": jensenshannon(p, q, base=2),
        "ks_statistic": ks,
        "ks_error_bound": ks_bound,
        "ks_p_value": stephens_p_value(ks, n, m),
        "wasserstein": binned_w1,
        "wasserstein_error_bound": w1_bound,
        "reference_value_count": m,
        "exact_ks": stats.ks_2samp(current, reference).statistic,
        "exact_ks_p_value": stats.ks_2samp(current, reference, method="asymp").pvalue,
        "exact_wasserstein": stats.wasserstein_distance(current, reference),
    }


def stephens_p_value(statistic: float, n: int, m: int) -> float:
    """The Kolmogorov survival function at Stephens' lambda (taken as 1 below 0.3)."""
    effective = n * m / (n + m)
    lam = (np.sqrt(effective) + 0.12 + 0.11 / np.sqrt(effective)) * statistic
    return 1.0 if lam < 0.3 else float(min(1.0, max(0.0, special.kolmogorov(lam))))


def psi(p: np.ndarray, q: np.ndarray) -> float:
    p, q = np.maximum(p, PSI_FLOOR), np.maximum(q, PSI_FLOOR)
    return float(np.sum((p - q) * np.log(p / q)))


def top_categories(reference: pd.Series, top: int = 10) -> list[str]:
    counts = reference.astype(str).value_counts().rename_axis("category").reset_index()
    counts = counts.sort_values(["count", "category"], ascending=[False, True])
    return list(counts.category[:top])


def categorical_expected(current: pd.Series, reference: pd.Series, top: list[str]) -> dict:
    def grouped(values):
        names = values.astype(str)
        return names.where(names.isin(top), "__other__").value_counts()

    table = pd.DataFrame({"current": grouped(current), "reference": grouped(reference)}).fillna(0)
    shares = table / table.sum()
    return {
        "counts": table,
        "shares": shares,
        "psi": psi(shares.current.to_numpy(), shares.reference.to_numpy()),
        "js_distance": jensenshannon(shares.current, shares.reference, base=2),
        "chi_square": stats.chi2_contingency(table.T.to_numpy(), correction=False).statistic,
        "chi_square_dof": len(table) - 1,
        "reference_value_count": len(reference),
    }


# --- assertions ----------------------------------------------------------------------

def close(got, want, rtol=1e-9, atol=1e-12) -> bool:
    return bool(np.isclose(got, want, rtol=rtol, atol=atol))


def check_numeric(row: pd.Series, current: np.ndarray, reference: np.ndarray, edges: pd.DataFrame) -> dict:
    want = numeric_expected(current, reference, edges.upper_edge.to_numpy(),
                            edges.upper_edge[edges.is_decile_edge].to_numpy())
    label = (row.segment_value, row.feature_name, str(row.period_start.date()))
    assert row.reference_value_count == want["reference_value_count"], label
    for name in ["psi", "js_distance", "ks_statistic", "ks_error_bound", "wasserstein", "wasserstein_error_bound"]:
        assert close(row[name], want[name]), (label, name, row[name], want[name])
    assert close(row.ks_p_value, want["ks_p_value"], rtol=0, atol=1e-6), (label, row.ks_p_value, want["ks_p_value"])
    assert row.ks_statistic - 1e-9 <= want["exact_ks"] <= row.ks_statistic + row.ks_error_bound + 1e-9, (label, want)
    assert abs(want["exact_wasserstein"] - row.wasserstein) <= row.wasserstein_error_bound + 1e-9, (label, want)
    # scipy's asymptotic p-value (exact statistic; Kolmogorov distribution of round(n m / (n + m)) draws, no
    # Stephens' correction: the two differ by < 0.03 at any statistic once n m / (n + m) >= 30) lies between
    # the p-values at the two ends of [ks_statistic, ks_statistic + ks_error_bound], within that 0.03. Below
    # 30 effective rows neither asymptotic p-value means much, and they are not compared.
    n, m = len(current), len(reference)
    if n * m / (n + m) >= 30:
        scipy_p = want["exact_ks_p_value"]
        lowest = stephens_p_value(row.ks_statistic + row.ks_error_bound, n, m)
        assert lowest - P_VALUE_TOLERANCE <= scipy_p <= row.ks_p_value + P_VALUE_TOLERANCE, (
            label, row.ks_p_value, scipy_p)
        if row.ks_error_bound == 0:
            assert abs(scipy_p - row.ks_p_value) <= P_VALUE_TOLERANCE, (label, row.ks_p_value, scipy_p)
    assert pd.isna(row.chi_square) and pd.isna(row.null_reason)
    return want


def check_categorical(row: pd.Series, share_rows: pd.DataFrame, current: pd.Series, reference: pd.Series,
                      top: list[str]) -> dict:
    want = categorical_expected(current, reference, top)
    label = (row.segment_value, row.feature_name, str(row.period_start.date()))
    assert row.reference_value_count == want["reference_value_count"], label
    for name in ["psi", "js_distance", "chi_square"]:
        assert close(row[name], want[name]), (label, name, row[name], want[name])
    assert row.chi_square_dof == want["chi_square_dof"], label
    assert pd.isna(row.ks_statistic) and pd.isna(row.wasserstein) and pd.isna(row.null_reason)
    got = share_rows.set_index("category").sort_index()
    shares = want["shares"].sort_index()
    assert list(got.index) == list(shares.index), label
    np.testing.assert_allclose(got.share, shares.current, rtol=1e-12)
    np.testing.assert_allclose(got.reference_share, shares.reference, rtol=1e-12)
    assert (got.value_count == want["counts"].sort_index().current).all()
    ranks = {name: rank for rank, name in enumerate(top, start=1)}
    assert (got.category_rank == [ranks.get(name, 0) for name in got.index]).all()
    return want


def slice_of(frame: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    return frame if column == "all" else frame[frame[column].fillna("(null)").astype(str) == value]


# --- the demo ------------------------------------------------------------------------

DEMO_REFERENCE_END = pd.Timestamp("2013-01-29")         # first 28 days
DEMO_PERIODS = [pd.Timestamp(d) for d in ["2013-01-10", "2013-03-10", "2013-06-01", "2013-10-15", "2013-12-31"]]
DEMO_SLICES = [("all", "all"), ("origin", "JFK")]
DEMO_NUMERIC = ["temperature_f", "pressure_mb", "distance_miles", "prediction", "wind_gust_mph",
                "visibility_miles", "scheduled_hour"]
DEMO_CATEGORICAL = ["carrier", "target", "dest"]


@pytest.fixture(scope="module")
def demo(demo_build):
    raw = pd.read_parquet(DEMO_PARQUET).rename(columns={"predicted_delay_probability": "prediction",
                                                        "is_arrival_delayed": "target"})
    raw["period_start"] = raw.scheduled_departure_at.dt.floor("D")
    drift = demo_build.table("model_drift__feature_drift_by_period")
    return raw, drift


def drift_row(drift: pd.DataFrame, column: str, value: str, feature: str, period) -> pd.Series:
    found = drift[(drift.segment_column == column) & (drift.segment_value == value)
                  & (drift.feature_name == feature) & (drift.period_start == period)]
    assert len(found) == 1, (column, value, feature, period)
    return found.iloc[0]


def test_demo_bin_edges_are_reference_quantiles(demo_build, demo):
    raw, _ = demo
    edges = demo_build.table("int_model_drift__drift_bin_edges", "feature_name, edge_number")
    reference = raw[raw.period_start < DEMO_REFERENCE_END]
    assert set(edges.feature_name) == set(DEMO_NUMERIC) | {"dewpoint_f", "humidity_pct", "wind_direction_deg",
                                                             "wind_speed_mph", "precipitation_in"}
    for feature, own in edges.groupby("feature_name"):
        all_edges, deciles = expected_edges(reference[feature].dropna().to_numpy(float))
        np.testing.assert_array_equal(own.upper_edge.to_numpy(), all_edges, err_msg=feature)
        np.testing.assert_array_equal(own.upper_edge[own.is_decile_edge].to_numpy(), deciles, err_msg=feature)
        assert list(own.edge_number) == list(range(1, len(own) + 1))


def test_demo_numeric_drift_matches_numpy_and_scipy(demo_build, demo):
    raw, drift = demo
    edges = demo_build.table("int_model_drift__drift_bin_edges", "feature_name, edge_number")
    exact_ks_found = 0
    for column, value in DEMO_SLICES:
        rows = slice_of(raw, column, value)
        reference = rows[rows.period_start < DEMO_REFERENCE_END]
        for period in DEMO_PERIODS:
            current = rows[rows.period_start == period]
            for feature in DEMO_NUMERIC:
                row = drift_row(drift, column, value, feature, period)
                assert row.is_reference_period == (period < DEMO_REFERENCE_END)
                if current[feature].isna().all():
                    assert row.null_reason == "no values in period" and pd.isna(row.psi)
                    continue
                want = check_numeric(row, current[feature].dropna().to_numpy(float),
                                     reference[feature].dropna().to_numpy(float),
                                     edges[edges.feature_name == feature])
                if row.ks_error_bound == 0:
                    assert want["exact_ks"] == pytest.approx(row.ks_statistic, abs=1e-12)
                    exact_ks_found += 1
    assert exact_ks_found >= len(DEMO_SLICES) * len(DEMO_PERIODS)  # scheduled_hour: one value per bin


def test_demo_categorical_drift_matches_pandas_and_scipy(demo_build, demo):
    raw, drift = demo
    shares = demo_build.table("model_drift__category_share_by_period")
    tops = demo_build.table("int_model_drift__drift_top_categories")
    reference_all = raw[raw.period_start < DEMO_REFERENCE_END]
    for feature in DEMO_CATEGORICAL:
        top = top_categories(reference_all[feature].dropna())
        got = tops[tops.feature_name == feature].sort_values("category_rank")
        assert list(got.category) == top, feature
        counts = reference_all[feature].dropna().astype(str).value_counts()
        assert list(got.reference_count) == [counts[name] for name in top]
        for column, value in DEMO_SLICES:
            rows = slice_of(raw, column, value)
            reference = rows[rows.period_start < DEMO_REFERENCE_END][feature].dropna()
            for period in DEMO_PERIODS:
                current = rows[rows.period_start == period][feature].dropna()
                row = drift_row(drift, column, value, feature, period)
                share_rows = shares[(shares.segment_column == column) & (shares.segment_value == value)
                                    & (shares.feature_name == feature) & (shares.period_start == period)]
                check_categorical(row, share_rows, current, reference, top)
                assert row.distinct_categories == current.astype(str).nunique()


def summary_expected(rows: pd.DataFrame, feature: str, days: pd.DatetimeIndex, numeric: bool) -> pd.DataFrame:
    grouped = rows.groupby("period_start")[feature]
    out = pd.DataFrame({"row_count": grouped.size(), "value_count": grouped.count()})
    if numeric:
        out["value_mean"] = grouped.mean()
        out["value_std"] = grouped.std(ddof=1)
        for p in (5, 50, 95):
            out[f"value_p{p:02d}"] = grouped.agg(
                lambda v, p=p: np.quantile(v.dropna(), p / 100) if v.notna().any() else np.nan)
    out = out.reindex(days).fillna({"row_count": 0, "value_count": 0})
    out["null_rate"] = np.where(out.row_count > 0, 1 - out.value_count / out.row_count.where(out.row_count > 0), np.nan)
    return out


SUMMARY_COLUMNS = ["value_mean", "value_std", "value_p05", "value_p50", "value_p95", "null_rate"]


def check_summary(drift: pd.DataFrame, rows: pd.DataFrame, column: str, value: str, feature: str, days, numeric=True):
    got = drift[(drift.segment_column == column) & (drift.segment_value == value)
                & (drift.feature_name == feature)].set_index("period_start").sort_index()
    want = summary_expected(rows, feature, days, numeric)
    assert list(got.index) == list(want.index)
    assert (got.row_count.to_numpy() == want.row_count.to_numpy()).all(), feature
    assert (got.value_count.to_numpy() == want.value_count.to_numpy()).all(), feature
    for name in SUMMARY_COLUMNS if numeric else ["null_rate"]:
        np.testing.assert_allclose(got[name].to_numpy(float), want[name].to_numpy(float), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{value} {feature} {name}")


def test_demo_summary_statistics_match_pandas(demo):
    raw, drift = demo
    days = pd.date_range("2013-01-01", "2013-12-31", freq="D")
    for column, value in DEMO_SLICES + [("origin", "EWR")]:
        rows = slice_of(raw, column, value)
        for feature in ["temperature_f", "wind_gust_mph", "distance_miles", "prediction"]:
            check_summary(drift, rows, column, value, feature, days)
        check_summary(drift, rows, column, value, "target", days, numeric=False)


# --- synthetic fixture: ties, nulls, a gap, reference modes ------------------------------

START = pd.Timestamp("2024-01-01")
DAYS = 10
GAP_DAY = 6


def drift_frame() -> pd.DataFrame:
    """Ten days, 300 rows a day, none on day 6. The reference of the default
    mode is days 0-2. Columns:
    tied: integers 0..5 (6 after the reference: the overflow bin), one value per bin;
    smooth: continuous, shifted from day 5;
    scarce: only 15 values in days 0-2, then many;
    empty: always null;
    late: null until day 3;
    colour: categorical, a new colour from day 5."""
    rng = np.random.default_rng(2024)
    parts = []
    for day in range(DAYS):
        if day == GAP_DAY:
            continue
        n = 300
        shifted = day >= 5
        tied = rng.choice(7, n, p=[0.1, 0.2, 0.3, 0.2, 0.1, 0.1, 0.0] if not shifted
                          else [0.05, 0.1, 0.2, 0.3, 0.2, 0.1, 0.05]).astype(float)
        scarce = rng.exponential(2.0, n)
        if day <= 2:
            scarce[5:] = np.nan
        parts.append(pd.DataFrame({
            "event_at": START + pd.Timedelta(days=day) + pd.to_timedelta(np.sort(rng.integers(0, 86_400, n)), unit="s"),
            "target": rng.integers(0, 2, n),
            "score": rng.uniform(0, 1, n).round(3),
            "grp": rng.choice(["a", "b"], n),
            "tied": tied,
            "smooth": rng.normal(0.4 if day > 4 else 0.0, 1.3 if day > 4 else 1.0, n),
            "scarce": scarce,
            "empty": np.full(n, np.nan),
            "late": np.where(day >= 3, rng.gamma(3.0, 1.0, n), np.nan),
            "colour": rng.choice(["red", "green", "blue", "purple"], n,
                                 p=[0.5, 0.3, 0.2, 0.0] if not shifted else [0.3, 0.3, 0.2, 0.2]),
        }))
    frame = pd.concat(parts, ignore_index=True)
    frame.loc[rng.uniform(size=len(frame)) < 0.05, "smooth"] = np.nan
    return frame


NUMERIC = ["tied", "smooth", "scarce", "late", "prediction"]
CATEGORICAL = ["colour", "target"]


def build_drift(workdir, frame: pd.DataFrame, **dbt_vars):
    workdir.mkdir(parents=True, exist_ok=True)
    path = write_parquet(frame, workdir / "input.parquet")
    settings = {"model_drift_input_path": str(path), "model_drift_event_at": "event_at",
                "model_drift_target": "target", "model_drift_prediction": "score", "model_drift_task": "binary",
                "model_drift_segments": ["grp"], "model_drift_as_of": "2025-01-01", **dbt_vars}
    run = run_dbt(["build", "--select", "+model_drift__feature_drift_by_period",
                   "+model_drift__category_share_by_period"], workdir / "dbt", dbt_vars=settings)
    assert run.ok, run.output[-5000:]
    return run


@pytest.fixture(scope="module")
def fixture_frame() -> pd.DataFrame:
    frame = drift_frame()
    frame["period_start"] = frame.event_at.dt.floor("D")
    return frame.rename(columns={"score": "prediction"})


@pytest.fixture(scope="module")
def first_build(tmp_path_factory):
    return build_drift(tmp_path_factory.mktemp("drift_first"), drift_frame(),
                       model_drift_reference_periods=3)


@pytest.fixture(scope="module")
def sampled_edges_build(tmp_path_factory):
    return build_drift(tmp_path_factory.mktemp("drift_sampled_edges"), drift_frame(),
                       model_drift_reference_periods=3, model_drift_drift_bins=10,
                       model_drift_drift_edge_max_rows=SAMPLED_EDGE_ROWS)


@pytest.fixture(scope="module")
def dates_build(tmp_path_factory):
    return build_drift(tmp_path_factory.mktemp("drift_dates"), drift_frame(), model_drift_reference="dates",
                       model_drift_reference_start="2024-01-03", model_drift_reference_end="2024-01-06")


@pytest.fixture(scope="module")
def trailing_build(tmp_path_factory):
    return build_drift(tmp_path_factory.mktemp("drift_trailing"), drift_frame(), model_drift_reference="trailing",
                       model_drift_reference_periods=2)


def check_fixture(run, frame: pd.DataFrame, reference_of, binning_rows: pd.DataFrame,
                  edge_rows: pd.DataFrame | None = None, bins: int = BINS) -> pd.DataFrame:
    """Every slice, followed column and period of the fixture against the
    independent computation; reference_of(period) gives the reference rows,
    binning_rows the rows top categories (and, unless edge_rows, the `bins`
    bin edges) come from."""
    edge_rows = binning_rows if edge_rows is None else edge_rows
    drift = run.table("model_drift__feature_drift_by_period")
    shares = run.table("model_drift__category_share_by_period")
    edges = run.table("int_model_drift__drift_bin_edges", "feature_name, edge_number")
    tops = run.table("int_model_drift__drift_top_categories")
    assert set(drift.feature_name) == set(NUMERIC + CATEGORICAL + ["empty"])
    for feature in NUMERIC:
        values = edge_rows[feature].dropna().to_numpy(float)
        own = edges[edges.feature_name == feature]
        if len(values) >= bins:   # fewer: see test_fixture_deciles_of_a_small_reference
            all_edges, deciles = expected_edges(values, bins)
            np.testing.assert_array_equal(own.upper_edge.to_numpy(), all_edges, err_msg=feature)
            np.testing.assert_array_equal(own.upper_edge[own.is_decile_edge].to_numpy(), deciles, err_msg=feature)
        assert own.empty == (len(values) == 0), feature
    for feature in CATEGORICAL:
        top = top_categories(binning_rows[feature].dropna())
        assert list(tops[tops.feature_name == feature].sort_values("category_rank").category) == top, feature
    assert drift.period_start.nunique() == DAYS
    checked = 0
    for (column, value, feature, period), row in drift.set_index(
            ["segment_column", "segment_value", "feature_name", "period_start"]).iterrows():
        row = row.copy()
        row["segment_value"], row["feature_name"], row["period_start"] = value, feature, period
        rows = slice_of(frame, column, value)
        current = rows[rows.period_start == period][feature].dropna()
        reference = slice_of(reference_of(period), column, value)[feature].dropna()
        if current.empty:
            assert row.null_reason == "no values in period", (value, feature, period)
        elif reference.empty:
            assert row.null_reason == "no values in reference", (value, feature, period)
        if pd.notna(row.null_reason):
            assert pd.isna(row.psi) and pd.isna(row.js_distance) and pd.isna(row.ks_statistic)
            assert pd.isna(row.wasserstein) and pd.isna(row.chi_square) and pd.isna(row.ks_p_value)
            continue
        if feature in CATEGORICAL:
            top = list(tops[tops.feature_name == feature].sort_values("category_rank").category)
            share_rows = shares[(shares.segment_column == column) & (shares.segment_value == value)
                                & (shares.feature_name == feature) & (shares.period_start == period)]
            check_categorical(row, share_rows, current, reference, top)
        else:
            check_numeric(row, current.to_numpy(float), reference.to_numpy(float), edges[edges.feature_name == feature])
        checked += 1
    assert checked > 0
    return drift


def test_fixture_first_periods_reference(first_build, fixture_frame):
    frame = fixture_frame
    reference = frame[frame.period_start < START + pd.Timedelta(days=3)]
    drift = check_fixture(first_build, frame, lambda period: reference, reference)
    edges = first_build.table("int_model_drift__drift_bin_edges", "feature_name, edge_number")
    assert "late" not in set(edges.feature_name) and "empty" not in set(edges.feature_name)
    assert set(edges[edges.feature_name == "tied"].upper_edge) == {0, 1, 2, 3, 4, 5}

    overall = drift[drift.segment_column == "all"].set_index(["feature_name", "period_start"]).sort_index()
    # heavy ties: every bin holds one distinct value, so the binned KS is exact
    tied = overall.loc["tied"].drop(START + pd.Timedelta(days=GAP_DAY))
    assert (tied.ks_error_bound == 0).all()
    for period, row in tied.iterrows():
        exact = stats.ks_2samp(frame[frame.period_start == period].tied, reference.tied).statistic
        assert row.ks_statistic == pytest.approx(exact, abs=1e-12)
    assert tied.loc[START + pd.Timedelta(days=9)].ks_statistic > 0.1        # the shift is seen
    # a column that is always null: every row null, 'no values in period'
    empty = drift[drift.feature_name == "empty"]
    assert (empty.null_reason == "no values in period").all() and empty.psi.isna().all()
    assert (empty.value_count == 0).all() and empty.value_mean.isna().all()
    assert (empty[empty.row_count > 0].null_rate == 1).all()
    # a column with no values in the reference
    late = overall.loc["late"]
    assert (late.loc[START + pd.Timedelta(days=3):].dropna(subset=["value_mean"]).null_reason
            == "no values in reference").all()
    assert (late.loc[:START + pd.Timedelta(days=2)].null_reason == "no values in period").all()
    # the gap: a row of its own, nothing in it
    gap = drift[drift.period_start == START + pd.Timedelta(days=GAP_DAY)]
    assert len(gap) == len(NUMERIC + CATEGORICAL + ["empty"]) * 3
    assert (gap.row_count == 0).all() and gap.null_rate.isna().all() and gap.psi.isna().all()
    assert (gap.null_reason == "no values in period").all()
    # reference flags
    assert (overall.is_reference_period == (overall.index.get_level_values("period_start")
                                            < START + pd.Timedelta(days=3))).all()
    assert (overall.reference_mode == "first").all()


def test_fixture_summary_statistics(first_build, fixture_frame):
    drift = first_build.table("model_drift__feature_drift_by_period")
    days = pd.date_range(START, periods=DAYS, freq="D")
    for column, value in [("all", "all"), ("grp", "a"), ("grp", "b")]:
        rows = slice_of(fixture_frame, column, value)
        for feature in ["tied", "smooth", "scarce", "late", "empty", "prediction"]:
            check_summary(drift, rows, column, value, feature, days)
        check_summary(drift, rows, column, value, "colour", days, numeric=False)


def test_fixture_deciles_of_a_small_reference(first_build, fixture_frame):
    reference = fixture_frame[fixture_frame.period_start < START + pd.Timedelta(days=3)].scarce.dropna()
    assert len(reference) == 15
    edges = first_build.table("int_model_drift__drift_bin_edges where feature_name = 'scarce'", "edge_number")
    all_edges, deciles = expected_edges(reference.to_numpy(float))
    np.testing.assert_array_equal(edges.upper_edge.to_numpy(), all_edges)
    np.testing.assert_array_equal(edges.upper_edge[edges.is_decile_edge].to_numpy(), deciles)


SAMPLED_EDGE_ROWS = 300


def test_fixture_edges_of_a_sampled_reference(sampled_edges_build, fixture_frame):
    """A reference of more rows than model_drift_drift_edge_max_rows: the
    edges are the documented quantiles of its hash sample (a row is kept when
    DuckDB's hash of all its cleaned columns, over 2^64, times the reference's
    rows is below the cap), the distances exact against those edges, and the
    top categories still from the whole reference."""
    frame = fixture_frame
    reference = frame[frame.period_start < START + pd.Timedelta(days=3)]
    with duckdb.connect(str(sampled_edges_build.database), read_only=True) as connection:
        names = [row[0] for row in connection.sql("describe int_model_drift__observations_cleaned").fetchall()]
        key = ", ".join(f'"{name}"' for name in names)
        sample = connection.execute(
            f"select * from int_model_drift__observations_cleaned where period_start < ? "
            f"and cast(hash({key}) as double) / 18446744073709551616.0 * ? < ?",
            [START + pd.Timedelta(days=3), len(reference), SAMPLED_EDGE_ROWS]).df()
    assert len(reference) == 900 and 200 <= len(sample) <= 400, len(sample)
    check_fixture(sampled_edges_build, frame, lambda period: reference, reference, edge_rows=sample, bins=10)
    # the sample, not the whole reference, set the edges
    edges = sampled_edges_build.table("int_model_drift__drift_bin_edges where feature_name = 'smooth'", "edge_number")
    np.testing.assert_array_equal(edges.upper_edge.to_numpy(), expected_edges(sample.smooth.dropna().to_numpy(), 10)[0])
    assert not np.array_equal(edges.upper_edge.to_numpy(), expected_edges(reference.smooth.dropna().to_numpy(), 10)[0])


def test_fixture_reference_dates(dates_build, fixture_frame):
    frame = fixture_frame
    window = (frame.period_start >= pd.Timestamp("2024-01-03")) & (frame.period_start < pd.Timestamp("2024-01-06"))
    drift = check_fixture(dates_build, frame, lambda period: frame[window], frame[window])
    overall = drift[(drift.segment_column == "all") & (drift.feature_name == "tied")].set_index("period_start")
    flagged = overall.index[overall.is_reference_period]
    assert sorted(flagged) == list(pd.date_range("2024-01-03", "2024-01-05", freq="D"))  # table order is not defined
    assert (overall.reference_mode == "dates").all()
    # 'late' has values from day 3 on, all inside this reference: compared from the first day it has values
    late = drift[(drift.segment_column == "all") & (drift.feature_name == "late")].set_index("period_start")
    assert late.loc[START + pd.Timedelta(days=3)].psi >= 0
    assert late.loc[START + pd.Timedelta(days=3)].reference_value_count == frame[window].late.notna().sum()


def test_fixture_trailing_reference(trailing_build, fixture_frame):
    frame = fixture_frame
    n = 2

    def reference_of(period):
        return frame[(frame.period_start < period) & (frame.period_start >= period - pd.Timedelta(days=n))]

    drift = check_fixture(trailing_build, frame, reference_of, frame)  # edges: every row
    overall = drift[drift.segment_column == "all"].set_index(["feature_name", "period_start"]).sort_index()
    first = overall.xs(START, level="period_start")
    assert (first.loc[NUMERIC[:3] + CATEGORICAL].null_reason == "no values in reference").all()
    assert not overall.is_reference_period.any() and (overall.reference_mode == "trailing").all()
    # a later period's reference counts are the sum of the previous n periods' value counts
    counts = overall.value_count
    for feature in ["tied", "smooth", "colour"]:
        for day in [2, 5, 7, 8, 9]:   # day 7 and 8: the gap (day 6) is one of the previous periods
            period = START + pd.Timedelta(days=day)
            previous = [period - pd.Timedelta(days=k) for k in range(1, n + 1)]
            want = sum(counts.loc[(feature, p)] for p in previous)
            assert overall.loc[(feature, period)].reference_value_count == want, (feature, day)

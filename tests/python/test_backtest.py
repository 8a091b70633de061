"""The backtest engine and the curves read off it: exact pieces against
scikit-learn, the grid's guarantees, and synthetic histories whose true
answer the generator measures."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as sk

from model_drift.analysis import DecaySettings, decay_tables, learning_tables, window_table
from model_drift.backtest import (
    BacktestConfig,
    InsufficientHistory,
    encode_features,
    plan_backtest,
    plan_replay,
    run_backtest,
)
from model_drift.estimators import resolve_estimator
from model_drift.metrics import score_groups
from model_drift.pipeline import typed
from model_drift.synthetic import (
    FEATURES,
    DriftTruth,
    drifting_classification,
    learning_problem,
    measured_decay,
    measured_learning_curve,
    measured_periods_to_tolerance,
    rows_for_share,
)


def config(**overrides) -> BacktestConfig:
    settings = dict(task="binary", metric="roc_auc", threshold=0.5, period="day", categorical=(), numeric=FEATURES,
                    cutoff_count=8, window_periods=(7,), row_counts=(500,), max_rows_per_fit=20000,
                    learning_curve_ages=7, min_train_rows=200, max_replay_fits=150, max_eval_rows_per_period=500,
                    estimator="hist_gradient_boosting", seed=0, n_jobs=-1)
    return BacktestConfig(**{**settings, **overrides})


# --- exact pieces -------------------------------------------------------------

@pytest.mark.parametrize("metric, reference", [
    ("roc_auc", sk.roc_auc_score), ("log_loss", sk.log_loss), ("brier", sk.brier_score_loss),
    ("accuracy", lambda y, p: sk.accuracy_score(y, p >= 0.5)),
    ("f1", lambda y, p: sk.f1_score(y, p >= 0.5)),
])
def test_grouped_binary_metrics_match_sklearn(metric, reference):
    generator = np.random.default_rng(3)
    n = 6000
    groups = generator.integers(0, 9, n)
    y = generator.integers(0, 2, n)
    scores = np.round(generator.random(n), 1)  # many ties
    got = score_groups("binary", metric, y, scores, groups, 9, 0.5)
    want = [reference(y[groups == g], scores[groups == g]) for g in range(9)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("metric, reference", [
    ("accuracy", sk.accuracy_score), ("f1", sk.f1_score), ("precision", sk.precision_score),
    ("recall", sk.recall_score),
])
def test_binary_threshold_metrics_use_the_threshold_var(metric, reference):
    """var model_drift_threshold, not 0.5, makes a predicted positive in the backtest (as in the SQL layer)."""
    generator = np.random.default_rng(5)
    groups = generator.integers(0, 4, 4000)
    y = generator.integers(0, 2, 4000)
    scores = np.round(generator.random(4000), 2)
    got = score_groups("binary", metric, y, scores, groups, 4, 0.3)
    want = [reference(y[groups == g], scores[groups == g] >= 0.3) for g in range(4)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert not np.allclose(got, score_groups("binary", metric, y, scores, groups, 4, 0.5))


def test_grouped_regression_metrics_match_sklearn():
    generator = np.random.default_rng(4)
    groups = generator.integers(0, 5, 3000)
    y, p = generator.normal(size=3000), generator.normal(size=3000)
    for metric, reference in [("mae", sk.mean_absolute_error), ("rmse", sk.root_mean_squared_error),
                              ("r2", sk.r2_score)]:
        got = score_groups("regression", metric, y, p, groups, 5, 0.5)
        np.testing.assert_allclose(got, [reference(y[groups == g], p[groups == g]) for g in range(5)], rtol=1e-10)


def test_undefined_metrics_are_none_not_nan():
    y = np.array([1, 1, 0, 0])
    got = score_groups("binary", "roc_auc", y, np.array([0.2, 0.4, 0.3, 0.1]), np.array([0, 0, 1, 1]), 2, 0.5)
    assert got == [None, None]  # each group holds one class


# --- the grid's guarantees ------------------------------------------------------

@pytest.fixture(scope="module")
def small_history() -> pd.DataFrame:
    return drifting_classification(DriftTruth("none"), days=60, rows_per_day=100, label_delay_hours=30)


def test_labels_known_after_the_cutoff_are_not_trained_on(small_history):
    for fit in plan_backtest(small_history, config()):
        train = small_history.iloc[fit.train_index]
        assert (train["label_at"] < fit.cutoff_at).all()
        # a 30 h label delay: the day before the cutoff is still unlabelled
        assert train["event_at"].max() < fit.cutoff_at - pd.Timedelta(hours=30)


def test_row_specs_take_the_newest_rows(small_history):
    fits = plan_backtest(small_history, config(row_counts=(300,)))
    for fit in fits:
        if fit.specs[0].kind != "rows":
            continue
        eligible = small_history[(small_history["label_at"] < fit.cutoff_at)]
        newest = eligible.sort_values("event_at", kind="stable").index[-300:]
        assert sorted(fit.train_index) == sorted(newest)


def test_identical_training_sets_are_fitted_once(small_history):
    # a 1000-period window covers the whole history: the same rows as 'all'
    fits = plan_backtest(small_history, config(window_periods=(7, 1000)))
    with_all = [{s.name for s in fit.specs} for fit in fits if "all" in {s.name for s in fit.specs}]
    replay = plan_replay(small_history, config(window_periods=(7, 1000)))
    assert len(with_all) == len(replay.fit_times) and all("window_1000" in names for names in with_all)
    result = run_backtest(small_history, config(window_periods=(7, 1000), n_jobs=1), log=lambda m: None)
    assert result.fit_count == len(fits)
    scores = result.scores
    pivot = scores.pivot_table(index=["cutoff_number", "eval_period_start"], columns="spec_name", values="metric_value")
    np.testing.assert_array_equal(pivot["all"], pivot["window_1000"])


def test_deterministic_for_a_seed_and_parallel_equals_serial(small_history):
    one = run_backtest(small_history, config(n_jobs=1), log=lambda m: None).scores
    two = run_backtest(small_history, config(n_jobs=2), log=lambda m: None).scores
    pd.testing.assert_frame_equal(one, two)


def test_row_order_does_not_change_the_scores(small_history):
    # a warehouse returns rows in any order: sampled fits, the newest-n rows
    # and category codes with tied counts must not depend on it
    history = small_history.assign(colour=np.where(np.arange(len(small_history)) % 2 == 0, "red", "blue"))
    grid = config(max_rows_per_fit=300, row_counts=(250,), categorical=("colour",))

    def scores(frame):
        encoded, _, _ = encode_features(frame, ["colour"])
        return run_backtest(encoded, grid, log=lambda m: None).scores

    shuffled = history.sample(frac=1.0, random_state=7)
    pd.testing.assert_frame_equal(scores(history), scores(shuffled))


def test_progress_is_logged_and_fit_count_stated_first(small_history):
    lines = []
    run_backtest(small_history, config(n_jobs=1), log=lines.append)
    assert lines[0].startswith("backtest: ") and " fits (" in lines[0]
    assert lines[-1].startswith(f"backtest: {lines[0].split()[1]}/{lines[0].split()[1]} fits done")


def test_too_little_history_says_how_much_is_needed():
    tiny = drifting_classification(DriftTruth("none"), days=3, rows_per_day=20)
    expected = r"have 200 labelled rows known before them \(var model_drift_backtest_min_train_rows\).* Fix: set var"
    with pytest.raises(InsufficientHistory, match=expected) as caught:
        plan_backtest(tiny, config(min_train_rows=200))
    fewer = int(re.search(r"model_drift_backtest_min_train_rows: (\d+)\}", str(caught.value))[1])
    assert plan_backtest(tiny, config(min_train_rows=fewer))  # the fix it names works


def test_estimator_by_import_path_and_clear_errors():
    assert resolve_estimator("model_drift.estimators:linear").__name__ == "linear"
    with pytest.raises(ValueError, match="var model_drift_estimator is 'xgb'"):
        resolve_estimator("xgb")
    with pytest.raises(ValueError, match="cannot be imported"):
        resolve_estimator("no_such_package.module:factory")


@pytest.mark.parametrize("estimator", ["linear", "random_forest"])
def test_named_alternatives_run(small_history, estimator):
    result = run_backtest(small_history, config(estimator=estimator, cutoff_count=2, n_jobs=1), log=lambda m: None)
    assert result.scores["metric_value"].notna().all()


def test_output_types_turn_nan_into_null():
    frame = pd.DataFrame({"metric_name": ["a"], "train_rows": [1], "cutoff_count": [1], "quality": [np.nan],
                          "band_low": [0.1], "band_high": [0.2], "fitted_quality": [None]})
    out = typed(frame, "learning_curve")
    assert out["quality"].isna().all() and str(out["quality"].dtype) == "Float64"


# --- synthetic truth ------------------------------------------------------------

TOLERANCE = 0.02


def decay_summary(truth: DriftTruth, seed: int = 0) -> pd.Series:
    history = drifting_classification(truth, days=240, rows_per_day=600, seed=seed)
    scores = run_backtest(history, config(), log=lambda m: None).scores
    settings = DecaySettings(tolerance=TOLERANCE, tolerance_kind="absolute", seed=0)
    return decay_tables(scores, "roc_auc", "window_7", settings)[2].iloc[0]


def test_gradual_drift_time_to_tolerance_within_25_percent_of_truth():
    truth = DriftTruth("gradual", rate=0.005)
    summary = decay_summary(truth)
    measured = measured_decay(truth, window_days=7, rows_per_day=600, max_age=90, repeats=2, eval_rows=10_000)
    true_age = measured_periods_to_tolerance(measured, TOLERANCE, fresh_periods=1)
    assert summary["regime"] == "gradual"
    found = summary["periods_to_tolerance"]
    assert abs(found - true_age) <= 0.25 * true_age, (found, true_age)
    assert summary["periods_to_tolerance_low"] <= found <= summary["periods_to_tolerance_high"]


def test_abrupt_change_is_labelled_abrupt_at_its_time():
    summary = decay_summary(DriftTruth("abrupt", change_day=150, jump=1.2))
    assert summary["regime"] == "abrupt"
    # located within 3 days plus the replay grid's step (fits every 3 days here)
    assert abs((summary["abrupt_change_at"] - pd.Timestamp("2024-01-01")).days - 150) <= 3 + 3


def test_no_drift_is_labelled_none():
    summary = decay_summary(DriftTruth("none"))
    assert summary["regime"] == "none"
    assert summary["loss_at_horizon_high"] < TOLERANCE


def test_learning_plateau_rows_within_a_factor_of_1_5_of_truth():
    sizes = (250, 500, 1000, 2000, 4000, 8000, 16000)
    history = learning_problem(72_000)
    scores = run_backtest(history, config(cutoff_count=6, row_counts=sizes), log=lambda m: None).scores
    fit = learning_tables(scores, "roc_auc", labelled_rows_per_period=400.0, seed=0)[1].iloc[0]
    truth = measured_learning_curve(sizes + (32000, 64000), repeats=2, eval_rows=20_000)
    true_rows = rows_for_share(truth, plateau=truth.iloc[-1], baseline=0.5, share=0.95)
    assert not fit["is_still_rising"]
    assert 1 / 1.5 <= fit["rows_for_95pct"] / true_rows <= 1.5, (fit["rows_for_95pct"], true_rows)
    assert fit["periods_for_95pct"] == pytest.approx(fit["rows_for_95pct"] / 400.0)


def test_the_replay_grid_fits_every_step_within_its_budget_and_says_so(small_history):
    # 60 days, the newest half replayed: 2 specs x 30 periods within 150 fits is every period
    replay = plan_replay(small_history, config())
    assert replay.step == 1 and len(replay.fit_times) == replay.region_periods
    # 3,000+ rows known at every fit time: capped at 1,000 rows, each fit is a full-size one
    tight = plan_replay(small_history, config(max_replay_fits=20, max_rows_per_fit=1000))
    assert tight.step == 3 and 2 * len(tight.fit_times) <= 20
    assert tight.describe(2).startswith("replay grid: 2 training specs x 10 fit times, every 3 periods")
    # the budget counts full-size fits: smaller training sets cost their share of one
    assert plan_replay(small_history, config(max_replay_fits=20)).step == 1
    lines = []
    run_backtest(small_history, config(max_replay_fits=20, max_rows_per_fit=1000, n_jobs=1), log=lines.append)
    assert "intervals in steps of 3" in lines[0]


def test_a_window_too_short_to_train_on_is_compared_on_its_newest_rows(small_history):
    # 100 rows a day: a 1-day window holds fewer than 200 labelled rows
    scores = run_backtest(small_history, config(window_periods=(1,), n_jobs=1), log=lambda m: None).scores
    table = window_table(scores, "roc_auc", pd.Timedelta(days=1), seed=0)
    row = table.set_index("spec_name").loc["window_1"]
    assert row["extended_fit_count"] == row["fit_count"] > 0
    assert "window_1 held too few rows" in row["reason"]
    assert (scores.loc[scores["spec_name"] == "window_1", "train_rows"] == 200).all()


def test_every_fit_scores_the_same_capped_rows_of_a_period(small_history):
    scores = run_backtest(small_history, config(max_eval_rows_per_period=40, n_jobs=1), log=lambda m: None).scores
    assert scores["eval_rows"].max() == 40


def test_window_comparison_prefers_recent_data_under_drift_and_all_history_without():
    drifting = drifting_classification(DriftTruth("gradual", rate=0.01), days=200, rows_per_day=300)
    scores = run_backtest(drifting, config(window_periods=(14,)), log=lambda m: None).scores
    table = window_table(scores, "roc_auc", None, seed=0)
    assert table["verdict"].iloc[0] == "drop data older than 14 periods"
    stable = drifting_classification(DriftTruth("none"), days=200, rows_per_day=300)
    scores = run_backtest(stable, config(window_periods=(14,)), log=lambda m: None).scores
    table = window_table(scores, "roc_auc", None, seed=0)
    assert table["verdict"].iloc[0] == "keep all history"

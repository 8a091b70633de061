"""Q5: the policy backtest against hand-computed and independently replayed
answers, the recommendations against synthetic histories whose true answer
is known, the demo's five answers end to end, and the alerts as dbt tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import REPO, run_dbt
from model_drift.analysis import DecaySettings, decay_tables, learning_tables, window_table
from model_drift.backtest import run_backtest
from model_drift.pipeline import parse_settings, policy_backtest_table
from model_drift.policy import PolicyCosts, policy_table
from model_drift.recommendations import Evidence, recommendations_table
from model_drift.synthetic import DriftTruth, drifting_classification, true_periods_to_tolerance
from test_backtest import config

# --- the replay, exactly ------------------------------------------------------


def linear_scores(cutoffs: int = 4, last_ages=(59, 49, 39, 29), rate: float = 0.001) -> pd.DataFrame:
    """Backtest scores whose quality falls by `rate` per period of age, the
    same for every cutoff: quality = 0.8 - rate * age."""
    rows = []
    for cutoff in range(1, cutoffs + 1):
        cutoff_at = pd.Timestamp("2024-01-01") + pd.Timedelta(days=10 * cutoff)
        for age in range(last_ages[cutoff - 1] + 1):
            rows.append({
                "cutoff_number": cutoff, "cutoff_at": cutoff_at, "spec_name": "all", "spec_kind": "all",
                "spec_size": None, "eval_period_start": cutoff_at + pd.Timedelta(days=age),
                "model_age_periods": age, "metric_name": "roc_auc", "metric_value": 0.8 - rate * age, "eval_rows": 100,
            })
    return pd.DataFrame(rows)


def test_policy_replay_of_a_linear_decay_equals_the_hand_computed_losses():
    table = policy_table(linear_scores(), "roc_auc", DecaySettings(tolerance=0.02, fresh_periods=7))
    k = table["retrain_every_periods"].to_numpy()
    # fresh quality is the mean over ages 0..6: 0.8 - 0.003; loss(age) = 0.001 * age - 0.003
    assert table["fresh_quality"].iloc[0] == pytest.approx(0.797)
    np.testing.assert_allclose(table["end_of_cycle_loss"], 0.001 * (k - 1) - 0.003, atol=1e-12)
    np.testing.assert_allclose(table["mean_loss"], 0.001 * (k - 1) / 2 - 0.003, atol=1e-12)
    np.testing.assert_allclose(table["mean_quality"], 0.8 - 0.001 * (k - 1) / 2, atol=1e-12)
    np.testing.assert_allclose(table["worst_period_quality"], 0.8 - 0.001 * (k - 1), atol=1e-12)
    # a cycle of k is replayed in full by the cutoffs whose scores reach age k - 1
    assert list(table["cutoff_count"]) == [sum(last >= kk - 1 for last in (59, 49, 39, 29)) for kk in k]
    assert k.max() == 50  # the longest cycle two cutoffs replay in full
    # 0.001 * (k - 1) - 0.003 <= 0.02  <=>  k <= 24
    assert table.loc[table["is_within_tolerance"], "retrain_every_periods"].max() == 24
    assert table["retrains_over_history"].iloc[0] == table["history_periods"].iloc[0] == 60  # days 10..69


def test_cost_optimal_interval_equals_a_brute_force_minimum():
    costs = PolicyCosts(retrain_cost=0.05, quality_unit_cost=10.0)
    table = policy_table(linear_scores(), "roc_auc", DecaySettings(tolerance=0.02), costs)
    k = np.arange(1, 51)
    mean_loss = np.maximum(0.001 * (k - 1) / 2 - 0.003, 0)
    cost = 0.05 / k + 10.0 * mean_loss
    np.testing.assert_allclose(table["cost_per_period"], cost, atol=1e-12)
    assert table.loc[table["is_cost_optimal"], "retrain_every_periods"].tolist() == [int(k[np.argmin(cost)])]
    assert not policy_table(linear_scores(), "roc_auc", DecaySettings())["is_cost_optimal"].any()


def test_costs_must_come_in_pairs_and_be_numbers():
    with pytest.raises(ValueError, match="model_drift_quality_unit_cost"):
        PolicyCosts(retrain_cost=100.0)
    with pytest.raises(ValueError, match="model_drift_retrain_cost"):
        PolicyCosts(retrain_cost=-1.0, quality_unit_cost=1.0)
    settings = {"tolerance": "0.02", "tolerance_kind": "absolute", "fresh_periods": "7", "seed": "0",
                "retrain_cost": "'a lot'", "quality_unit_cost": "None"}
    with pytest.raises(ValueError, match="var model_drift_retrain_cost is 'a lot'"):
        policy_backtest_table(linear_scores(), settings)


def independent_replay(scores: pd.DataFrame, spec: str, fresh_periods: int, k: int) -> tuple[float, int]:
    """Mean loss of 'retrain every k periods', cycle by cycle in plain Python."""
    cycle_losses = []
    for _, rows in scores[(scores["spec_name"] == spec) & scores["metric_value"].notna()].groupby("cutoff_number"):
        by_age = dict(zip(rows["model_age_periods"], rows["metric_value"]))
        fresh = [v for a, v in by_age.items() if a < fresh_periods]
        if not fresh or max(by_age) < k - 1:
            continue
        level = sum(fresh) / len(fresh)
        losses = [level - v for a, v in by_age.items() if a < k]
        cycle_losses.append(sum(losses) / len(losses))
    return sum(cycle_losses) / len(cycle_losses), len(cycle_losses)


# --- synthetic histories with a known answer ----------------------------------

TOLERANCE = 0.02


def arrival_row(history: pd.DataFrame, labelled_rows_needed: int = 1000) -> pd.Series:
    """model_drift__arrival_summary's overall row, computed here from the history."""
    labelled = history[history["is_labelled"]]
    periods = history["period_start"].nunique()
    rate = len(labelled) / periods
    delay_hours = (labelled["label_at"] - labelled["event_at"]).dt.total_seconds() / 3600
    return pd.Series({
        "answer": f"{rate:.0f} labelled rows arrive per day; labels take a few hours.", "period_count": periods, "gap_period_count": 0, "period_hours": 24.0,
        "labels_per_period_recent": rate, "label_delay_hours_p90": float(np.quantile(delay_hours, 0.9)),
        "labelled_rows_needed": labelled_rows_needed, "periods_to_labelled_rows_needed": labelled_rows_needed / rate,
    })


@pytest.fixture(scope="module")
def histories() -> dict[str, tuple[pd.DataFrame, pd.DataFrame, DriftTruth]]:
    out = {}
    for name, truth in {"none": DriftTruth("none"), "slow": DriftTruth("gradual", rate=0.005),
                        "fast": DriftTruth("gradual", rate=0.02)}.items():
        history = drifting_classification(truth, days=240, rows_per_day=600)
        grid = config(row_counts=(250, 500, 1000, 2000), window_periods=(7, 28))
        out[name] = (history, run_backtest(history, grid, log=lambda m: None).scores, truth)
    return out


def recommend(history, scores, tolerance=TOLERANCE, arrival=None, costs=PolicyCosts()) -> tuple[pd.DataFrame, pd.DataFrame]:
    settings = DecaySettings(tolerance=tolerance)
    policy = policy_table(scores, "roc_auc", settings, costs)
    evidence = Evidence(
        period="day",
        decay=decay_tables(scores, "roc_auc", "all", settings)[2].iloc[0],
        arrival=arrival if arrival is not None else arrival_row(history),
        learning=learning_tables(scores, "roc_auc", 600.0)[1].iloc[0],
        windows=window_table(scores, "roc_auc"),
        policy=policy,
    )
    return recommendations_table(evidence), policy


def test_policy_table_equals_an_independent_replay(histories):
    _, scores, _ = histories["slow"]
    table = policy_table(scores, "roc_auc", DecaySettings(tolerance=TOLERANCE))
    for spec in ("all", "window_7"):
        rows = table[table["spec_name"] == spec].set_index("retrain_every_periods")
        for k in (1, 5, 17, 40, int(rows.index.max())):
            mean_loss, cycles = independent_replay(scores, spec, 7, k)
            assert rows.loc[k, "mean_loss"] == pytest.approx(mean_loss, abs=1e-12)
            assert rows.loc[k, "cutoff_count"] == cycles
            assert rows.loc[k, "mean_loss_low"] <= rows.loc[k, "mean_loss"] <= rows.loc[k, "mean_loss_high"]
        assert (np.diff(rows["end_of_cycle_loss"]) >= -1e-12).all()  # never better with age


def test_no_drift_yields_no_scheduled_retraining(histories):
    table, _ = recommend(*histories["none"][:2])
    q5 = table.set_index("question_number").loc[5]
    assert q5["answer"].startswith("No scheduled retraining needed")
    assert "model_drift_alerts" in q5["answer"]  # says which monitoring should trigger one
    assert pd.isna(q5["value"]) and q5["limited_by"] == "no decay"


@pytest.mark.parametrize("name", ["slow", "fast"])
def test_drift_yields_an_interval_within_25_percent_of_the_true_time_to_tolerance(histories, name):
    history, scores, truth = histories[name]
    q5 = recommend(history, scores)[0].set_index("question_number").loc[5]
    true_periods = true_periods_to_tolerance(truth, TOLERANCE)
    assert q5["limited_by"] == "tolerance"
    assert abs(q5["value"] - true_periods) <= 0.25 * true_periods, (q5["value"], true_periods)
    assert q5["low"] <= q5["value"] <= q5["high"]


def test_fast_drift_yields_a_short_interval(histories):
    fast = recommend(*histories["fast"][:2])[0].set_index("question_number").loc[5, "value"]
    slow = recommend(*histories["slow"][:2])[0].set_index("question_number").loc[5, "value"]
    assert fast <= 21 and fast < slow / 2


def test_a_larger_tolerance_gives_a_longer_interval(histories):
    history, scores, _ = histories["slow"]
    intervals = [recommend(history, scores, tolerance)[0].set_index("question_number").loc[5, "value"]
                 for tolerance in (0.01, 0.02, 0.04)]
    assert intervals[0] < intervals[1] < intervals[2], intervals


def test_the_recommendation_is_the_largest_interval_the_policy_backtest_keeps_within_tolerance(histories):
    table, policy = recommend(*histories["slow"][:2])
    q5 = table.set_index("question_number").loc[5]
    rows = policy[policy["spec_name"] == q5["spec_name"]].set_index("retrain_every_periods")
    assert q5["spec_name"] == table.set_index("question_number").loc[4, "spec_name"]  # the window Q4 recommends
    assert rows.loc[q5["value"], "is_within_tolerance"]
    assert not rows.loc[q5["value"] + 1, "is_within_tolerance"]
    assert q5["backing_table"] == "model_drift__retraining_policy_backtest"


def test_slow_label_arrival_sets_a_floor_and_lowers_confidence(histories):
    history, scores, _ = histories["fast"]
    arrival = arrival_row(history, labelled_rows_needed=30_000)  # 50 days of labels
    q5 = recommend(history, scores, arrival=arrival)[0].set_index("question_number").loc[5]
    assert q5["value"] == 50 and q5["limited_by"] == "new labelled data" and q5["confidence"] == "low"
    assert "30,000 new labelled rows" in q5["answer"]
    arrival = arrival_row(history).copy()
    arrival["label_delay_hours_p90"] = 24.0 * 40  # labels take 40 days
    q5 = recommend(history, scores, arrival=arrival)[0].set_index("question_number").loc[5]
    assert q5["value"] == 40 and q5["limited_by"] == "label delay"


def test_cost_optimal_interval_is_reported_when_costs_are_set(histories):
    history, scores, _ = histories["slow"]
    table, policy = recommend(history, scores, costs=PolicyCosts(retrain_cost=1.0, quality_unit_cost=500.0))
    q5 = table.set_index("question_number").loc[5]
    spec_rows = policy[policy["spec_name"] == q5["spec_name"]]
    cheapest = spec_rows.loc[spec_rows["cost_per_period"].idxmin(), "retrain_every_periods"]
    assert q5["cost_optimal_value"] == cheapest
    assert f"every {cheapest:,.0f} days is cheapest" in q5["answer"]


def test_every_question_has_a_sentence_a_unit_and_a_confidence(histories):
    table, _ = recommend(*histories["slow"][:2])
    assert list(table["question_number"]) == [1, 2, 3, 4, 5]
    assert table["answer"].str.len().min() > 20
    assert set(table["confidence"]) <= {"high", "medium", "low"}
    assert table["unit"].notna().all() and table["backing_table"].str.startswith("model_drift__").all()


# --- the demo, end to end -------------------------------------------------------


def test_demo_answers_all_five_questions_in_words_and_numbers(demo_build):
    table = demo_build.table("model_drift__retraining_recommendations", "question_number")
    assert list(table["question_number"]) == [1, 2, 3, 4, 5]
    assert table["answer"].str.len().min() > 40
    q5 = table.set_index("question_number").loc[5]
    assert q5["answer"].startswith(("Retrain every", "No scheduled retraining"))
    if not pd.isna(q5["value"]):
        assert q5["low"] <= q5["value"] <= q5["high"]
        policy = demo_build.table("model_drift__retraining_policy_backtest")
        row = policy[(policy["spec_name"] == q5["spec_name"]) & (policy["retrain_every_periods"] == q5["value"])]
        assert len(row) == 1 and (row["is_within_tolerance"].iloc[0] or q5["limited_by"] != "tolerance")


def test_demo_policy_mart_equals_the_library_on_the_demo_scores(demo_build):
    scores = demo_build.table("model_drift__backtest_scores")
    settings = {"tolerance": "0.02", "tolerance_kind": "absolute", "fresh_periods": "7", "seed": "0",
                "retrain_cost": "None", "quality_unit_cost": "None"}
    expected = policy_backtest_table(scores, parse_settings(settings))
    mart = demo_build.table("model_drift__retraining_policy_backtest", "spec_name, retrain_every_periods")
    expected = expected.sort_values(["spec_name", "retrain_every_periods"]).reset_index(drop=True)
    assert list(mart.columns) == list(expected.columns)
    for column in ("mean_loss", "end_of_cycle_loss", "end_of_cycle_loss_high", "mean_quality"):
        np.testing.assert_allclose(mart[column].astype(float), expected[column].astype(float), rtol=1e-12)
    mean_loss, cycles = independent_replay(scores, "all", 7, 30)
    row = mart[(mart["spec_name"] == "all") & (mart["retrain_every_periods"] == 30)].iloc[0]
    assert row["mean_loss"] == pytest.approx(mean_loss, abs=1e-12) and row["cutoff_count"] == cycles


def test_demo_build_runs_the_alerts_it_switched_on(demo_build):
    # the demo's production model was trained on January 2013 and never
    # retrained: it is older than any interval and worse than when fresh
    for alert, outcome in [("stale_model", "WARN 1"), ("quality_below_tolerance", "WARN 1"),
                           ("arrival_stopped", "PASS"), ("feature_drift", None)]:
        line = next(line for line in demo_build.output.splitlines() if f" model_drift_alert_{alert} " in line and "[RUN]" not in line)
        assert outcome is None or outcome in line, line


# --- alerts on a fixture ------------------------------------------------------------

FIXTURE_VARS = {
    "model_drift_input_path": str(REPO / "tests" / "fixtures" / "arrivals_small.csv"),
    "model_drift_event_at": "happened_at",
    "model_drift_label_at": "labelled_at",
    "model_drift_target": "outcome",
    "model_drift_prediction": "score",
    "model_drift_id": "row_key",
    "model_drift_as_of": "2024-01-05 00:00:00",
}
# the two alerts with every model they read (selecting a disabled test selects nothing)
ALERTS = ["--select", "+model_drift_alert_arrival_stopped", "+model_drift_alert_feature_drift"]


def alert_lines(run) -> dict[str, str]:
    return {line.split("model_drift_alert_")[1].split()[0]: line for line in run.output.splitlines()
            if "model_drift_alert_" in line and ("PASS" in line or "WARN" in line or "FAIL" in line or "ERROR" in line)
            and "[RUN]" not in line}


def test_alerts_are_off_until_switched_on(tmp_path):
    run = run_dbt(["build", *ALERTS], tmp_path, dbt_vars=FIXTURE_VARS)
    assert run.ok, run.output
    assert alert_lines(run) == {}


def test_arrival_stopped_fires_after_the_silent_periods_with_the_chosen_severity(tmp_path):
    on = {**FIXTURE_VARS, "model_drift_alerts": ["arrival_stopped"]}
    quiet = run_dbt(["build", *ALERTS], tmp_path / "quiet", dbt_vars=on)  # one day after the last row
    assert quiet.ok and "PASS" in alert_lines(quiet)["arrival_stopped"], quiet.output
    late = {**on, "model_drift_as_of": "2024-01-20 00:00:00"}
    warned = run_dbt(["build", *ALERTS], tmp_path / "warn", dbt_vars=late)
    assert warned.ok and "WARN 2" in alert_lines(warned)["arrival_stopped"], warned.output  # rows and labels
    failed = run_dbt(["build", *ALERTS], tmp_path / "error", dbt_vars={**late, "model_drift_alert_severity": "error"})
    assert not failed.ok and "FAIL 2" in alert_lines(failed)["arrival_stopped"], failed.output


def test_feature_drift_fires_above_the_psi_threshold(tmp_path):
    on = {**FIXTURE_VARS, "model_drift_alerts": ["feature_drift"], "model_drift_reference_periods": 1}
    low = run_dbt(["build", *ALERTS], tmp_path / "low", dbt_vars={**on, "model_drift_alert_max_psi": 1e-6})
    assert low.ok and "WARN" in alert_lines(low)["feature_drift"], low.output
    drift = low.table("model_drift__feature_drift_by_period where segment_column = 'all' and feature_role = 'feature'")
    assert drift["psi"].max() < 100
    high = run_dbt(["build", *ALERTS], tmp_path / "high", dbt_vars={**on, "model_drift_alert_max_psi": 100})
    assert high.ok and "PASS" in alert_lines(high)["feature_drift"], high.output


@pytest.mark.parametrize("bad, message", [
    ({"model_drift_alerts": ["stale"]}, "var model_drift_alerts lists 'stale'"),
    ({"model_drift_alerts": ["feature_drift"], "model_drift_alert_severity": "loud"}, "var model_drift_alert_severity is 'loud'"),
    ({"model_drift_alerts": ["stale_model"]}, "stale_model, which needs var model_drift_model_version"),
])
def test_alert_settings_fail_naming_the_var(tmp_path, bad, message):
    run = run_dbt(["build", *ALERTS], tmp_path, dbt_vars={**FIXTURE_VARS, **bad})
    assert not run.ok
    assert message in run.output, run.output



def test_the_three_decay_marts_share_one_computation(monkeypatch, histories):
    import model_drift.pipeline as pipeline

    calls = []
    real = pipeline.decay_tables
    monkeypatch.setattr(pipeline, "decay_tables", lambda *a: calls.append(1) or real(*a))
    settings = {"tolerance": "0.02", "tolerance_kind": "absolute", "fresh_periods": "7", "seed": "0", "decay_spec": "all"}
    _, scores, _ = histories["slow"]
    tables = [pipeline.decay_table(scores, settings, t) for t in ("decay_curve", "decay_curve_fit", "decay_summary")]
    assert len(calls) == 1 and all(len(t) for t in tables)
    pipeline.decay_table(scores, {**settings, "tolerance": "0.03"}, "decay_summary")  # other settings: computed again
    assert len(calls) == 2


def test_decay_survives_bootstrap_draws_with_too_few_ages():
    # the newest cutoff has a single scored age: a draw of only it cannot be fitted
    scores = linear_scores(cutoffs=2, last_ages=(29, 0))
    curve, fits, summary = decay_tables(scores, "roc_auc", "all", DecaySettings(tolerance=0.02, fresh_periods=1))
    assert summary["regime"].iloc[0] in {"gradual", "abrupt", "none", "too noisy"}
    assert len(curve) == 30
    with pytest.raises(ValueError, match="3 or more model ages"):
        decay_tables(linear_scores(cutoffs=2, last_ages=(1, 0)), "roc_auc", "all", DecaySettings(fresh_periods=1))


def test_a_relative_tolerance_is_a_fraction_of_the_fresh_quality():
    settings = DecaySettings(tolerance=0.025, tolerance_kind="relative", fresh_periods=7)
    table = policy_table(linear_scores(), "roc_auc", settings)
    summary = decay_tables(linear_scores(), "roc_auc", "all", settings)[2].iloc[0]
    assert table["tolerance_in_metric_units"].iloc[0] == pytest.approx(0.025 * 0.797)
    assert summary["tolerance_in_metric_units"] == pytest.approx(0.025 * summary["fresh_quality"])
    # 0.001 * (k - 1) - 0.003 <= 0.019925  <=>  k <= 23
    assert table.loc[table["is_within_tolerance"], "retrain_every_periods"].max() == 23

"""The HTML report: each chart on tiny frames, the "not built" panels, and the
demo's report opened in a real headless Chromium (renders, charts present, no
console errors, nothing fetched but the file itself)."""

from __future__ import annotations

import re
import shutil

import duckdb
import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from model_drift import report
from model_drift.cli import main

CHROMIUM = "/usr/bin/chromium"  # the Debian package; scripts/_browser.sh installs it
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CHARTS = ["decay", "learning", "window", "policy", "hindsight", "arrivals", "label-delay", "quality", "drift"]
# The marts each chart is drawn from; a chart is expected exactly when they were built.
CHART_TABLES = {name: needs for name, _, needs, _, _ in report._charts({})}
DAYS = pd.date_range("2024-01-01", periods=4, freq="D")


def made_up_policy() -> pd.DataFrame:
    rows = []
    for spec, window, base in [("all", None, 0.004), ("window_28", 28, 0.006)]:
        for every in (1, 7, 28, 91):
            loss = base + every * 0.0002
            rows.append({
                "spec_name": spec, "window_periods": window, "retrain_every_periods": every,
                "metric_name": "roc_auc", "evaluation_periods": 300, "mean_quality": 0.62 - loss,
                "baseline_spec_name": "all", "baseline_quality": 0.62, "mean_loss": loss,
                "mean_loss_low": loss - 0.002, "mean_loss_high": loss + 0.002,
                "first_half_loss": 0.9 * loss, "second_half_loss": 1.1 * loss, "end_of_cycle_loss": 2 * loss,
                "worst_period_quality": 0.5, "retrains_over_history": 364 // every,
                "history_periods": 364, "tolerance_in_metric_units": 0.02,
                "is_within_tolerance": loss + 0.002 <= 0.02, "cost_per_period": None, "is_cost_optimal": False,
            })
    return pd.DataFrame(rows)


def made_up_advice_check() -> pd.DataFrame:
    """Two specs, intervals 7 and 28 and never (null), the advice every 7 on all history,
    the hindsight best never retraining on all history."""
    rows = []
    for spec, extra in [("all", 0.0), ("window_28", 0.004)]:
        for every, retrains, loss in [(7, 15, -0.001), (28, 4, 0.003), (None, 1, 0.008)]:
            rows.append({
                "as_of_at": pd.Timestamp("2013-07-01"), "judged_from_at": pd.Timestamp("2013-07-01"),
                "judged_periods": 100, "spec_name": spec, "retrain_every_periods": every,
                "metric_name": "roc_auc", "realized_quality": 0.70 - loss - extra,
                "realized_loss": loss + extra, "retrains": retrains,
                "is_within_tolerance": loss + extra <= 0.01, "is_advised": spec == "all" and every == 7,
                "is_hindsight_best": spec == "all" and every is None, "best_spec_name": "all",
                "tolerance_in_metric_units": 0.01, "retrain_ratio": 15.0, "verdict": "miss",
                "reason": "never retraining stayed within the tolerance, but the advice scheduled retrains",
            })
    frame = pd.DataFrame(rows)
    frame["retrain_every_periods"] = frame.retrain_every_periods.astype("Int64")
    return frame


def cannot_judge_advice_check() -> pd.DataFrame:
    columns = made_up_advice_check().columns
    row = {column: None for column in columns}
    row.update(metric_name="roc_auc", verdict="cannot judge",
               reason="the replay grid has fewer than 4 fit times: collect more history")
    return pd.DataFrame([row])


def made_up_recommendations() -> pd.DataFrame:
    return pd.DataFrame({
        "question_number": [1, 2, 3, 4, 5],
        "question": [report.QUESTIONS[n] for n in range(1, 6)],
        "answer": ["Made-up answer one.", "Made-up answer two.", "Made-up answer three.",
                   "Made-up answer four.", "Retrain every 28 periods on all history."],
        "value": [40.0, 900.0, None, None, 28.0],
        "unit": ["periods", "rows per period", "rows", None, "periods"],
        "low": [14.0, None, None, None, 7.0], "high": [101.0, None, None, None, 91.0],
        "confidence": ["medium", "high", "low", "high", "medium"],
        "backing_table": ["model_drift__decay_summary", "model_drift__arrival_summary",
                          "model_drift__learning_curve_fit", "model_drift__training_window_comparison",
                          report.POLICY],
        "spec_name": [None, None, None, "all", "all"],
        "limited_by": [None, None, None, None, "decay"],
        "cost_optimal_value": [None, None, None, None, None],
    })


def assert_inline_svg(svg: str, name: str) -> None:
    assert svg.startswith("<svg ") and svg.rstrip().endswith("</svg>")
    assert "<path" in svg
    assert "http" not in svg and "<?xml" not in svg and "<image" not in svg
    ids = re.findall(r'id="([^"]+)"', svg)
    assert ids and all(i.startswith(f"{name}-") for i in ids)
    assert all(ref.startswith(f"{name}-") for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', svg))


# ---------------------------------------------------------------- charts on tiny frames


def decay_frames(fitted_age_0: float = 0.70):
    curve = pd.DataFrame({"spec_name": "all", "metric_name": "roc_auc", "model_age_periods": [0, 1, 2, 3],
                          "expected_quality": [0.70, 0.69, 0.67, 0.66], "band_low": [0.68, 0.66, 0.64, 0.62],
                          "band_high": [0.72, 0.71, 0.70, 0.69],
                          "fitted_quality": [fitted_age_0, 0.685, 0.672, 0.66]})
    summary = pd.DataFrame({"metric_name": ["roc_auc"], "fresh_quality": [0.71], "tolerance_in_metric_units": [0.02],
                            "periods_to_tolerance": [2.5], "periods_to_tolerance_low": [1.5],
                            "periods_to_tolerance_high": [3.0]})
    return curve, summary


def test_decay_chart_draws_the_tolerance_from_the_fitted_quality_at_age_0():
    curve, summary = decay_frames()
    svg = report.decay_chart(curve, summary, "days")
    assert_inline_svg(svg, "decay")
    assert "tolerance: 0.02 roc_auc lost" in svg and "reached after 2 days" in svg
    assert "fitted at age 0: 0.700" in svg and "fresh quality" not in svg  # not the mean fresh quality 0.71
    assert "model age (days since the training cutoff)" in svg
    # the line is the fitted age-0 quality minus the tolerance, the baseline periods_to_tolerance is measured from
    assert report.decay_tolerance(curve, summary) == pytest.approx((0.70, 0.68))
    assert report.decay_tolerance(*decay_frames(0.69)) == pytest.approx((0.69, 0.67))
    mae_curve = curve.assign(metric_name="mae", fitted_quality=[3.0, 3.1, 3.3, 3.6])
    mae_summary = summary.assign(metric_name="mae", tolerance_in_metric_units=0.5)
    assert report.decay_tolerance(mae_curve, mae_summary) == pytest.approx((3.0, 3.5))  # lower is better: above
    assert report._tolerance_line(0.70, 0.02, "roc_auc") == pytest.approx(0.68)
    assert report._tolerance_line(3.0, 0.5, "mae") == pytest.approx(3.5)
    assert "not reached within the ages seen" in report.decay_chart(curve, summary.assign(periods_to_tolerance=None))
    assert_inline_svg(report.decay_chart(curve), "decay")  # without a summary


def learning_frames():
    curve = pd.DataFrame({"metric_name": "accuracy", "train_rows": [250, 1000, 4000],
                          "quality": [0.70, 0.76, 0.79], "band_low": [0.68, 0.74, 0.77],
                          "band_high": [0.72, 0.78, 0.81], "fitted_quality": [0.70, 0.76, 0.79]})
    return curve


def test_learning_chart_draws_a_plateau_the_data_reaches():
    curve = learning_frames()
    near = pd.DataFrame({"plateau_quality": [0.80], "rows_for_95pct": [3000.0], "is_still_rising": [False],
                         "note": [None]})
    svg = report.learning_chart(curve, near)
    assert_inline_svg(svg, "learning")
    assert "plateau 0.800" in svg and "95% of the gain: 3,000 rows" in svg
    assert "no plateau within the sizes tried" not in svg
    assert report.learning_note(near) is None and not report.plateau_beyond_data(curve, near)


def test_learning_chart_says_no_plateau_when_still_rising_or_beyond_the_band():
    curve = learning_frames()
    rising = pd.DataFrame({"plateau_quality": [1.0], "rows_for_95pct": [90000.0], "is_still_rising": [True],
                           "note": [None]})
    svg = report.learning_chart(curve, rising)
    assert_inline_svg(svg, "learning")
    assert "no plateau within the sizes tried" in svg
    assert "plateau 1.000" not in svg and "extrapolated" not in svg and "95% of the gain" not in svg
    # not flagged as rising, but the plateau is above the best quality seen (0.79) by more than its band (0.81)
    beyond = rising.assign(is_still_rising=False, plateau_quality=0.85, rows_for_95pct=None)
    assert report.plateau_beyond_data(curve, beyond)
    assert "plateau 0.850" not in report.learning_chart(curve, beyond)
    within = beyond.assign(plateau_quality=0.805)
    assert not report.plateau_beyond_data(curve, within) and "plateau 0.805" in report.learning_chart(curve, within)
    mae = curve.assign(metric_name="mae", quality=[3.0, 2.6, 2.4], band_low=[2.9, 2.5, 2.3], band_high=[3.1, 2.7, 2.5])
    assert report.plateau_beyond_data(mae, beyond.assign(plateau_quality=2.0))  # lower is better: below the band
    assert not report.plateau_beyond_data(mae, beyond.assign(plateau_quality=2.35))


def test_learning_note_becomes_a_panel_instead_of_a_chart(tmp_path):
    note = "too little labelled history for a learning curve: collect at least 4 cutoffs"
    fit = pd.DataFrame({"metric_name": ["roc_auc"], "family": [None], "plateau_quality": [None],
                        "rows_for_95pct": [None], "is_still_rising": [None], "note": [note]})
    assert report.learning_note(fit) == note
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    empty_curve = pd.DataFrame(columns=["metric_name", "train_rows", "quality", "band_low", "band_high",
                                        "fitted_quality"])
    page = report.render_report(database, {"model_drift__learning_curve": empty_curve, report.LEARNING_FIT: fit})
    section = re.search(r'<section class="chart" id="chart-learning">.*?</section>', page, re.S)[0]
    assert f'<div class="note">{note}</div>' in section and "<svg" not in section and "no rows in" not in section


def test_window_chart_highlights_the_recommended_window():
    comparison = pd.DataFrame({"spec_name": ["all", "window_7"], "window_periods": [None, 7],
                               "metric_name": "roc_auc", "difference_vs_all": [0.0, 0.01],
                               "difference_low": [0.0, 0.004], "difference_high": [0.0, 0.02],
                               "is_recommended": [False, True]})
    svg = report.window_chart(comparison, "days")
    assert_inline_svg(svg, "window")
    assert "last 7 days  (recommended)" in svg and "all history" in svg


def y_tick_labels(svg: str, name: str) -> list[str]:
    """The y tick labels of a chart (text is kept as text), bottom first."""
    return re.findall(rf'id="{name}-ytick_\d+">.*?<text[^>]*>([^<]*)</text>', svg, re.S)


def test_policy_chart_rings_the_recommended_interval():
    policy = made_up_policy()
    svg = report.policy_chart(policy, report.recommended_policy(made_up_recommendations()))
    assert_inline_svg(svg, "policy")
    assert "recommended: all, every 28 periods" in svg and "window_28" in svg and "tolerance 0.02" in svg
    assert "90% upper bound (held to the tolerance)" in svg and "80% interval" in svg
    assert "lost vs all history retrained every fit time" in svg
    assert "no interval ringed" not in svg
    assert report.recommended_policy(None) is None
    assert report.unringed_reason(made_up_recommendations(), policy) is None


def test_policy_chart_says_when_no_interval_is_ringed():
    policy = made_up_policy()
    no_schedule = made_up_recommendations()
    no_schedule.loc[4, "value"] = None
    assert report.recommended_policy(no_schedule) is None
    reason = report.unringed_reason(no_schedule, policy)
    assert reason == "no interval ringed: no scheduled retraining needed within the periods replayed"
    svg = report.policy_chart(policy, None, "days", reason)
    assert reason in svg and "recommended:" not in svg
    assert "no scheduled retraining needed" in report.policy_chart(policy, None)  # the default words
    unknown = made_up_recommendations()
    unknown.loc[4, "value"] = 5.0
    reason = report.unringed_reason(unknown, policy)
    assert reason == "no interval ringed: all, every 5 is not among the intervals replayed"
    svg = report.policy_chart(policy, report.recommended_policy(unknown), "days", reason)
    assert reason in svg and "recommended:" not in svg
    assert "not among the intervals replayed" in report.policy_chart(policy, ("all", 5.0))
    assert report.unringed_reason(None) == f"no interval ringed: {report.RECOMMENDATIONS} not built"


def test_policy_chart_draws_no_negative_loss_below_zero():
    policy = made_up_policy()
    policy["mean_loss"] -= 0.01  # the shorter intervals beat the baseline within noise
    policy["mean_loss_low"] -= 0.01
    svg = report.policy_chart(policy, ("all", 28.0))
    assert_inline_svg(svg, "policy")
    assert "below 0 drawn at 0 (no loss)" in svg
    ticks = y_tick_labels(svg, "policy")
    assert ticks and float(ticks[0]) == 0, ticks  # the axis starts at 0: nothing drawn below it
    assert not any(t.startswith(("\u2212", "-")) for t in ticks), ticks
    assert "below 0 drawn at 0" not in report.policy_chart(made_up_policy(), ("all", 28.0))


def test_hindsight_frontier_keeps_the_advised_and_never_retrained_points():
    check = pd.DataFrame({"spec_name": "all", "retrain_every_periods": pd.array([30, 60, 90, 120, None], "Int64"),
                          "retrains": [4, 2, 2, 1, 1], "realized_loss": [0.0, 0.01, 0.02, 0.03, 0.04],
                          "is_advised": [False, True, False, False, False],
                          "is_hindsight_best": [False, False, False, False, True]})
    kept = report.hindsight_frontier(check)
    assert kept.sort_values("retrains").retrain_every_periods.isna().tolist() == [True, False, False]
    assert sorted(kept.retrain_every_periods.dropna().tolist()) == [30, 60]  # the advised 60, not the longer 90


def test_policy_frontier_keeps_one_interval_per_retrain_count():
    policy = pd.DataFrame({"spec_name": "all", "retrain_every_periods": [1, 2, 3, 4],
                           "retrains_over_history": [4, 2, 2, 1], "mean_loss": [0.1, 0.2, 0.3, 0.4]})
    assert report.policy_frontier(policy).retrain_every_periods.tolist() == [4, 3, 1]  # the longest
    assert report.policy_frontier(policy, ("all", 2.0)).retrain_every_periods.tolist() == [4, 2, 1]


def test_hindsight_chart_and_sentence():
    check = made_up_advice_check()
    svg = report.hindsight_chart(check, "days")
    assert_inline_svg(svg, "hindsight")
    assert "advised: retrain every 7 days on all history" in svg
    assert "hindsight best: fewest retrains within the tolerance" in svg and "tolerance 0.01" in svg
    assert ">never<" in svg and ">every 7<" in svg and ">every 28<" not in svg  # only the advice and the best named
    assert "window_28: realized loss" in svg and "all history: realized loss" in svg
    assert "below 0 drawn at 0 (no loss)" in svg  # the -0.001 of every 7 on all history
    assert float(y_tick_labels(svg, "hindsight")[0]) == 0
    sentence = report.hindsight_sentence(check, "days")
    assert sentence.startswith("As of 2013-07-01, the advice was: retrain every 7 days on all history.")
    assert ("Replayed on the 100 days after it, it lost nothing (0.001 roc_auc better) against all history "
            "retrained at every fit time") in sentence
    assert "within the tolerance of 0.01" in sentence
    assert "It retrained 15 times; the fewest that stayed within the tolerance was 1: " in sentence
    assert "within the tolerance was 1: no scheduled retraining on all history. Verdict" in sentence
    assert sentence.endswith(
        "Verdict: miss: never retraining stayed within the tolerance, but the advice scheduled retrains.")
    assert report.advice_cannot_judge(check) is None
    # the advice of no schedule is the never-retrained point, at 1 retrain
    never = check.assign(is_advised=check.spec_name.eq("all") & check.retrain_every_periods.isna(),
                         verdict="ok", reason="within the tolerance")
    assert "advised: no scheduled retraining on all history" in report.hindsight_chart(never)
    assert "the advice was: no scheduled retraining" in report.hindsight_sentence(never)
    none_within = check.assign(is_within_tolerance=False, is_hindsight_best=False)
    assert "no policy stayed within the tolerance" in report.hindsight_sentence(none_within)
    worse = check.assign(realized_loss=check.realized_loss + 0.02)
    assert "it lost 0.019 roc_auc against" in report.hindsight_sentence(worse)
    assert "hindsight best" not in report.hindsight_chart(none_within)


def test_hindsight_cannot_judge_and_missing_table(tmp_path):
    check = cannot_judge_advice_check()
    reason = "cannot judge: the replay grid has fewer than 4 fit times: collect more history"
    assert report.advice_cannot_judge(check) == reason
    assert report.hindsight_sentence(check) == reason[0].upper() + reason[1:] + "."
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    page = report.render_report(database, {report.ADVICE_CHECK: check})
    section = re.search(r'<section class="chart" id="chart-hindsight"><h2>Hindsight check</h2>.*?</section>',
                        page, re.S)[0]
    assert f'<div class="note">{reason}</div>' in section and "<svg" not in section
    page = report.render_report(database, {report.ADVICE_CHECK: made_up_advice_check()})
    section = re.search(r'<section class="chart" id="chart-hindsight">.*?</section>', page, re.S)[0]
    assert section.count("<svg") == 1 and '<p class="lead">As of 2013-07-01, the advice was: ' in section
    page = report.render_report(database, {})
    assert f"not built: <code>{report.ADVICE_CHECK}</code>" in page


def test_arrival_quality_and_drift_charts():
    arrivals = pd.DataFrame({"period_start": DAYS, "row_count": [10, 12, 0, 9],
                             "labelled_row_count": [9, 11, 0, 8], "label_delay_hours_p50": [2.0, 2.5, None, 3.0],
                             "label_delay_hours_p90": [5.0, 6.0, None, 6.5]})
    assert_inline_svg(report.arrival_chart(arrivals, "day"), "arrivals")
    assert "hours from event to label" in report.label_delay_chart(arrivals)
    performance = pd.DataFrame({"model_version": "v1", "period_start": DAYS, "metric_name": "mae",
                                "metric_value": [1.0, 1.2, 1.1, 1.4], "ci_low": [0.9, 1.0, 1.0, 1.2],
                                "ci_high": [1.1, 1.4, 1.2, 1.6], "ci_level": 0.95})
    svg = report.quality_chart(pd.concat([performance, performance.assign(metric_name="rmse")]), "mae")
    assert_inline_svg(svg, "quality")
    assert "Production quality per period (mae)" in svg and "95% interval" in svg
    drift = pd.DataFrame({"feature_name": [f"f{i}" for i in range(8) for _ in DAYS],
                          "period_start": list(DAYS) * 8,
                          "psi": [i * 0.1 + d * 0.01 for i in range(8) for d in range(len(DAYS))]})
    svg = report.drift_chart(drift)
    assert_inline_svg(svg, "drift")
    assert ">f7<" in svg and ">f2<" in svg and ">f1<" not in svg  # the six with the largest PSI
    assert "log scale above 0.1" not in svg  # 0.2 to 0.73: linear
    assert float(y_tick_labels(svg, "drift")[0]) == 0


def test_drift_chart_uses_a_log_axis_when_every_period_differs_from_the_reference():
    wide = pd.DataFrame({"feature_name": [f"f{i}" for i in range(3) for _ in DAYS], "period_start": list(DAYS) * 3,
                         "psi": [2.0, 5.0, 9.0, 16.0, 0.01, 0.05, 0.2, 0.4, 3.0, 2.5, 2.2, 2.1]})
    assert report.psi_log_scale(wide.psi)
    svg = report.drift_chart(wide)
    assert_inline_svg(svg, "drift")
    assert "log scale above 0.1" in svg and "PSI vs reference (log)" in svg
    ticks = y_tick_labels(svg, "drift")
    assert {"0", "0.1", "0.25", "1", "10"} <= set(ticks), ticks  # the guides stay on the axis
    assert report.psi_log_scale(pd.Series([0.01, 0.2]))  # spans 20x
    assert not report.psi_log_scale(pd.Series([0.05, 0.3, None]))
    assert not report.psi_log_scale(pd.Series([0.0, 0.0]))


# ---------------------------------------------------------------- missing marts


def test_an_empty_database_gives_not_built_panels(tmp_path):
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    page = report.render_report(database)
    for number, question in report.QUESTIONS.items():
        assert f'id="answer-q{number}"><h3>Q{number}. {question}' in page.replace("&#x27;", "'")
    for needs in CHART_TABLES.values():
        for table in needs:
            assert f"not built: <code>{table}</code> — run <code>dbt build</code>" in page
    assert "<svg" not in page


def test_cli_explains_a_missing_database_or_build(tmp_path, capsys):
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    # nothing built: no report, one line naming what is missing (tests/python/test_cli_missing.py has more)
    assert main(["report", str(database), "--out", str(tmp_path / "r.html")]) == 2
    assert "model_drift__arrival_summary" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()
    assert main(["report", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "x.html")]) == 2
    assert "run `dbt build` first" in capsys.readouterr().err


# ---------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def demo_with_q5(demo_build, tmp_path_factory):
    """A copy of the demo build whose Q5 tables are the made-up ones above, so the
    page shows answers and a ringed recommendation known in advance."""
    database = tmp_path_factory.mktemp("report") / "with_q5.duckdb"
    shutil.copy(demo_build.database, database)
    with duckdb.connect(str(database)) as connection:
        for table, frame in [(report.POLICY, made_up_policy()), (report.RECOMMENDATIONS, made_up_recommendations())]:
            connection.register("frame", frame)
            connection.execute(f"create or replace table {table} as select * from frame")
            connection.unregister("frame")
    return database


def expected_panels(marts: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Chart name -> what its section shows: "svg", "note" (the mart says why there is no
    chart), "no rows" or "not built", from the marts themselves."""
    panels = {}
    for name, needs in CHART_TABLES.items():
        if not set(needs) <= set(marts):
            panels[name] = "not built"
        elif name == "learning" and report.learning_note(marts.get(report.LEARNING_FIT)) is not None:
            panels[name] = "note"
        elif name == "hindsight" and (marts[report.ADVICE_CHECK].verdict == "cannot judge").all():
            panels[name] = "note"
        elif any(marts[t].empty for t in needs):
            panels[name] = "no rows"
        else:
            panels[name] = "svg"
    return panels


def open_report(browser, database, out):
    """Write the report, open it, and return (page, console errors, page errors, requests)."""
    path = report.write_report(database, out)
    html_text = path.read_text()
    assert "http://" not in html_text and "https://" not in html_text  # nothing to fetch, ever
    assert not re.search(r"<(script|link|img|iframe)\b|@import|url\((?!#)", html_text)
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors, page_errors, requests = [], [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, errors, page_errors, requests, path


@pytest.mark.parametrize("which", ["demo", "demo_with_made_up_q5"])
def test_the_demo_report_renders_in_chromium(which, browser, demo_build, demo_with_q5, tmp_path):
    database = demo_build.database if which == "demo" else demo_with_q5
    with duckdb.connect(str(database), read_only=True) as connection:
        built = {r[0] for r in connection.sql("select table_name from information_schema.tables").fetchall()}
    page, errors, page_errors, requests, path = open_report(browser, database, tmp_path / "report.html")
    try:
        assert page.title() == "model_drift report"
        for number in report.QUESTIONS:
            heading = page.locator(f"#answer-q{number} h3")
            assert heading.is_visible()
            assert heading.inner_text().startswith(f"Q{number}. ")
        if report.RECOMMENDATIONS in built:
            assert page.locator("#answer-q5 .not-built").count() == 0
        panels = expected_panels(report.read_marts(database))
        assert set(panels) == set(CHARTS)
        expected = [name for name in CHARTS if panels[name] == "svg"]
        assert {"decay", "window", "arrivals", "label-delay", "quality", "drift"} <= set(expected)
        assert "learning" in expected or panels["learning"] == "note"
        assert page.locator("section.chart svg").count() == len(expected)
        for name in CHARTS:
            section = page.locator(f"#chart-{name}")
            assert section.count() == 1
            if name in expected:
                assert section.locator("svg").count() == 1, name
                assert section.locator("svg path").count() > 10, name
                box = section.locator("svg").bounding_box()
                assert box["width"] > 600 and box["height"] > 150, (name, box)
            elif panels[name] == "note":
                assert section.locator(".note").count() == 1 and section.locator("svg").count() == 0, name
            elif panels[name] == "no rows":
                assert "no rows in" in section.inner_text(), name
            else:
                assert "not built:" in section.inner_text(), name
        if "hindsight" in expected:  # the sentence, then the chart
            assert page.locator("#chart-hindsight p.lead").inner_text().startswith("As of ")
            assert "advised: " in page.locator("#chart-hindsight svg").inner_html()
        elif panels["hindsight"] == "note":
            assert page.locator("#chart-hindsight .note").inner_text().startswith("cannot judge: ")
        if which == "demo_with_made_up_q5":
            assert page.locator("#answer-q1 p").all_inner_texts() == [
                "Made-up answer one.", "confidence: medium · table: model_drift__decay_summary"]
            assert "recommended: all, every 28 days" in page.locator("#chart-policy svg").inner_html()
        if "policy" in expected:  # the Q5 recommendation is ringed on the frontier, or the chart says why not
            marts = report.read_marts(database)
            chosen = report.recommended_policy(marts.get(report.RECOMMENDATIONS))
            unringed = report.unringed_reason(marts.get(report.RECOMMENDATIONS), marts[report.POLICY])
            svg = page.locator("#chart-policy svg").inner_html()
            if unringed is None:
                assert f"recommended: {chosen[0]}, every {chosen[1]:g} days" in svg
            else:
                assert unringed in svg and "recommended:" not in svg
        assert errors == [] and page_errors == []
        assert requests == [path.resolve().as_uri()]
    finally:
        page.close()


def test_a_mart_that_cannot_be_drawn_is_a_panel_not_a_crash(tmp_path):
    database = tmp_path / "odd.duckdb"
    with duckdb.connect(str(database)) as connection:  # the right name, the wrong columns
        connection.execute("create table model_drift__learning_curve as select 1 as unexpected")
    page = report.render_report(database)
    assert "could not draw from <code>model_drift__learning_curve</code>" in page
    assert "not built: <code>model_drift__decay_curve</code>" in page

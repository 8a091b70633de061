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
CHARTS = ["decay", "learning", "window", "policy", "arrivals", "label-delay", "quality", "drift"]
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
                "metric_name": "roc_auc", "cutoff_count": 8, "mean_quality": 0.62 - loss,
                "fresh_quality": 0.62, "mean_loss": loss, "mean_loss_low": loss - 0.002,
                "mean_loss_high": loss + 0.002, "end_of_cycle_loss": 2 * loss,
                "end_of_cycle_loss_low": 1.5 * loss, "end_of_cycle_loss_high": 2.5 * loss,
                "worst_period_quality": 0.5, "retrains_over_history": 364 // every,
                "history_periods": 364, "tolerance_in_metric_units": 0.02,
                "is_within_tolerance": loss < 0.02, "cost_per_period": None, "is_cost_optimal": False,
            })
    return pd.DataFrame(rows)


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


def test_decay_chart_marks_the_tolerance_below_fresh_quality():
    curve = pd.DataFrame({"spec_name": "all", "metric_name": "roc_auc", "model_age_periods": [0, 1, 2, 3],
                          "expected_quality": [0.70, 0.69, 0.67, 0.66], "band_low": [0.68, 0.66, 0.64, 0.62],
                          "band_high": [0.72, 0.71, 0.70, 0.69], "fitted_quality": [0.70, 0.685, 0.672, 0.66]})
    summary = pd.DataFrame({"metric_name": ["roc_auc"], "fresh_quality": [0.70], "tolerance_in_metric_units": [0.02],
                            "periods_to_tolerance": [2.5], "periods_to_tolerance_low": [1.5],
                            "periods_to_tolerance_high": [3.0]})
    svg = report.decay_chart(curve, summary, "days")
    assert_inline_svg(svg, "decay")
    assert "tolerance: 0.02 roc_auc lost" in svg and "reached after 2 days" in svg
    assert "model age (days since the training cutoff)" in svg
    assert report._tolerance_line(0.70, 0.02, "roc_auc") == pytest.approx(0.68)
    assert report._tolerance_line(3.0, 0.5, "mae") == pytest.approx(3.5)  # lower is better: the line is above
    assert_inline_svg(report.decay_chart(curve), "decay")  # without a summary


def test_learning_chart_draws_a_near_plateau_and_names_a_far_one():
    curve = pd.DataFrame({"metric_name": "accuracy", "train_rows": [250, 1000, 4000],
                          "quality": [0.70, 0.76, 0.79], "band_low": [0.68, 0.74, 0.77],
                          "band_high": [0.72, 0.78, 0.81], "fitted_quality": [0.70, 0.76, 0.79]})
    near = pd.DataFrame({"plateau_quality": [0.80], "rows_for_95pct": [3000.0], "is_still_rising": [False]})
    svg = report.learning_chart(curve, near)
    assert_inline_svg(svg, "learning")
    assert "plateau 0.800" in svg and "95% of the gain: 3,000 rows" in svg and "off the chart" not in svg
    far = pd.DataFrame({"plateau_quality": [1.0], "rows_for_95pct": [None], "is_still_rising": [True]})
    assert "plateau 1.000 (extrapolated), off the chart" in report.learning_chart(curve, far)


def test_window_chart_highlights_the_recommended_window():
    comparison = pd.DataFrame({"spec_name": ["all", "window_7"], "window_periods": [None, 7],
                               "metric_name": "roc_auc", "difference_vs_all": [0.0, 0.01],
                               "difference_low": [0.0, 0.004], "difference_high": [0.0, 0.02],
                               "is_recommended": [False, True]})
    svg = report.window_chart(comparison, "days")
    assert_inline_svg(svg, "window")
    assert "last 7 days  (recommended)" in svg and "all history" in svg


def test_policy_chart_rings_the_recommended_interval():
    policy = made_up_policy()
    svg = report.policy_chart(policy, report.recommended_policy(made_up_recommendations()))
    assert_inline_svg(svg, "policy")
    assert "recommended: all, every 28 periods" in svg and "window_28" in svg and "tolerance 0.02" in svg
    assert "recommended" not in report.policy_chart(policy, None)
    assert report.recommended_policy(None) is None


def test_policy_frontier_keeps_one_interval_per_retrain_count():
    policy = pd.DataFrame({"spec_name": "all", "retrain_every_periods": [1, 2, 3, 4],
                           "retrains_over_history": [4, 2, 2, 1], "mean_loss": [0.1, 0.2, 0.3, 0.4]})
    assert report.policy_frontier(policy).retrain_every_periods.tolist() == [4, 3, 1]  # the longest
    assert report.policy_frontier(policy, ("all", 2.0)).retrain_every_periods.tolist() == [4, 2, 1]


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


def test_cli_writes_the_report_and_explains_a_missing_database(tmp_path, capsys):
    database = tmp_path / "empty.duckdb"
    duckdb.connect(str(database)).close()
    assert main(["report", str(database), "--out", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
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
        for number, question in report.QUESTIONS.items():
            heading = page.locator(f"#answer-q{number} h3")
            assert heading.is_visible()
            assert heading.inner_text().startswith(f"Q{number}. ")
        if report.RECOMMENDATIONS in built:
            assert page.locator("#answer-q5 .not-built").count() == 0
        expected = [name for name in CHARTS if set(CHART_TABLES[name]) <= built]
        assert {"decay", "learning", "window", "arrivals", "label-delay", "quality", "drift"} <= set(expected)
        assert page.locator("section.chart svg").count() == len(expected)
        for name in CHARTS:
            section = page.locator(f"#chart-{name}")
            assert section.count() == 1
            if name in expected:
                assert section.locator("svg").count() == 1, name
                assert section.locator("svg path").count() > 10, name
                box = section.locator("svg").bounding_box()
                assert box["width"] > 600 and box["height"] > 150, (name, box)
            else:
                assert "not built:" in section.inner_text(), name
        if which == "demo_with_made_up_q5":
            assert page.locator("#answer-q1 p").all_inner_texts() == [
                "Made-up answer one.", "confidence: medium · table: model_drift__decay_summary"]
            assert "recommended: all, every 28 days" in page.locator("#chart-policy svg").inner_html()
        if "policy" in expected:  # the Q5 recommendation is ringed on the frontier
            chosen = report.recommended_policy(report.read_marts(database).get(report.RECOMMENDATIONS))
            if chosen is not None:
                ringed = f"recommended: {chosen[0]}, every {chosen[1]:g} days"
                assert ringed in page.locator("#chart-policy svg").inner_html()
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

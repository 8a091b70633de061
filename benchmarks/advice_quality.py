"""How good is model_drift's retraining advice on real data, in hindsight?

For each dataset of benchmarks/advice_datasets.py: give the package the first
60% of the data's time span (as a user would: a dbt project that installs it,
with "now" at the split), read its Q5 answer (retrain every k periods on
window w, or no scheduled retraining) at each tolerance, and judge it on the
remaining 40% with benchmarks/advice_judge.py, which refits every policy on
the future. Writes a markdown scoreboard.

    python benchmarks/advice_quality.py [--only a,b] [--tolerances 0.02,0.05] [--out benchmarks/advice_quality.md]
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import duckdb
import pandas as pd
import yaml

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import advice_judge  # noqa: E402

HISTORY_SHARE = 0.6
DETAILS = HERE / "data" / "advice" / "advice_quality.json"


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- the split


def split_time(frame: pd.DataFrame, dataset) -> pd.Timestamp:
    """The period start at or before first event + 60% of the span."""
    events = advice_judge.as_naive_times(frame[dataset.event_at]).dropna()
    first, last = events.min(), events.max()
    return advice_judge.period_floor(first + HISTORY_SHARE * (last - first), dataset.period)


def write_history(frame: pd.DataFrame, dataset, split_at: pd.Timestamp, path: pathlib.Path) -> int:
    events = advice_judge.as_naive_times(frame[dataset.event_at])
    history = frame[(events < split_at).to_numpy()]
    history.to_parquet(path, index=False)
    return len(history)


# ---------------------------------------------------------------- the package, through dbt


PACKAGE = REPO  # the dbt package under test (--package)


def package_has_model(name: str) -> bool:
    return any((PACKAGE / "models").rglob(f"{name}.*"))


def dbt_vars(dataset, history_path: pathlib.Path, split_at: pd.Timestamp, tolerance: float) -> dict:
    out = dict(
        model_drift_input_path=str(history_path),
        model_drift_event_at=dataset.event_at,
        model_drift_target=dataset.target,
        model_drift_features=list(dataset.features),
        model_drift_task=dataset.task,
        model_drift_period=dataset.period,
        model_drift_backtest_window_periods=[int(w) for w in dataset.window_periods],
        model_drift_tolerance=float(tolerance),
        model_drift_tolerance_kind="relative",
        model_drift_as_of=split_at.strftime("%Y-%m-%d %H:%M:%S"),
    )
    if dataset.label_at:
        out["model_drift_label_at"] = dataset.label_at
    if dataset.id:
        out["model_drift_id"] = dataset.id
    return out


def make_project(folder: pathlib.Path, variables: dict) -> None:
    (folder / "dbt_project.yml").write_text(yaml.safe_dump({
        "name": "advice_quality",
        "version": "0.1.0",
        "config-version": 2,
        "profile": "advice_quality",
        "vars": {"model_drift": variables},
    }, sort_keys=False))
    (folder / "packages.yml").write_text(yaml.safe_dump({"packages": [{"local": str(PACKAGE)}]}))
    (folder / "profiles.yml").write_text(yaml.safe_dump({
        "advice_quality": {
            "target": "duckdb",
            "outputs": {"duckdb": {"type": "duckdb", "path": str(folder / "warehouse.duckdb"), "threads": 2}},
        }
    }))


def dbt_executable() -> str:
    beside = pathlib.Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class BuildFailed(Exception):
    pass


def run_dbt(folder: pathlib.Path, args: list[str], log_name: str) -> float:
    """Run one dbt command in `folder`; its output goes to a log file there. Seconds taken."""
    command = [dbt_executable(), "--no-use-colors", *args]
    shown = " ".join(a if " " not in a and "{" not in a else repr(a) for a in args)
    say(f"  dbt {shown[:160]}")
    started = time.perf_counter()
    env = dict(os.environ, DBT_PROFILES_DIR=str(folder))
    if PACKAGE != REPO and (PACKAGE / "python").is_dir():
        # another checkout of the package: its Python library, not the installed one, runs the models
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE / "python"), env.get("PYTHONPATH")]))
    with open(folder / log_name, "w") as log:
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            code = process.wait()
        finally:  # interrupted: do not leave dbt running
            if process.poll() is None:
                process.terminate()
                process.wait()
    seconds = time.perf_counter() - started
    if code != 0:
        raise BuildFailed(last_error_line((folder / log_name).read_text()))
    return seconds


def last_error_line(output: str) -> str:
    """dbt's last error: the last "... Error in ..." / "Failure in ..." line with the line after it,
    else the last line that mentions an error (not the closing summary)."""
    lines = [strip_time(line) for line in output.splitlines()]
    lines = [line for line in lines if line and not line.startswith("compiled code at")]
    heads = ("Failure in", "Runtime Error in", "Compilation Error in", "Database Error in", "Parsing Error",
             "Encountered an error", "Error in")
    for number in range(len(lines) - 1, -1, -1):
        if lines[number].startswith(heads):
            after = [line for line in lines[number + 1:number + 40] if not line.startswith("Done.")]
            errors = [line for line in after if "Error:" in line or "Exception:" in line]
            following = (errors or after or [""])[-1] if errors else (after or [""])[0]
            return f"{lines[number]}: {following}".rstrip(": ")[:300]
    candidates = [line for line in lines if "error" in line.lower() and not line.startswith("Done.")]
    return (candidates or lines or ["(no output)"])[-1][:300]


def strip_time(line: str) -> str:
    """A dbt log line without its HH:MM:SS prefix."""
    line = line.strip()
    if len(line) >= 8 and line[2] == ":" and line[5] == ":" and line[:2].isdigit():
        line = line[8:].strip()
    return line


def read_advice(folder: pathlib.Path) -> dict:
    with duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute(
            "select spec_name, value, answer from model_drift__retraining_recommendations where question_number = 5"
        ).fetchall()
    if not rows:
        raise BuildFailed("model_drift__retraining_recommendations has no row with question_number = 5")
    spec, value, answer = rows[0]
    if value is not None and isinstance(value, float) and math.isnan(value):
        value = None
    return dict(spec=spec or "all", interval=value, answer=answer or "")


def ask_package(frame: pd.DataFrame, dataset, split_at: pd.Timestamp, tolerances: list[float],
                keep: bool) -> tuple[dict, dict, int]:
    """The package's Q5 advice at each tolerance ({tolerance: advice or error}), build seconds, history rows."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix=f"advice_{dataset.name}_"))
    say(f"  project in {folder}")
    advice, seconds = {}, {}
    history_path = folder / "history.parquet"
    history_rows = write_history(frame, dataset, split_at, history_path)
    say(f"  history: {history_rows:,} rows before {split_at}")
    make_project(folder, dbt_vars(dataset, history_path, split_at, tolerances[0]))
    selection = ["+model_drift__retraining_recommendations"]
    if package_has_model("model_drift__advice_check"):
        selection.append("+model_drift__advice_check")
    failed = False

    def advice_after(error: BuildFailed) -> dict:
        """A failed build may still have answered (a data test failed): keep its advice beside the error."""
        try:
            return dict(read_advice(folder), error=str(error))
        except Exception:
            return dict(error=str(error))

    started = time.perf_counter()
    try:
        run_dbt(folder, ["deps"], "dbt_deps.log")
        run_dbt(folder, ["build", "--select", *selection], "dbt_build.log")
        advice[tolerances[0]] = read_advice(folder)
    except BuildFailed as error:
        failed = True
        advice[tolerances[0]] = advice_after(error)
    seconds[tolerances[0]] = time.perf_counter() - started
    for tolerance in tolerances[1:]:
        if "spec" not in advice[tolerances[0]]:
            advice[tolerance], seconds[tolerance] = dict(error=advice[tolerances[0]]["error"]), 0.0
            continue
        started = time.perf_counter()
        try:
            run_dbt(folder, ["build", "--select", "model_drift__backtest_scores+",
                             "--exclude", "model_drift__backtest_scores",
                             "--vars", json.dumps({"model_drift_tolerance": float(tolerance)})],
                    f"dbt_build_tolerance_{tolerance}.log")
            advice[tolerance] = read_advice(folder)
        except BuildFailed as error:
            failed = True
            advice[tolerance] = advice_after(error)
        seconds[tolerance] = time.perf_counter() - started
    if failed or keep:
        say(f"  kept {folder} (dbt logs in it)")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return advice, seconds, history_rows


# ---------------------------------------------------------------- the scoreboard


def advice_words(spec: str, interval) -> str:
    window = "all history" if spec in (None, "all") else spec.replace("window_", "window ")
    if interval is None:
        return f"no schedule ({window})"
    return f"every {float(interval):g} on {window}"


def shorten(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def cell(text) -> str:
    return str(text).replace("|", "\\|")


COLUMNS = ["dataset", "tol", "rows in history", "period", "F", "advice", "Q5 says", "best in hindsight",
           "realized loss", "retrain ratio", "verdict", "build s", "judge s"]
NUMBER_COLUMNS = ("rows in history", "F", "realized loss", "retrain ratio", "build s", "judge s")  # right-aligned


def row_cells(row: dict) -> list[str]:
    base = [row["dataset"], f"{row['tolerance']:g}", f"{row['history_rows']:,}", row["period"]]
    failed = f"build failed: {shorten(row['error'], 160)}" if "error" in row else ""
    if "spec" not in row:
        return base + ["", "", "", "", "", "", failed, f"{row['build_seconds']:.0f}", ""]
    if "judge_error" in row:
        verdict = "; ".join(filter(None, [failed, f"judge failed: {shorten(row['judge_error'], 160)}"]))
        return base + ["", advice_words(row["spec"], row["interval"]), shorten(row["answer"]), "", "", "",
                       verdict, f"{row['build_seconds']:.0f}", f"{row.get('judge_seconds', 0):.0f}"]
    j = row["judgement"]
    best = (f"{j['best_window']} at k=1; K*={j['k_star']} ({', '.join(j['k_star_windows'])}); "
            f"never ok: {'yes' if j['never_ok'] else 'no'}")
    verdict = "ok" if j["ok"] else f"miss: {j['reason']}"
    if failed:
        verdict = f"{failed} (its advice, judged anyway: {verdict})"
    return base + [
        str(j["F"]),
        advice_words(row["spec"], row["interval"]),
        shorten(row["answer"]),
        best,
        f"{100 * j['realized_loss']:.1f}%",
        f"{j['retrain_ratio']:.2f}",
        verdict,
        f"{row['build_seconds']:.0f}",
        f"{row['judge_seconds']:.0f}",
    ]


def markdown(rows: list[dict], tolerances: list[float], started_at: str) -> str:
    lines = [
        "# Retraining advice, judged in hindsight",
        "",
        f"Run {started_at} by `python benchmarks/advice_quality.py`. Each dataset's first "
        f"{HISTORY_SHARE:.0%} of time goes to the package (dbt build, \"now\" at the split); its Q5 advice is "
        "judged on the rest by `benchmarks/advice_judge.py`, which refits every policy (window w, every k periods) "
        "on the future. Loss is relative to the best window retrained every period (Q*); ok = loss within the "
        f"tolerance + {advice_judge.SLACK:g}, at most {advice_judge.MAX_RETRAIN_RATIO:g}x the retrains of K* "
        "(the longest interval some window keeps within the tolerance), and no schedule when never retraining "
        "stays within it. Build s: `dbt deps` + `dbt build` (first tolerance) or the rebuild downstream of the "
        "backtest (others); judge s: building the grid of fits (shared by the tolerances).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join("---:" if c in NUMBER_COLUMNS else "---" for c in COLUMNS) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(cell(c) for c in row_cells(row)) + " |")
    lines += ["", summary(rows, tolerances), ""]
    return "\n".join(lines)


def summary(rows: list[dict], tolerances: list[float]) -> str:
    parts = []
    for tolerance in tolerances:
        these = [r for r in rows if r["tolerance"] == tolerance]
        ok = sum(1 for r in these if "judgement" in r and r["judgement"]["ok"] and "error" not in r)
        failed = sum(1 for r in these if "error" in r or "judge_error" in r)
        parts.append(f"tolerance {tolerance:g}: {ok} ok of {len(these)}"
                     + (f" ({failed} failed to build or judge)" if failed else ""))
    return "**" + "; ".join(parts) + "**"


def print_row(row: dict) -> None:
    for name, value in zip(COLUMNS, row_cells(row)):
        if value != "":
            print(f"    {name:>16}: {value}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated dataset names (default: every dataset)")
    parser.add_argument("--tolerances", default="0.02,0.05", help="relative tolerances, the first one built in full")
    parser.add_argument("--out", default=str(HERE / "advice_quality.md"), help="the markdown scoreboard")
    parser.add_argument("--datasets-module", default="advice_datasets",
                        help="module with DATASETS and prepare() (default: benchmarks/advice_datasets.py)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-rows-per-fit", type=int, default=10000)
    parser.add_argument("--keep", action="store_true", help="keep each temporary dbt project")
    parser.add_argument("--package", default=str(REPO),
                        help="the model_drift checkout to judge (default: this repository); its python/ is put "
                             "first on PYTHONPATH for dbt")
    parser.add_argument("--rejudge", action="store_true",
                        help=f"no dbt: judge again the advice saved in {DETAILS.relative_to(REPO)} by the last run")
    args = parser.parse_args(argv)
    global PACKAGE
    PACKAGE = pathlib.Path(args.package).resolve()

    tolerances = [float(t) for t in args.tolerances.split(",") if t.strip()]
    module = importlib.import_module(args.datasets_module)
    names = [n.strip() for n in args.only.split(",")] if args.only else None
    if names:
        unknown = [n for n in names if n not in module.DATASETS]
        if unknown:
            parser.error(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(module.DATASETS)}")
    say(f"preparing datasets: {', '.join(names or module.DATASETS)}")
    prepared = module.prepare(names)
    datasets = {name: prepared[name] for name in (names or prepared)}  # in the order asked for
    started_at = time.strftime("%Y-%m-%d %H:%M")
    say(f"package at {PACKAGE}; tolerances {tolerances}; "
        f"advice check model {'present' if package_has_model('model_drift__advice_check') else 'absent'}")

    if args.rejudge:
        return rejudge(datasets, tolerances, args, started_at)

    rows: list[dict] = []
    for number, (name, dataset) in enumerate(datasets.items(), start=1):
        say(f"[{number}/{len(datasets)}] {name}: {dataset.task}, per {dataset.period}, "
            f"windows {list(dataset.window_periods)}")
        frame = pd.read_parquet(dataset.path)
        split_at = split_time(frame, dataset)
        advice, seconds, history_rows = ask_package(frame, dataset, split_at, tolerances, args.keep)
        for tolerance in tolerances:
            row = dict(dataset=name, tolerance=tolerance, history_rows=history_rows, period=dataset.period,
                       split_at=str(split_at), build_seconds=seconds[tolerance], **advice[tolerance])
            if "error" in row:
                say(f"  tolerance {tolerance:g}: build failed: {row['error']}")
            judge_row(row, frame, dataset, split_at, args)
            rows.append(row)
            print_row(row)
        write_outputs(rows, tolerances, started_at, pathlib.Path(args.out))
    return finish(rows, tolerances, started_at, args.out)


def judge_row(row: dict, frame: pd.DataFrame, dataset, split_at: pd.Timestamp, args) -> None:
    if "spec" not in row:
        return
    say(f"  tolerance {row['tolerance']:g}: advice {advice_words(row['spec'], row['interval'])}; judging")
    started = time.perf_counter()
    try:
        row["judgement"] = advice_judge.judge(
            frame, dataset, split_at, row["tolerance"], dataset.window_periods, row["spec"], row["interval"],
            seed=args.seed, max_rows_per_fit=args.max_rows_per_fit)
        row.pop("judge_error", None)
    except Exception as error:  # a judge failure is a row too, the next dataset still runs
        row["judge_error"] = f"{type(error).__name__}: {error}"
    row["judge_seconds"] = time.perf_counter() - started


def rejudge(datasets: dict, tolerances: list[float], args, started_at: str) -> int:
    """Judge the advice of the last run again (after a change to the judge), without dbt."""
    saved = json.loads(DETAILS.read_text())
    rows = [r for r in saved if r["dataset"] in datasets and r["tolerance"] in tolerances]
    say(f"re-judging {len(rows)} saved rows from {DETAILS}")
    for name, dataset in datasets.items():
        these = [r for r in rows if r["dataset"] == name]
        if not these:
            continue
        say(f"{name}:")
        frame = pd.read_parquet(dataset.path)
        split_at = split_time(frame, dataset)
        for row in these:
            row.pop("judgement", None)
            judge_row(row, frame, dataset, split_at, args)
            print_row(row)
    return finish(rows, tolerances, started_at, args.out)


def finish(rows, tolerances, started_at, out) -> int:
    """Write the scoreboard and the details, and print the counts."""
    write_outputs(rows, tolerances, started_at, pathlib.Path(out))
    print()
    print(summary(rows, tolerances).strip("*"))
    say(f"wrote {out}")
    return 0


def write_outputs(rows, tolerances, started_at, out: pathlib.Path) -> None:
    out.write_text(markdown(rows, tolerances, started_at))
    DETAILS.parent.mkdir(parents=True, exist_ok=True)
    DETAILS.write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    sys.exit(main())

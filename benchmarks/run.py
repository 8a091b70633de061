"""Time model_drift's SQL monitoring layer against alternatives, same data, same run.

    python benchmarks/run.py [--sizes 100k,1M,10M,100M] [--out benchmarks/results.md]

Run it with the project's Python (the `.venv` that `bash scripts/test.sh`
makes, activated). Per size it generates (once, cached under
benchmarks/data/) a synthetic prediction log and times, each in its own
process tree, wall seconds and peak memory:

- model_drift: `dbt build --select +<quality model> +<drift model>` on a
  fresh DuckDB file, and each of the two on its own (for the per-part
  comparisons);
- full_build (only when named in --tools): `dbt build` of every model, the
  backtest and the recommendations included, with every test;
- incremental (only when named): the SQL layer built with var
  model_drift_incremental up to the last day, then the daily run once that
  day and its labels have come (the backtest is left to a weekly full build);
- floor: benchmarks/floor_duckdb.py, hand-written DuckDB;
- pandas: benchmarks/baseline_pandas.py, pandas + scikit-learn/scipy;
- NannyML and Evidently: benchmarks/run_nannyml.py and run_evidently.py, in
  their own virtual environments under benchmarks/.venvs/ (made on first use).

Peak memory is the larger of (a) the peak of the summed resident set size of
every process in the tree, sampled from /proc every 50 ms, and (b) the
kernel's ru_maxrss for the tree (os.wait4), which catches a spike of a single
process between two samples. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.metadata
import json
import os
import pathlib
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time

BENCH = pathlib.Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"
VENVS = BENCH / ".venvs"
PAGE = os.sysconf("SC_PAGE_SIZE")

QUALITY_MODEL = "model_drift__performance_by_period"
DRIFT_MODEL = "model_drift__feature_drift_by_period"
# the models of a daily run: all but the Python backtest, the view that only feeds it and
# the recommendations over it
SQL_LAYER = ["path:models/marts/experiments", "path:models/marts/recommendations",
             "int_model_drift__backtest_input"]
# a build of the settings table alone: what every dbt invocation costs before any data
STARTUP_MODEL = "model_drift__settings"
FEATURES = ["num_1", "num_2", "num_3", "num_4", "num_5", "cat_1", "cat_2"]

# Each alternative in its own virtual environment, versions pinned to ones
# that install and run on Python 3.11 (evidently 0.7.23 does not import
# with pandas 3).
VENV_REQUIREMENTS = {
    "nannyml": ["nannyml==0.13.1", "statsmodels"],
    "evidently": ["evidently==0.7.23", "pandas<3"],
}
VENV_REPORTED = {
    "nannyml": ["nannyml", "pandas", "numpy", "scikit-learn", "scipy", "statsmodels"],
    "evidently": ["evidently", "pandas", "numpy", "scikit-learn", "scipy"],
}
# Environment for the alternatives: no usage telemetry (and no network here).
QUIET_ENV = {
    "DO_NOT_TRACK": "1",
    "EVIDENTLY_DISABLE_TELEMETRY": "1",
    "NML_DISABLE_USAGE_LOGGING": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}


# --------------------------------------------------------------------------
# measuring one process tree
# --------------------------------------------------------------------------


@dataclasses.dataclass
class Measurement:
    status: str  # ok | failed | timeout | memory
    seconds: float
    cpu_seconds: float
    peak_mb: float
    output: str
    phases: dict = dataclasses.field(default_factory=dict)
    extra: dict = dataclasses.field(default_factory=dict)
    limit: float | None = None  # the time limit, for timeouts

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.output.rstrip().splitlines()[-lines:])


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, resident bytes) of a process, from /proc/PID/stat."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2:].split()
    return int(fields[1]), int(fields[21]) * PAGE


def _descendants(root: int) -> set[int]:
    """root and every process below it (one pass over /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            info = _stat(int(entry.name))
            if info:
                children.setdefault(info[0], []).append(int(entry.name))
    found, stack = set(), [root]
    while stack:
        pid = stack.pop()
        found.add(pid)
        stack.extend(children.get(pid, []))
    return found


class TreeSampler:
    """Summed RSS of a process tree. Reading /proc/*/stat for the whole machine
    costs about 2 ms, so the tree is rediscovered every `rescan` samples and
    only its known members are read in between (a few file reads)."""

    def __init__(self, root: int, rescan: int = 10):
        self.root, self.rescan, self.count, self.members = root, rescan, 0, {root}

    def sample(self) -> int:
        if self.count % self.rescan == 0:
            self.members = _descendants(self.root)
        self.count += 1
        return sum(info[1] for info in map(_stat, self.members) if info)


def measure(cmd: list[str], *, cwd: pathlib.Path, env: dict, timeout: float, mem_cap_mb: float,
            interval: float = 0.05) -> Measurement:
    """Run cmd in a new session; wall time, CPU time, peak memory of its tree."""
    with tempfile.TemporaryFile(mode="w+b") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        peak, status, killed_for = 0, None, None
        sampler = TreeSampler(proc.pid)
        while True:
            pid, wait_status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, sampler.sample())
            elapsed = time.perf_counter() - started
            if killed_for is None and (elapsed > timeout or peak > mem_cap_mb * 2**20):
                killed_for = "timeout" if elapsed > timeout else "memory"
                os.killpg(proc.pid, signal.SIGKILL)  # the group this call started
            time.sleep(interval)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(wait_status)
        log.seek(0)
        output = log.read().decode("utf-8", "replace")
    peak = max(peak, usage.ru_maxrss * 1024)
    if killed_for:
        status = killed_for
    else:
        status = "ok" if proc.returncode == 0 else "failed"
    phases = {m.group(1): float(m.group(2)) for m in re.finditer(r"^BENCH_PHASE (\w+) ([\d.]+)$", output, re.M)}
    extra = {}
    for line in output.splitlines():
        if line.startswith("BENCH_PHASES "):
            extra = json.loads(line[len("BENCH_PHASES "):])
    return Measurement(status, seconds, usage.ru_utime + usage.ru_stime, peak / 2**20, output, phases, extra,
                       limit=timeout if killed_for == "timeout" else None)


def _warm(path: pathlib.Path) -> None:
    """Read the file once so every contender starts from the same page cache."""
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass


# --------------------------------------------------------------------------
# contenders
# --------------------------------------------------------------------------


def dbt_command(parquet: pathlib.Path, models: list[str], workdir: pathlib.Path,
                command: str = "build", extra_vars: dict | None = None) -> tuple[list[str], dict]:
    dbt_vars = {
        "model_drift_input_path": str(parquet),
        "model_drift_event_at": "event_at",
        "model_drift_label_at": "label_at",
        "model_drift_target": "target",
        "model_drift_prediction": "prediction",
        "model_drift_id": None,
        "model_drift_task": "binary",
        "model_drift_period": "day",
        "model_drift_features": FEATURES,
        "model_drift_as_of": "2030-01-01",
        **(extra_vars or {}),
    }
    dbt = pathlib.Path(sys.executable).parent / "dbt"
    # no models: every model of the project (backtest and recommendations included);
    # SQL_LAYER: every model but those, and no unit tests (dbt's advice for a scheduled
    # production run: unit tests belong to development and CI)
    if models is SQL_LAYER and command == "build":
        select = ["--exclude", *SQL_LAYER, "--exclude-resource-type", "unit_test"]
    else:
        select = ["--select", *[f"+{m}" for m in models]] if command == "build" and models else []
    cmd = [str(dbt if dbt.exists() else "dbt"), command, *select,
           "--vars", json.dumps(dbt_vars), "--target-path", str(workdir / "target"),
           "--log-path", str(workdir / "logs"), "--no-use-colors"]
    env = {**os.environ, **QUIET_ENV, "DBT_PROFILES_DIR": str(REPO),
           "MODEL_DRIFT_DUCKDB_PATH": str(workdir / "warehouse.duckdb")}
    return cmd, env


def run_model_drift(parquet: pathlib.Path, models: list[str], args) -> Measurement:
    with tempfile.TemporaryDirectory(prefix="model_drift_bench_") as tmp:
        return run_dbt_build(parquet, models, args, pathlib.Path(tmp))


def run_incremental(parquet: pathlib.Path, args) -> tuple[Measurement, Measurement]:
    """The SQL layer built with var model_drift_incremental on up to the last
    day (model_drift_as_of its start: later events unseen, later labels
    unknown), then the daily run once that day and its labels have come."""
    last_day = (dt.datetime(2024, 1, 1) + dt.timedelta(days=args.days - 1)).strftime("%Y-%m-%d")
    with tempfile.TemporaryDirectory(prefix="model_drift_bench_") as tmp:
        workdir = pathlib.Path(tmp)
        first = run_dbt_build(parquet, SQL_LAYER, args, workdir,
                              {"model_drift_incremental": True, "model_drift_as_of": last_day})
        if not first.ok:
            return first, first
        _warm(parquet)
        return first, run_dbt_build(parquet, SQL_LAYER, args, workdir, {"model_drift_incremental": True})


def run_dbt_build(parquet: pathlib.Path, models: list[str], args, workdir: pathlib.Path,
                  extra_vars: dict | None = None) -> Measurement:
    if args.warm_parse:
        # what a scheduled pipeline does: dbt reuses target/partial_parse.msgpack
        # from its last run with the same vars, so only the build is timed
        cmd, env = dbt_command(parquet, models, workdir, command="parse", extra_vars=extra_vars)
        started = time.perf_counter()
        parsed = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        parse_seconds = time.perf_counter() - started
        if parsed.returncode != 0:
            return Measurement(status="failed", seconds=parse_seconds, cpu_seconds=0.0, peak_mb=0.0,
                               output=parsed.stdout[-3000:] + parsed.stderr[-3000:])
    cmd, env = dbt_command(parquet, models, workdir, extra_vars=extra_vars)
    result = measure(cmd, cwd=REPO, env=env, timeout=args.sql_timeout, mem_cap_mb=args.mem_cap_gb * 1024)
    run_results = workdir / "target" / "run_results.json"
    if run_results.exists():
        data = json.loads(run_results.read_text())
        result.extra["dbt_elapsed"] = data.get("elapsed_time")
        if args.warm_parse:
            result.extra["dbt_parse"] = parse_seconds
        statuses: dict[str, int] = {}
        for node in data.get("results", []):
            statuses[node["status"]] = statuses.get(node["status"], 0) + 1
        result.extra["dbt_statuses"] = statuses
        nodes = sorted(((n.get("execution_time") or 0.0, n["unique_id"].split(".")[-1])
                        for n in data.get("results", [])), reverse=True)
        result.extra["dbt_slowest"] = [(name, seconds) for seconds, name in nodes[:3]]
        built = {n["unique_id"].split(".")[-1] for n in data.get("results", [])
                 if n["unique_id"].startswith("model.") and n["status"] == "success"}
        missing = [m for m in models if m not in built and models is not SQL_LAYER]
        if result.ok and missing:
            result.status = "failed"
            result.output += f"\n[benchmark] not built: {', '.join(missing)}"
        if result.ok and set(statuses) - {"success", "pass", "warn"}:
            result.status = "failed"
            result.output += f"\n[benchmark] not every node passed: {_statuses(result)}"
    elif result.ok:
        result.status = "failed"
        result.output += "\n[benchmark] dbt wrote no run_results.json"
    return result


def ensure_venv(name: str) -> tuple[pathlib.Path | None, dict, str]:
    """The venv's python (made and filled on first use), its versions, or the error."""
    root = VENVS / name
    python = root / "bin" / "python"
    marker = root / ".requirements"
    wanted = "\n".join(VENV_REQUIREMENTS[name])
    if not (python.exists() and marker.exists() and marker.read_text() == wanted):
        print(f"  creating {root.relative_to(REPO)} ({' '.join(VENV_REQUIREMENTS[name])}) ...", flush=True)
        made = subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], capture_output=True, text=True)
        if made.returncode != 0:
            return None, {}, made.stdout + made.stderr
        pip = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              *VENV_REQUIREMENTS[name]], capture_output=True, text=True)
        if pip.returncode != 0:
            return None, {}, pip.stdout + pip.stderr
        marker.write_text(wanted)
    probe = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m, json, sys; "
         "print(json.dumps({p: m.version(p) for p in sys.argv[1:]}))", *VENV_REPORTED[name]],
        capture_output=True, text=True)
    if probe.returncode != 0:
        return None, {}, probe.stdout + probe.stderr
    return python, json.loads(probe.stdout), ""


def run_script(python: str | pathlib.Path, script: str, parquet: pathlib.Path, timeout: float, args,
               out: pathlib.Path | None = None) -> Measurement:
    cmd = [str(python), str(BENCH / script), str(parquet)] + (["--out", str(out)] if out else [])
    env = {**os.environ, **QUIET_ENV}
    for variable in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(variable, None)
    return measure(cmd, cwd=BENCH, env=env, timeout=timeout, mem_cap_mb=args.mem_cap_gb * 1024)


def compare_floor_pandas(floor_out: pathlib.Path, pandas_out: pathlib.Path) -> str:
    import pandas as pd

    floor = pd.read_parquet(floor_out)
    base = pd.read_parquet(pandas_out)
    both = floor.merge(base, on=["period", "feature", "metric"], how="outer", suffixes=("_floor", "_pandas"))
    unmatched = int(both["value_floor"].isna().ne(both["value_pandas"].isna()).sum())
    both["diff"] = (both["value_floor"] - both["value_pandas"]).abs()
    binned = both["metric"].isin(["ks", "wasserstein"])
    exact = both.loc[~binned, "diff"].max()
    ks = both.loc[both["metric"] == "ks", "diff"].max()
    w1 = both.loc[both["metric"] == "wasserstein", "diff"]
    w1_rel = (w1 / both.loc[w1.index, "value_pandas"].abs()).median()
    return (f"floor vs pandas on {len(both):,} (day, feature, metric) values: {unmatched} unmatched; "
            f"max |diff| {exact:.1e} on everything but ks/wasserstein (binned in the floor, exact in pandas): "
            f"ks max |diff| {ks:.4f}, wasserstein median relative diff {w1_rel:.1%}")


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*([\d.]+)\s*([kKmMgG]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"bad size {text!r}; use e.g. 100k, 1M, 10M")
    factor = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[match.group(2).lower()]
    return int(float(match.group(1)) * factor)


def size_label(rows: int) -> str:
    for factor, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if rows >= factor and rows % (factor // 10 or 1) == 0:
            value = rows / factor
            return f"{value:g}{suffix}"
    return str(rows)


@dataclasses.dataclass
class Row:
    tool: str
    m: Measurement | None = None
    note: str = ""
    seconds: float | None = None  # for derived rows (parts)
    lower_bound: bool = False
    base_key: str = "model_drift"  # the model_drift row its ratio is taken against


def fmt_seconds(row: Row) -> str:
    if row.m is not None and row.m.status == "timeout":
        return f"> {row.m.limit:.0f}"
    if row.seconds is None:
        return "-"
    return (">= " if row.lower_bound else "") + f"{row.seconds:.2f}"


def md_table(table: dict[str, Row]) -> list[str]:
    lines = ["| tool | status | seconds | CPU s | peak MB | time ÷ model_drift | note |",
             "|---|---|---:|---:|---:|---:|---|"]
    for row in table.values():
        m = row.m
        status = m.status if m else ("derived" if row.seconds is not None else "not run")
        cpu = f"{m.cpu_seconds:.1f}" if m else ""
        peak = f"{m.peak_mb:,.0f}" if m else ""
        base = table.get(row.base_key) if row.base_key in table else table.get("model_drift")
        reference = base.seconds if base is not None and base.m is not None and base.m.ok else None
        ratio = ""
        if reference and row.seconds is not None:
            ratio = (">= " if row.lower_bound else "") + f"{row.seconds / reference:.2f}"
        elif reference and m is not None and m.status == "timeout":
            ratio = f"> {m.limit / reference:.1f}"
        if ratio and row.base_key != "model_drift" and row.base_key in table:
            ratio += f" (vs {table[row.base_key].tool})"
        note = row.note.replace("|", "\\|")
        lines.append(f"| {row.tool} | {status} | {fmt_seconds(row)} | {cpu} | {peak} | {ratio} | {note} |")
    return lines


def machine() -> str:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu or platform.machine()}), {memory:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}")


def version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark model_drift's SQL layer against alternatives.")
    parser.add_argument("--sizes", default="100k,1M,10M,100M",
                        help="comma-separated row counts, e.g. 1M,10M,100M (default %(default)s)")
    parser.add_argument("--out", default=str(BENCH / "results.md"), help="markdown report (default %(default)s)")
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", default=f"{QUALITY_MODEL},{DRIFT_MODEL}",
                        help="dbt models to build, quality model first then drift model (default %(default)s)")
    parser.add_argument("--tools", default="model_drift,floor,pandas,nannyml,evidently",
                        help="contenders to run (default %(default)s; full_build, a `dbt build` of every "
                             "model, and incremental, a first SQL-layer build with var model_drift_incremental "
                             "then the daily run after one new day, run only when named)")
    parser.add_argument("--cold-parse", dest="warm_parse", action="store_false",
                        help="time model_drift's dbt project parse too (by default `dbt parse` runs first, untimed, "
                             "as in a pipeline that keeps its target/ between runs)")
    parser.add_argument("--no-parts", action="store_true",
                        help="do not build the quality and drift models on their own as well")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds allowed to pandas, NannyML and Evidently per run (default %(default)s)")
    parser.add_argument("--sql-timeout", type=float, default=3600,
                        help="seconds allowed to model_drift and the floor per run (default %(default)s)")
    parser.add_argument("--mem-cap-gb", type=float, default=20,
                        help="stop a run whose tree exceeds this resident memory (default %(default)s)")
    parser.add_argument("--check-size", default="10M", help="size at which the speed targets are checked")
    parser.add_argument("--memory-size", default="100M", help="size at which the memory target is checked")
    args = parser.parse_args()

    sizes = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    tools = {t.strip() for t in args.tools.split(",") if t.strip()}
    unknown = tools - {"model_drift", "full_build", "incremental", "floor", "pandas", "nannyml", "evidently"}
    if unknown:
        parser.error(f"unknown tools: {', '.join(sorted(unknown))}")
    parts = len(models) == 2 and not args.no_parts
    out_path = pathlib.Path(args.out)

    header = [
        "# model_drift benchmark",
        "",
        f"Run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine()}; Python {platform.python_version()}.",
        "",
        f"Data: synthetic prediction log (benchmarks/generate.py), {args.days} daily periods, seed {args.seed}; "
        "reference = the first 28 days. Each tool runs in its own process tree after the file was read once "
        "into the page cache; seconds are wall time of the whole process (start-up, reading the parquet, "
        "computing, writing), CPU s is user + system time of the tree, peak MB is the largest resident memory "
        "of the tree.",
        "",
        f"model_drift: `dbt build --select {' '.join('+' + m for m in models)}`"
        + (", and each model alone for the per-part checks" if parts else "")
        + (", each after an untimed `dbt parse` with the same vars (a pipeline that keeps target/ between runs "
           "parses only what changed)" if args.warm_parse else ", each including dbt's full project parse") + ".",
        "",
    ]
    limit = os.environ.get("MODEL_DRIFT_DUCKDB_MEMORY_LIMIT")
    limit = (f"{limit} (MODEL_DRIFT_DUCKDB_MEMORY_LIMIT)" if limit
             else "80% of RAM, DuckDB's default (MODEL_DRIFT_DUCKDB_MEMORY_LIMIT, e.g. 4GB, caps it)")
    header += [f"DuckDB memory_limit of the dbt builds: {limit}.", ""]
    versions = {p: version(p) for p in ("dbt-core", "dbt-duckdb", "duckdb", "pandas", "numpy", "scikit-learn", "scipy")}
    venvs: dict[str, tuple] = {}
    for name in ("nannyml", "evidently"):
        if name in tools:
            print(f"preparing {name} environment", flush=True)
            venvs[name] = ensure_venv(name)
            python, found, error = venvs[name]
            if python is None:
                print(f"  {name}: environment failed:\n{error[-3000:]}", flush=True)
            else:
                print(f"  {name}: {json.dumps(found)}", flush=True)
    header.append("Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".")
    for name, (python, found, error) in venvs.items():
        if python is not None:
            header.append(f"{name} environment: " + ", ".join(f"{k} {v}" for k, v in found.items()) + ".")
        else:
            reason = error.strip().splitlines()[-1] if error.strip() else "error"
            header.append(f"{name} environment: could not be made ({reason}).")
    header.append("")

    report: list[str] = []
    results: dict[int, dict[str, Row]] = {}
    timed_out: dict[str, str] = {}  # tool -> size label where it timed out
    notes: list[str] = []
    agreements: dict[int, str] = {}

    def write() -> None:
        text = "\n".join(header + report + checks(results, sizes, args, parts, timed_out) + notes) + "\n"
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(text)

    for rows in sizes:
        label = size_label(rows)
        parquet = DATA / f"prediction_log_{label}_{args.days}d_seed{args.seed}.parquet"
        print(f"\n=== {label} rows ===", flush=True)
        if not parquet.exists():
            print(f"generating {parquet.relative_to(REPO)}", flush=True)
            started = time.perf_counter()
            gen = subprocess.run([sys.executable, str(BENCH / "generate.py"), str(parquet), str(rows),
                                  "--days", str(args.days), "--seed", str(args.seed)], capture_output=True, text=True)
            if gen.returncode != 0:
                print(gen.stdout + gen.stderr)
                return 1
            print(f"  done in {time.perf_counter() - started:.1f} s", flush=True)
        size_mb = parquet.stat().st_size / 2**20
        table: dict[str, Row] = {}
        results[rows] = table

        def run(key: str, tool: str, fn, skip_key: str | None = None) -> Row | None:
            skip_key = skip_key or key
            if skip_key in timed_out:
                row = Row(tool, note=f"skipped: over the time or memory limit at {timed_out[skip_key]}")
                table[key] = row
                print(f"  {tool}: {row.note}", flush=True)
                return row
            _warm(parquet)
            print(f"  {tool} ...", end=" ", flush=True)
            m = fn()
            row = Row(tool, m, seconds=m.seconds if m.ok else None)
            table[key] = row
            if m.ok:
                print(f"{m.seconds:.2f} s, {m.peak_mb:,.0f} MB", flush=True)
            elif m.status == "timeout":
                timed_out[skip_key] = label
                print(f"> {m.limit:.0f} s (stopped)", flush=True)
            elif m.status == "memory":
                timed_out[skip_key] = label
                row.note = f"stopped: its processes passed {args.mem_cap_gb:g} GB resident"
                print(f"stopped at {m.peak_mb / 1024:.1f} GB after {m.seconds:.0f} s", flush=True)
            else:
                print(f"{m.status} after {m.seconds:.1f} s:\n" + _indent(m.tail()), flush=True)
                row.note = m.status + ": " + _one_line(m.tail(3))
            return row

        with tempfile.TemporaryDirectory(prefix="model_drift_bench_out_") as tmp:
            tmp_path = pathlib.Path(tmp)
            if "model_drift" in tools:
                row = run("model_drift", "model_drift", lambda: run_model_drift(parquet, models, args))
                if row.m and row.m.ok and row.m.extra.get("dbt_elapsed"):
                    row.note = (f"dbt elapsed {row.m.extra['dbt_elapsed']:.2f} s{_parse(row.m)}; {_statuses(row.m)}; "
                                f"{_slowest(row.m)}")
                if parts:
                    for key, model, what in (("md_quality", models[0], "quality"), ("md_drift", models[1], "drift")):
                        row = run(key, f"model_drift, {what} only",
                                  lambda model=model: run_model_drift(parquet, [model], args))
                        row.base_key = "model_drift"
                        if row.m and row.m.ok and row.m.extra.get("dbt_elapsed"):
                            row.note = f"+{model}; dbt elapsed {row.m.extra['dbt_elapsed']:.2f} s; {_slowest(row.m)}"
                row = run("md_startup", "model_drift, dbt start-up alone (a build of the settings table)",
                          lambda: run_model_drift(parquet, [STARTUP_MODEL], args))
                if row.m and row.m.ok and row.m.extra.get("dbt_elapsed") is not None:
                    row.note = (f"dbt elapsed {row.m.extra['dbt_elapsed']:.2f} s: the rest is dbt's import, "
                                "loading the parsed project and writing its artifacts")
            if "full_build" in tools:
                row = run("md_full", "model_drift, full build (every model)",
                          lambda: run_model_drift(parquet, [], args))
                if row.m and row.m.ok and row.m.extra.get("dbt_elapsed"):
                    row.note = (f"every model and test; dbt elapsed {row.m.extra['dbt_elapsed']:.2f} s; "
                                f"{_statuses(row.m)}; {_slowest(row.m)}")
            if "incremental" in tools:
                daily: list[Measurement] = []

                def incremental_builds() -> Measurement:
                    first, second = run_incremental(parquet, args)
                    daily.append(second)
                    return first

                row = run("md_incr_first", "model_drift, SQL layer incremental: first build up to the last day",
                          incremental_builds)
                if daily and daily[0] is not row.m:
                    m = daily[0]
                    table["md_incr_daily"] = Row("model_drift, daily incremental run (the last day added)", m,
                                                 seconds=m.seconds if m.ok else None, base_key="md_incr_first",
                                                 note=f"dbt elapsed {m.extra.get('dbt_elapsed') or 0:.2f} s; "
                                                      f"{_statuses(m)}; {_slowest(m)}" if m.ok else m.tail(3))
                    print(f"  daily incremental run: {m.seconds:.2f} s, {m.peak_mb:,.0f} MB, {m.status}", flush=True)
            if "floor" in tools:
                row = run("floor", "floor (hand-written DuckDB)",
                          lambda: run_script(sys.executable, "floor_duckdb.py", parquet, args.sql_timeout, args,
                                             tmp_path / "floor.parquet"))
            if "pandas" in tools:
                row = run("pandas", "pandas + sklearn/scipy",
                          lambda: run_script(sys.executable, "baseline_pandas.py", parquet, args.timeout, args,
                                             tmp_path / "pandas.parquet"))
                add_parts(table, "pandas", "pandas")
            if "floor" in table and "pandas" in table and all(
                    table[k].m is not None and table[k].m.ok for k in ("floor", "pandas")):
                try:
                    agreement = compare_floor_pandas(tmp_path / "floor.parquet", tmp_path / "pandas.parquet")
                except Exception as error:  # report, never stop the benchmark
                    agreement = f"floor vs pandas comparison failed: {error}"
                print("  " + agreement, flush=True)
                agreements[rows] = agreement
            for name, script, title in (("nannyml", "run_nannyml.py", "NannyML"),
                                        ("evidently", "run_evidently.py", "Evidently")):
                if name not in tools:
                    continue
                python, found, error = venvs[name]
                if python is None:
                    table[name] = Row(title, note="environment could not be made")
                    continue
                run(name, f"{title} {found.get(name, '')}",
                    lambda python=python, script=script: run_script(python, script, parquet, args.timeout, args))
                add_parts(table, name, title)

        reference = table.get("model_drift").seconds if "model_drift" in table else None
        floor = table.get("floor")
        if reference and floor and floor.seconds:
            floor.note = f"model_drift ÷ floor = {reference / floor.seconds:.2f}"
        report += [f"## {label} rows ({size_mb:,.0f} MB parquet)", ""] + md_table(table) + [""]
        if rows in agreements:
            report += [agreements[rows] + ".", ""]
        print("\n" + "\n".join(md_table(table)), flush=True)
        write()

    notes += [
        "## Notes",
        "",
        "- Part rows (`quality part`, `drift part`) of pandas, NannyML and Evidently are the in-process phase "
        "times import + load + that phase, measured inside the same run as their total; peak memory is the "
        "whole run's. model_drift's part rows are separate `dbt build` runs of one model with its parents.",
        "- A run stopped at its time limit shows `> limit`; its ratio is a lower bound, and larger sizes are "
        "skipped for that tool. A phase that finished before the stop is still shown.",
        "- Timings on a 2-core machine are noisy: compare ratios measured in the same run, not absolute "
        "seconds across runs.",
    ]
    text_checks = checks(results, sizes, args, parts, timed_out)
    print("\n" + "\n".join(text_checks), flush=True)
    write()
    print(f"\nwrote {out_path}", flush=True)
    return 0


PHASE_ORDER = ["import", "load", "quality", "drift"]


def add_parts(table: dict[str, Row], key: str, title: str) -> None:
    """Derived rows: import + load + quality, import + load + drift (from the run's phases)."""
    row = table.get(key)
    if row is None or row.m is None:
        return
    phases = row.m.phases
    base = phases.get("import", 0.0) + phases.get("load", 0.0)
    for part in ("quality", "drift"):
        part_row = Row(f"{title}, {part} part", base_key=f"md_{part}")
        earlier = PHASE_ORDER[:PHASE_ORDER.index(part)]
        if all(p in phases for p in earlier + [part]):
            part_row.seconds = base + phases[part]
            part_row.note = f"import + load {base:.2f} s + {part} {phases[part]:.2f} s"
        elif row.m.status == "timeout" and all(p in phases for p in earlier):
            # stopped while this part ran: import + load + part >= limit - the other parts done before it
            others = sum(phases[p] for p in earlier if p not in ("import", "load"))
            part_row.seconds = row.m.limit - others
            part_row.lower_bound = True
            part_row.note = f"{part} still running at the limit"
        else:
            part_row.note = f"{part} not reached" if row.m.status == "timeout" else "no phase times"
        table[f"{key}_{part}"] = part_row


def checks(results: dict[int, dict[str, Row]], sizes: list[int], args, parts: bool, timed_out: dict) -> list[str]:
    lines = ["## Target checks", ""]
    check = parse_size(args.check_size)
    memory = parse_size(args.memory_size)

    def seconds(table, key):
        row = table.get(key)
        return (row.seconds, row.lower_bound) if row and row.seconds is not None else (None, False)

    def verdict(ok: bool | None) -> str:
        return {True: "PASS", False: "FAIL", None: "n/a"}[ok]

    if check in results:
        t = results[check]
        label = size_label(check)
        md_q = seconds(t, "md_quality")[0] if parts else None
        md_d = seconds(t, "md_drift")[0] if parts else None
        md_all = seconds(t, "model_drift")[0]
        basis = "model_drift's quality model alone" if md_q else "model_drift's full build (no part run)"
        md_q = md_q or md_all
        md_d_basis = "model_drift's drift model alone" if md_d else "model_drift's full build (no part run)"
        md_d = md_d or md_all
        for key, title, factor in (("nannyml_quality", "NannyML realized performance", 5),
                                   ("evidently_quality", "Evidently classification reports", 50)):
            other, bound = seconds(t, key)
            if other is None:
                other, bound = _extrapolate(results, key, check)
                how = ("lower bound from a smaller size" if bound
                       else "extrapolated linearly from the largest size it finished")
            else:
                how = "lower bound: stopped at the limit" if bound else "measured"
            if md_q and other:
                ratio = other / md_q
                ok = ratio >= factor if (not bound or ratio >= factor) else None
                lines.append(f"- Per-period quality at {label}: model_drift >= {factor}x faster than {title}: "
                             f"{verdict(ok)} ({other:.1f} s / {md_q:.1f} s = {ratio:.1f}x{'+' if bound else ''}; "
                             f"{how}; model_drift side: {basis}).")
            else:
                lines.append(f"- Per-period quality at {label}: model_drift >= {factor}x faster than {title}: n/a "
                             "(a side has no time).")
        other, bound = seconds(t, "nannyml_drift")
        how = "lower bound: stopped at the limit" if bound else "measured"
        if other is None:
            other, bound = _extrapolate(results, "nannyml_drift", check)
            how = ("lower bound from a smaller size" if bound
                   else "extrapolated linearly from the largest size it finished")
        if md_d and other:
            ok = md_d <= other if (not bound or md_d <= other) else None
            lines.append(f"- Drift at {label}: model_drift no slower than NannyML univariate drift: "
                         f"{verdict(ok)} (model_drift {md_d:.1f} s vs NannyML {'>= ' if bound else ''}{other:.1f} s, "
                         f"{how}; model_drift side: {md_d_basis}).")
        else:
            lines.append(f"- Drift at {label}: model_drift no slower than NannyML univariate drift: "
                         "n/a (a side has no time).")
        startup = seconds(t, "md_startup")[0]
        if startup:
            budgets = [("quality (NannyML's / 5)", seconds(t, "nannyml_quality")[0], 0.2),
                       ("the whole layer (2x the floor)", seconds(t, "floor")[0], 2.0),
                       ("the daily run (10% of the full build)", seconds(t, "md_full")[0], 0.1)]
            left = "; ".join(f"{what}: {base * factor:.1f} s, {base * factor - startup:.1f} s of it for the work"
                             for what, base, factor in budgets if base)
            lines.append(f"- dbt's fixed cost at {label} (a build of the settings table alone): {startup:.1f} s, "
                         f"paid by every dbt build. The budgets: {left or 'n/a'}.")
    else:
        lines.append(f"- Speed targets are checked at {size_label(check)} rows, which was not in --sizes.")

    for rows in sizes:
        t = results.get(rows, {})
        md_all, floor = seconds(t, "model_drift")[0], seconds(t, "floor")[0]
        if md_all and floor:
            elapsed = t["model_drift"].m.extra.get("dbt_elapsed")
            more = f"; dbt's own elapsed {elapsed:.1f} s = {elapsed / floor:.2f}x" if elapsed else ""
            small = "; informational: dbt's fixed start-up dominates below the check size" if rows < check else ""
            lines.append(f"- model_drift within 2x of the hand-written DuckDB floor at {size_label(rows)}: "
                         f"{verdict(md_all <= 2 * floor)} ({md_all:.1f} s / {floor:.1f} s = {md_all / floor:.2f}x"
                         f"{more}{small}).")
        else:
            lines.append(f"- model_drift within 2x of the floor at {size_label(rows)}: n/a (a side has no time).")

    daily = results.get(check, {}).get("md_incr_daily")
    if daily is not None:
        full = results[check].get("md_full")
        base = full if full is not None and full.seconds else results[check].get("md_incr_first")
        if daily.seconds is not None and base is not None and base.seconds:
            lines.append(f"- Daily incremental run at {size_label(check)} at most 10% of a full build: "
                         f"{verdict(daily.seconds <= 0.1 * base.seconds)} ({daily.seconds:.1f} s / "
                         f"{base.seconds:.1f} s = {daily.seconds / base.seconds:.1%}, against {base.tool}).")
        else:
            lines.append(f"- Daily incremental run at {size_label(check)}: n/a (a side has no time).")

    if check in results and "md_full" in results[check]:
        full = results[check]["md_full"]
        if full.seconds is not None:
            lines.append(f"- Full build at {size_label(check)} within 15 minutes: {verdict(full.seconds <= 900)} "
                         f"({full.seconds:.0f} s, peak {full.m.peak_mb / 1024:.2f} GB).")
        else:
            lines.append(f"- Full build at {size_label(check)} within 15 minutes: FAIL ({full.note or 'no time'}).")

    for key, what in (("model_drift", "model_drift"), ("md_full", "the full build")):
        row = results.get(memory, {}).get(key)
        if key == "md_full" and row is None:
            continue  # the full build runs only when asked for
        if row and row.m:
            m = row.m
            if m.ok:
                lines.append(f"- {what} peak memory < 6 GB at {size_label(memory)}: "
                             f"{verdict(m.peak_mb < 6 * 1024)} ({m.peak_mb / 1024:.2f} GB, {m.seconds:.0f} s).")
            else:
                lines.append(f"- {what} peak memory < 6 GB at {size_label(memory)}: n/a (run {m.status}; "
                             f"peak so far {m.peak_mb / 1024:.2f} GB).")
        else:
            lines.append(f"- {what} peak memory < 6 GB at {size_label(memory)}: n/a (size not run).")
    lines.append("")
    return lines


def _extrapolate(results: dict[int, dict[str, Row]], key: str, target: int) -> tuple[float | None, bool]:
    """A tool skipped at `target`: its time there, linear in rows from the largest
    smaller size it finished, else the largest lower bound at a smaller size."""
    finished = [(rows, t[key].seconds) for rows, t in results.items()
                if rows < target and key in t and t[key].seconds is not None and not t[key].lower_bound]
    if finished:
        rows, seconds = max(finished)
        return seconds * target / rows, False
    bounds = [t[key].seconds for rows, t in results.items()
              if rows < target and key in t and t[key].seconds is not None and t[key].lower_bound]
    return (max(bounds), True) if bounds else (None, False)


def _statuses(m: Measurement) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(m.extra.get("dbt_statuses", {}).items()))


def _parse(m: Measurement) -> str:
    parse = m.extra.get("dbt_parse")
    return f" (after an untimed `dbt parse` of {parse:.1f} s)" if parse is not None else ""


def _slowest(m: Measurement) -> str:
    return "slowest: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in m.extra.get("dbt_slowest", []))


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def _one_line(text: str) -> str:
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())[:300]


if __name__ == "__main__":
    sys.exit(main())

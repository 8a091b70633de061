"""Shared helpers: run dbt the way a user does, on a fresh DuckDB file."""

from __future__ import annotations

import dataclasses
import glob
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile

import duckdb
import pandas as pd
import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
DEMO_PROJECT = REPO / "demo"
DEMO_PARQUET = DEMO_PROJECT / "data" / "nycflights13_2013.parquet"
DBT = str(pathlib.Path(sys.executable).parent / "dbt")
# The six-row arrivals fixture with its roles (test_recommendations.py, test_settings_source.py).
FIXTURE_VARS = {
    "model_drift_input_path": str(REPO / "tests" / "fixtures" / "arrivals_small.csv"),
    "model_drift_event_at": "happened_at",
    "model_drift_label_at": "labelled_at",
    "model_drift_target": "outcome",
    "model_drift_prediction": "score",
    "model_drift_id": "row_key",
    "model_drift_as_of": "2024-01-05 00:00:00",
}
# The SQL layer alone: the Python backtest and recommendation marts need
# weeks of history, which the small fixtures do not have (they have their own tests).
SQL_LAYER = ["--exclude", "path:models/marts/experiments", "path:models/marts/recommendations"]


@dataclasses.dataclass
class DbtRun:
    returncode: int
    output: str
    database: pathlib.Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def table(self, name: str, order_by: str | None = None) -> pd.DataFrame:
        sql = f"select * from {name}" + (f" order by {order_by}" if order_by else "")
        with duckdb.connect(str(self.database), read_only=True) as connection:
            return connection.sql(sql).df()


def run_dbt(
    command: list[str],
    workdir: pathlib.Path,
    *,
    project_dir: pathlib.Path = REPO,
    dbt_vars: dict | None = None,
    target: str | None = None,
    extra_env: dict | None = None,
) -> DbtRun:
    """Run `dbt <command>` in project_dir, writing only under workdir (on `target`, default the profile's)."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "warehouse.duckdb"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(project_dir),
        "MODEL_DRIFT_DUCKDB_PATH": str(database),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(extra_env or {}),
    }
    args = [DBT, *command, "--no-use-colors", "--log-path", str(workdir / "logs")]
    if command[0] != "deps":
        args += ["--target-path", str(workdir / "target")]
        if target:
            args += ["--target", target]
    if dbt_vars:
        args += ["--vars", yaml.safe_dump(dbt_vars, default_flow_style=True)]
    done = subprocess.run(args, cwd=project_dir, env=env, capture_output=True, text=True, timeout=900)
    return DbtRun(done.returncode, done.stdout + done.stderr, database)


def write_parquet(frame: pd.DataFrame, path: pathlib.Path) -> pathlib.Path:
    """Write through DuckDB so column types are the ones DuckDB reads back."""
    with duckdb.connect() as connection:
        connection.register("frame", frame)
        connection.sql(f"copy (select * from frame) to '{path}' (format parquet)")
    return path


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """The demo project built once, exactly as scripts/demo.sh builds it."""
    from model_drift.demo_data import MODEL_VERSIONS_FILE, write_demo_parquet, write_model_versions_csv

    write_demo_parquet(DEMO_PARQUET)  # kept when it exists
    write_model_versions_csv(DEMO_PARQUET.parent / MODEL_VERSIONS_FILE)  # as scripts/demo.sh writes both
    workdir = tmp_path_factory.mktemp("demo")
    deps = run_dbt(["deps"], workdir, project_dir=DEMO_PROJECT)
    assert deps.ok, deps.output
    build = run_dbt(["build"], workdir, project_dir=DEMO_PROJECT)
    assert build.ok, build.output
    return build


# --- the integration project (integration_tests/), shared by test_integration.py and test_engines.py ---

INTEGRATION_PROJECT = REPO / "integration_tests"
INTEGRATION_SCHEMA = "model_drift_it"
# The SQL layer as selected in a project that installs the package (path:
# selectors are relative to the package, so select by name instead).
INSTALLED_SQL_LAYER = ["--exclude", "model_drift.marts.experiments", "model_drift.marts.recommendations"]
# `dbt seed` loads the input first; the build must not reload it while the
# package reads it (the package reads a source, so dbt sees no edge to the seeds).
BUILD_AFTER_SEED = ["build", "--exclude-resource-type", "seed"]
# Every public SQL mart, with the columns that identify a row (its grain).
SQL_MARTS = {
    "model_drift__input_checks": ["check_name"],
    "model_drift__arrival_by_period": ["segment_column", "segment_value", "period_start"],
    "model_drift__arrival_by_day_of_week": ["segment_column", "segment_value", "day_of_week"],
    "model_drift__arrival_summary": ["segment_column", "segment_value"],
    "model_drift__performance_by_period": [
        "segment_column", "segment_value", "model_version", "period_start", "metric_name"],
    "model_drift__decay_by_model_age": ["segment_column", "segment_value", "model_age_periods", "metric_name"],
    "model_drift__feature_drift_by_period": ["segment_column", "segment_value", "feature_name", "period_start"],
    "model_drift__category_share_by_period": [
        "segment_column", "segment_value", "feature_name", "period_start", "category"],
}


def run_integration(command: list[str], workdir: pathlib.Path, target: str, env: dict | None = None) -> DbtRun:
    """Run `dbt <command> --target <target>` in the integration project, writing only under workdir."""
    return run_dbt(command, workdir, project_dir=INTEGRATION_PROJECT, target=target, extra_env=env)


@pytest.fixture(scope="session")
def integration_duckdb(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    """The integration project on DuckDB: deps, seed, then every model and test, Python marts included."""
    workdir = tmp_path_factory.mktemp("integration_duckdb")
    for command in (["deps"], ["seed"], BUILD_AFTER_SEED):
        run = run_integration(command, workdir, "duckdb")
        assert run.ok, run.output
    return run


PG_PASSWORD = "model_drift"


# --- PostgreSQL: a private cluster on 127.0.0.1 (test_engines.py, test_hostile_input.py) ---

def _postgres_bin() -> pathlib.Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found and shutil.which("initdb"):
        found = [shutil.which("initdb")]
    if not found:
        pytest.fail(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: the engine matrix needs them. "
            "`bash scripts/test.sh` installs them (apt-get install postgresql); or install PostgreSQL yourself",
            pytrace=False,
        )
    return pathlib.Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A fresh PostgreSQL cluster (initdb) listening on 127.0.0.1 only; stopped and removed at the end."""
    bindir = _postgres_bin()
    # not under pytest's temporary folder, which the postgres user cannot enter
    root = pathlib.Path(tempfile.mkdtemp(prefix="model_drift_pg_"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as the postgres user
        shutil.chown(root, "postgres")
        os.chmod(root, 0o700)
        as_postgres = ["runuser", "-u", "postgres", "--"]
    password_file = root / "password"
    password_file.write_text(PG_PASSWORD + "\n")
    if as_postgres:
        shutil.chown(password_file, "postgres")
    data = root / "data"
    port = _free_port()

    def run(*args):
        done = subprocess.run([*as_postgres, *args], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    run(str(bindir / "initdb"), "-D", str(data), "-U", "model_drift", "-A", "scram-sha-256",
        f"--pwfile={password_file}", "--no-sync")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60",
        "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off", "start")
    try:
        import psycopg2

        connection = psycopg2.connect(host="127.0.0.1", port=port, user="model_drift", password=PG_PASSWORD,
                                      dbname="postgres")
        connection.autocommit = True
        connection.cursor().execute("create database model_drift")
        connection.close()
        yield {"MODEL_DRIFT_PG_PORT": str(port), "MODEL_DRIFT_PG_PASSWORD": PG_PASSWORD}
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)

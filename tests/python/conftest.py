"""Shared helpers: run dbt the way a user does, on a fresh DuckDB file."""

from __future__ import annotations

import dataclasses
import os
import pathlib
import subprocess
import sys

import duckdb
import pandas as pd
import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
DEMO_PROJECT = REPO / "demo"
DEMO_PARQUET = DEMO_PROJECT / "data" / "nycflights13_2013.parquet"
DBT = str(pathlib.Path(sys.executable).parent / "dbt")
# The SQL layer alone: the Python backtest marts need weeks of history,
# which the small fixtures do not have (they have their own tests).
SQL_LAYER = ["--exclude", "path:models/marts/experiments"]


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
) -> DbtRun:
    """Run `dbt <command>` in project_dir, writing only under workdir."""
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "warehouse.duckdb"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(project_dir),
        "MODEL_DRIFT_DUCKDB_PATH": str(database),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    args = [DBT, *command, "--no-use-colors", "--log-path", str(workdir / "logs")]
    if command[0] != "deps":
        args += ["--target-path", str(workdir / "target")]
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
    if not DEMO_PARQUET.exists():
        from model_drift.demo_data import write_demo_parquet

        write_demo_parquet(DEMO_PARQUET)
    workdir = tmp_path_factory.mktemp("demo")
    deps = run_dbt(["deps"], workdir, project_dir=DEMO_PROJECT)
    assert deps.ok, deps.output
    build = run_dbt(["build"], workdir, project_dir=DEMO_PROJECT)
    assert build.ok, build.output
    return build

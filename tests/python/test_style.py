"""The house style, checked: ruff on every Python file ([tool.ruff] in
pyproject.toml) and sqlfluff on every SQL model (.sqlfluff, dbt templater,
DuckDB dialect). A failure prints what the linter found, file by file.

Not `ruff format --check`: the code wraps long calls with hanging, aligned
continuation lines, which the formatter would rewrite in nearly every file.
"""

from __future__ import annotations

import configparser
import json
import os
import pathlib
import subprocess
import sys

import pytest

from conftest import REPO, SQL_LAYER, run_dbt

BIN = pathlib.Path(sys.executable).parent


def _run(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)


def test_python_follows_ruff():
    done = _run([str(BIN / "ruff"), "check", "--no-cache", "--output-format", "concise", "."])
    assert done.returncode == 0, "ruff check found ([*]: `ruff check --fix` fixes it):\n" + done.stdout + done.stderr


def _lint_vars() -> dict:
    """The vars .sqlfluff compiles the models with, typed as sqlfluff types them."""
    config = configparser.ConfigParser()
    config.read(REPO / ".sqlfluff")

    def typed(value: str):
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
        return value

    return {key: typed(value) for key, value in config["sqlfluff:templater:dbt:context"].items()}


@pytest.fixture(scope="module")
def lint_warehouse(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """The SQL layer built with the lint vars: the dbt templater compiles the
    models against it (they read the input and their upstream tables while compiling)."""
    workdir = tmp_path_factory.mktemp("style")
    run = run_dbt(["run", *SQL_LAYER], workdir / "dbt", dbt_vars=_lint_vars())
    assert run.ok, run.output[-6000:]
    return run.database


def test_sql_models_follow_sqlfluff(lint_warehouse: pathlib.Path):
    workdir = lint_warehouse.parent
    env = {
        **os.environ,
        "MODEL_DRIFT_DUCKDB_PATH": str(lint_warehouse),
        "DBT_TARGET_PATH": str(workdir / "lint_target"),
        "DBT_LOG_PATH": str(workdir / "lint_logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    done = _run([str(BIN / "sqlfluff"), "lint", "models", "--format", "json", "--nofail", "--processes", "2"], env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    results = json.loads(done.stdout)
    linted = {pathlib.Path(result["filepath"]).as_posix() for result in results}
    models = {path.relative_to(REPO).as_posix() for path in (REPO / "models").rglob("*.sql")}
    assert linted == models, f"not linted: {sorted(models - linted)}\n{done.stderr[-6000:]}"
    found = [
        f"{result['filepath']}:{v['start_line_no']}:{v['start_line_pos']}: {v['code']} {v['description']}"
        for result in results
        for v in result["violations"]
    ]
    assert not found, "sqlfluff lint found (fix with `sqlfluff fix`, or by hand):\n" + "\n".join(found)

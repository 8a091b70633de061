"""The SQL layer on PostgreSQL and Apache Spark gives DuckDB's numbers.

The integration project (integration_tests/, which installs the package as
a user would) is seeded and built on each engine: every SQL model and every
dbt test of the SQL layer must pass there, and every row of every public SQL
mart must equal the DuckDB build's, row by row: counts, text, booleans and
timestamps exactly, floats to FLOAT_RTOL relative (FLOAT_ATOL absolute near
zero). The servers are started here, on 127.0.0.1 only: a private
PostgreSQL cluster in a temporary folder, and Spark in-process in dbt
(dbt-spark's session method) with its metastore and warehouse in a
temporary folder. A missing engine fails with what to install; it is never
skipped (scripts/test.sh installs both).
"""

from __future__ import annotations

import math
import os
import pathlib
import shutil
import time

import duckdb
import pandas as pd
import pytest

from conftest import BUILD_AFTER_SEED, INSTALLED_SQL_LAYER, INTEGRATION_SCHEMA, SQL_MARTS, DbtRun, run_integration

# Every engine computes in IEEE doubles, but sums and window sums may add in
# a different order across parallel partitions, and exp/ln/sqrt may differ
# in the last bit; 1e-9 relative is far above that noise and far below any
# real difference. Near zero (e.g. a KS p-value of 1e-300, a trend of 0)
# relative error is meaningless, hence the absolute floor.
FLOAT_RTOL = 1e-9
FLOAT_ATOL = 1e-12


def _read_postgres(env: dict, name: str) -> pd.DataFrame:
    import psycopg2

    with psycopg2.connect(host="127.0.0.1", port=int(env["MODEL_DRIFT_PG_PORT"]), user="model_drift",
                          password=env["MODEL_DRIFT_PG_PASSWORD"], dbname="model_drift") as connection:
        cursor = connection.cursor()
        cursor.execute(f"select * from {INTEGRATION_SCHEMA}.{name}")
        columns = [d.name for d in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns)


# --- Spark: in-process, state in a temporary folder --------------------------

def _spark_env(root: pathlib.Path) -> dict:
    try:
        import dbt.adapters.spark  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail(
            "dbt-spark[session] (pyspark) is not installed: the engine matrix needs it. "
            "`bash scripts/test.sh` installs it (the postgres and spark extras in pyproject.toml)",
            pytrace=False,
        )
    if shutil.which("java") is None:
        pytest.fail("Spark needs a Java runtime (17): none found on PATH", pytrace=False)
    return {"MODEL_DRIFT_SPARK_DIR": str(root), "SPARK_LOCAL_IP": "127.0.0.1"}


def _read_spark_tables(env: dict, names) -> dict[str, pd.DataFrame]:
    """All marts through one Spark session on the metastore dbt wrote (dbt has exited)."""
    from pyspark.sql import SparkSession

    root = env["MODEL_DRIFT_SPARK_DIR"]
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    spark = (
        SparkSession.builder.master("local[2]").enableHiveSupport()
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false").config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", f"{root}/spark-warehouse")
        .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                f"jdbc:derby:;databaseName={root}/metastore_db;create=true")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={root}")
        .getOrCreate()
    )
    try:
        frames = {}
        for name in names:
            rows = spark.table(f"{INTEGRATION_SCHEMA}.{name}").collect()
            columns = spark.table(f"{INTEGRATION_SCHEMA}.{name}").columns
            frames[name] = pd.DataFrame([r.asDict() for r in rows], columns=columns)
        return frames
    finally:
        spark.stop()


# --- builds ------------------------------------------------------------------

# The backtest's input (a view the SQL layer builds) with a cap below nearly
# every period's rows, so each engine's hash sample is exercised; the marts
# compared do not read it.
BACKTEST_INPUT = "int_model_drift__backtest_input"
SAMPLE_CAP = 10
SAMPLE_VARS = ["--vars", f"{{model_drift_backtest_max_rows_per_period: {SAMPLE_CAP}}}"]
READ = [*SQL_MARTS, BACKTEST_INPUT]


def _build(workdir: pathlib.Path, target: str, env: dict) -> DbtRun:
    for command in (["deps"], ["seed"], [*BUILD_AFTER_SEED, *INSTALLED_SQL_LAYER, *SAMPLE_VARS]):
        started = time.monotonic()
        run = run_integration(command, workdir, target, env)
        assert run.ok, f"dbt {command[0]} --target {target} failed:\n{run.output[-20000:]}"
        print(f"{target}: dbt {command[0]} {time.monotonic() - started:.1f} s")
    return run


@pytest.fixture(scope="module")
def duckdb_marts(tmp_path_factory) -> dict[str, pd.DataFrame]:
    """The reference: the same project and selection on DuckDB."""
    run = _build(tmp_path_factory.mktemp("engines_duckdb"), "duckdb", {})
    with duckdb.connect(str(run.database), read_only=True) as connection:
        return {name: connection.sql(f"select * from {INTEGRATION_SCHEMA}.{name}").df() for name in READ}


@pytest.fixture(scope="module")
def postgres_build(postgres_server, tmp_path_factory):
    run = _build(tmp_path_factory.mktemp("engines_postgres"), "postgres", postgres_server)
    return run, {name: _read_postgres(postgres_server, name) for name in READ}


@pytest.fixture(scope="module")
def spark_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("engines_spark")
    env = _spark_env(root)
    run = _build(root, "spark", env)
    return run, _read_spark_tables(env, READ)


# --- comparison --------------------------------------------------------------

def _normalise(value):
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return _normalise(value.item())
    if type(value).__name__ == "Decimal":
        return float(value)
    if hasattr(value, "isoformat") and getattr(value, "tzinfo", None) is not None:
        return value.replace(tzinfo=None)
    return value


def _rows(frame: pd.DataFrame, keys: list[str]) -> list[dict]:
    records = [{k: _normalise(v) for k, v in record.items()} for record in frame.to_dict("records")]
    return sorted(records, key=lambda r: tuple((r[k] is None, "" if r[k] is None else str(r[k])) for k in keys))


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b) and type(a) is type(b)
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=FLOAT_RTOL, abs_tol=FLOAT_ATOL)
    return a == b


def compare_marts(reference: dict[str, pd.DataFrame], other: dict[str, pd.DataFrame], engine: str) -> None:
    problems = []
    for name, keys in SQL_MARTS.items():
        want, got = reference[name], other[name]
        if list(got.columns) != list(want.columns):
            problems.append(f"{name}: columns {list(got.columns)} on {engine}, {list(want.columns)} on duckdb")
            continue
        if len(got) != len(want):
            problems.append(f"{name}: {len(got)} rows on {engine}, {len(want)} on duckdb")
            continue
        assert len(want) > 0, f"{name} is empty on duckdb: the fixture does not exercise it"
        for want_row, got_row in zip(_rows(want, keys), _rows(other[name], keys)):
            bad = [c for c in want.columns if not _same(want_row[c], got_row[c])]
            if bad:
                key = {k: want_row[k] for k in keys}
                problems.append(f"{name} {key}: " + "; ".join(
                    f"{c}: duckdb {want_row[c]!r}, {engine} {got_row[c]!r}" for c in bad))
    assert not problems, f"{len(problems)} differences, first 20:\n" + "\n".join(problems[:20])


NOTICE = "model_drift: the backtest and recommendation models are dbt Python models; {} cannot run them here"


def test_postgres_builds_the_sql_layer_with_duckdbs_numbers(duckdb_marts, postgres_build):
    run, marts = postgres_build
    assert "ERROR=0" in run.output
    assert NOTICE.format("postgres") in run.output
    compare_marts(duckdb_marts, marts, "postgres")


def test_spark_builds_the_sql_layer_with_duckdbs_numbers(duckdb_marts, spark_build):
    run, marts = spark_build
    assert "ERROR=0" in run.output
    assert NOTICE.format("spark") in run.output
    compare_marts(duckdb_marts, marts, "spark")


def check_sample(reference: dict[str, pd.DataFrame], other: dict[str, pd.DataFrame], engine: str) -> None:
    """Each engine hashes with its own function, so the rows kept differ; what
    must hold on each: the period sizes are DuckDB's, a period within the cap
    keeps every row, and the others (nearly all here) keep about the cap, a
    Bernoulli sample of rate cap / rows whose total is within 4.5 standard
    deviations of its mean."""
    def per_period(frame):
        grouped = frame.groupby(frame["period_start"].map(_normalise))["period_row_count"]
        return pd.DataFrame({"rows": grouped.first().astype(int), "kept": grouped.size()})

    want, got = per_period(reference[BACKTEST_INPUT]), per_period(other[BACKTEST_INPUT])
    assert list(got["rows"].items()) == list(want["rows"].items()), f"{engine}: other period sizes than duckdb"
    sampled = got["rows"] > SAMPLE_CAP
    assert sampled.mean() > 0.9, "the fixture no longer exercises the sample: lower SAMPLE_CAP"
    assert (got["kept"][~sampled] == got["rows"][~sampled]).all(), f"{engine}: a small period lost rows"
    rows, kept = got["rows"][sampled], got["kept"][sampled]
    share = SAMPLE_CAP / rows
    mean, spread = (rows * share).sum(), 4.5 * math.sqrt((rows * share * (1 - share)).sum())
    assert abs(kept.sum() - mean) <= spread, (engine, kept.sum(), mean, spread)
    assert (kept <= rows).all()


def test_every_engine_samples_the_backtest_input_alike(duckdb_marts, postgres_build, spark_build):
    check_sample(duckdb_marts, duckdb_marts, "duckdb")
    for engine, (_, marts) in (("postgres", postgres_build), ("spark", spark_build)):
        check_sample(duckdb_marts, marts, engine)

"""model_drift.frames.to_pandas: what dbt.ref returns on each engine, as
pandas. DuckDB is a real relation; Snowpark, PySpark and BigQuery DataFrames
are stand-ins with the one method each engine's frame has (those engines
are not run here)."""

from __future__ import annotations

import pathlib
import re

import duckdb
import pandas as pd
import pytest

from model_drift import UserError
from model_drift.frames import to_pandas

REPO = pathlib.Path(__file__).resolve().parents[2]
PYTHON_MARTS = sorted((REPO / "models").glob("marts/*/*.py"))
EXPECTED = pd.DataFrame({"period_start": pd.to_datetime(["2024-01-01", "2024-01-02"]), "metric_value": [0.7, None]})


class SnowparkDataFrame:
    """snowflake.snowpark.DataFrame: to_pandas() (it also has toPandas as an alias)."""

    def to_pandas(self) -> pd.DataFrame:
        return EXPECTED.copy()

    toPandas = to_pandas  # noqa: N815 - Snowpark's own spelling


class PySparkDataFrame:
    """pyspark.sql.DataFrame (Databricks; BigQuery on Dataproc): toPandas() only."""

    def toPandas(self) -> pd.DataFrame:  # noqa: N802 - PySpark's own spelling
        return EXPECTED.copy()


class BigFramesDataFrame:
    """bigframes.pandas.DataFrame (BigQuery DataFrames): to_pandas() only."""

    def to_pandas(self) -> pd.DataFrame:
        return EXPECTED.copy()


class Unknown:
    """A frame from an engine the package does not know; its `df` is not a method."""

    df = "not a method"

    def collect(self) -> list:
        return []


@pytest.mark.parametrize("frame", [SnowparkDataFrame(), PySparkDataFrame(), BigFramesDataFrame()],
                         ids=["snowpark", "pyspark", "bigframes"])
def test_each_engines_frame_becomes_pandas(frame):
    pd.testing.assert_frame_equal(to_pandas(frame), EXPECTED)


def test_a_duckdb_relation_becomes_pandas():
    with duckdb.connect() as connection:
        connection.register("expected", EXPECTED)
        relation = connection.sql("select * from expected order by period_start")
        got = to_pandas(relation)
    assert isinstance(got, pd.DataFrame)
    assert list(got.columns) == ["period_start", "metric_value"]
    assert got["metric_value"].iloc[0] == 0.7 and pd.isna(got["metric_value"].iloc[1])
    assert (got["period_start"] == EXPECTED["period_start"]).all()


def test_a_pandas_frame_passes_through_unchanged():
    assert to_pandas(EXPECTED) is EXPECTED


def test_anything_else_is_one_clear_error():
    with pytest.raises(UserError, match=r"cannot read a test_frames\.Unknown as pandas.*DuckDB, Snowflake"):
        to_pandas(Unknown())
    with pytest.raises(UserError, match="cannot read a builtins.list"):
        to_pandas([1, 2])


def test_every_python_mart_converts_through_the_helper():
    assert len(PYTHON_MARTS) == 10
    for path in PYTHON_MARTS:
        code = path.read_text()
        assert ".df()" not in code, path.name
        refs = re.findall(r"dbt\.ref\(", code)
        converted = re.findall(r"to_pandas\(dbt\.ref\(", code)
        assert refs and len(refs) == len(converted), path.name
        assert 'read_settings(to_pandas(dbt.ref("model_drift__settings")))' in code, path.name

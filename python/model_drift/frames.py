"""What `dbt.ref(...)` returns in a dbt Python model, as pandas.

Each engine hands a Python model its own frame: a DuckDB relation
(dbt-duckdb), a Snowpark DataFrame (Snowflake), a PySpark DataFrame
(Databricks, and BigQuery on Dataproc) or a BigQuery DataFrames frame
(BigQuery with bigframes). The package's models convert through this one
function and never call an engine's method themselves.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from model_drift.errors import UserError

# method that turns a frame into pandas, by the engine that returns such frames;
# tried in this order (a DuckDB relation also has other exports, e.g. .pl())
CONVERSIONS = (
    ("toPandas", "PySpark (Databricks, BigQuery on Dataproc)"),
    ("to_pandas", "Snowpark (Snowflake) or BigQuery DataFrames"),
    ("df", "DuckDB"),
)


def _is_duckdb_relation(relation: Any) -> bool:
    try:
        import duckdb
    except ImportError:  # not installed where this engine runs Python
        return False
    return isinstance(relation, duckdb.DuckDBPyRelation)


def to_pandas(relation: Any) -> pd.DataFrame:
    """`relation` (what `dbt.ref` or `dbt.source` returned) as a pandas DataFrame.

    A pandas DataFrame passes through unchanged. Anything else that none of
    the engines' conversions fits raises a ``UserError`` naming its type."""
    if isinstance(relation, pd.DataFrame):
        return relation
    if _is_duckdb_relation(relation):
        return relation.df()
    for method, _engine in CONVERSIONS:
        convert = getattr(relation, method, None)
        if callable(convert):
            frame = convert()
            if isinstance(frame, pd.DataFrame):
                return frame
    kind = f"{type(relation).__module__}.{type(relation).__qualname__}"
    known = "; ".join(f"{engine}: .{method}()" for method, engine in CONVERSIONS)
    raise UserError(
        f"model_drift cannot read a {kind} as pandas: its Python models run on DuckDB, Snowflake, "
        f"Databricks and BigQuery, whose dbt.ref() frames it converts ({known}); run them on one of those"
    )

"""The settings of a build, as the Python marts receive them.

Every model_drift_* var is validated once, by the dbt macro
``model_drift.settings()`` (macros/settings.sql), and written as one JSON
object to the one-row model ``model_drift__settings``. A Python mart reads
that row (``read_settings``), so it uses exactly the values the SQL marts
and the alerts use, and Python holds no default of its own: a key that is
missing is a bug, not a fallback.

Keys are the var names without the ``model_drift_`` prefix
(``backtest_cutoffs`` is var model_drift_backtest_cutoffs); column roles are
under ``roles``.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from model_drift.errors import UserError

SETTINGS_MODEL = "model_drift__settings"


def read_settings(frame: pd.DataFrame) -> dict[str, Any]:
    """The settings in ``model_drift__settings`` (as pandas, see
    ``model_drift.frames.to_pandas``). Column names match case-insensitively
    (Snowflake returns them upper-case)."""
    columns = {str(c).lower(): c for c in frame.columns}
    if "settings_json" not in columns or len(frame) != 1:
        raise UserError(
            f"{SETTINGS_MODEL} should hold one row with column settings_json; it has {len(frame)} rows and "
            f"columns {list(frame.columns)}: rebuild it with `dbt build --select {SETTINGS_MODEL}+`"
        )
    settings = json.loads(frame[columns["settings_json"]].iloc[0])
    if not isinstance(settings, dict):
        raise UserError(f"{SETTINGS_MODEL}.settings_json is not a JSON object: rebuild it with "
                        f"`dbt build --select {SETTINGS_MODEL}+`")
    return settings

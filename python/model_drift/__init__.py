"""model_drift: the pure-Python side of the model_drift dbt package.

No dbt import lives here: dbt Python models call these functions, and so can a
notebook or a test.
"""

from model_drift.errors import UserError

__version__ = "0.1.0"

__all__ = ["UserError", "__version__"]

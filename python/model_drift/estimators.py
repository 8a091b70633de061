"""Estimators the backtest engine can fit, by name or as a user's factory.

Every estimator receives a DataFrame of floats: number features as they are
(NaN when missing), category features as integer codes (NaN when missing;
see ``backtest.encode_features``). A factory is any callable
``factory(task, categorical, numeric, seed)`` returning an unfitted
scikit-learn compatible estimator for such a frame; name yours in var
model_drift_estimator as ``"package.module:function"``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from model_drift.errors import UserError

Factory = Callable[[str, Sequence[str], Sequence[str], int], object]


def hist_gradient_boosting(task: str, categorical: Sequence[str], numeric: Sequence[str], seed: int) -> object:
    """The default: fast, and handles missing values and categories natively."""
    options = dict(
        categorical_features=list(categorical) or None,
        random_state=seed,
        max_iter=100,
        early_stopping=False,
    )
    if task == "regression":
        return HistGradientBoostingRegressor(**options)
    return HistGradientBoostingClassifier(**options)


def linear(task: str, categorical: Sequence[str], numeric: Sequence[str], seed: int) -> object:
    """Logistic regression (classification) or ridge regression, on one-hot categories and scaled numbers."""
    features = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(categorical)),
            ("numeric", Pipeline([
                ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                ("scale", StandardScaler()),
            ]), list(numeric)),
        ]
    )
    model = Ridge(alpha=1.0) if task == "regression" else LogisticRegression(max_iter=1000, random_state=seed)
    return Pipeline([("features", features), ("model", model)])


def random_forest(task: str, categorical: Sequence[str], numeric: Sequence[str], seed: int) -> object:
    """A random forest on category codes and median-imputed numbers (missing codes become -1)."""
    features = ColumnTransformer(
        [
            ("categorical", SimpleImputer(strategy="constant", fill_value=-1, keep_empty_features=True),
             list(categorical)),
            ("numeric", SimpleImputer(strategy="median", keep_empty_features=True), list(numeric)),
        ]
    )
    options = dict(n_estimators=100, min_samples_leaf=5, random_state=seed, n_jobs=1)
    model = RandomForestRegressor(**options) if task == "regression" else RandomForestClassifier(**options)
    return Pipeline([("features", features), ("model", model)])


NAMED: dict[str, Factory] = {
    "hist_gradient_boosting": hist_gradient_boosting,
    "linear": linear,
    "random_forest": random_forest,
}


def resolve_estimator(name: str) -> Factory:
    """A named estimator, or a user's factory given as 'package.module:function'."""
    if name in NAMED:
        return NAMED[name]
    if ":" not in name:
        raise UserError(
            f"var model_drift_estimator is '{name}'; use one of {', '.join(NAMED)}, "
            "or your own factory as 'package.module:function'"
        )
    module_name, _, attribute = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise UserError(
            f"var model_drift_estimator is '{name}', but module '{module_name}' cannot be imported "
            f"({error}); install it where dbt runs Python models, or fix the path"
        ) from None
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise UserError(f"var model_drift_estimator is '{name}', but '{attribute}' is not a function in {module_name}; "
                        "name a function factory(task, categorical, numeric, seed)")
    return factory

"""The one error class for problems a user can fix: a var, a column, too
little data. Its message names the var or column and a fix that works when
followed.

dbt-duckdb reports a failed Python model as "Python model failed:" followed
by ``traceback.format_exception(error)``: fifteen lines of frames inside the
package before the one line that matters. A ``UserError`` shows no frames
there, so the build log reads

    Python model failed:
    model_drift.UserError: var model_drift_metric is 'roc_auc', ...

The traceback is still recorded (``sys.exc_info()``, pytest, ``logging``
and debuggers see it); only code that reads the ``__traceback__`` attribute,
as ``traceback.format_exception`` does, is told there is none. Raised while
another exception is handled, that one is not shown either (an explicit
``raise ... from error`` still is). A bug (any other exception) keeps its
full traceback.
"""

from __future__ import annotations


class UserError(ValueError):
    """A problem with the user's settings or data, worded as the fix."""

    @property
    def __traceback__(self):  # shadows BaseException.__traceback__ on purpose
        return None

    @__traceback__.setter
    def __traceback__(self, value) -> None:
        BaseException.__traceback__.__set__(self, value)

    @property
    def __suppress_context__(self) -> bool:  # raised while handling another error: that one is not the news
        return True

    @__suppress_context__.setter
    def __suppress_context__(self, value: bool) -> None:
        pass


# Printed as "model_drift.UserError: <message>", and pickled by that name
# (model_drift/__init__.py exports it), e.g. back from a parallel worker.
UserError.__module__ = "model_drift"

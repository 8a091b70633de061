"""NannyML contender: realized performance and univariate drift, chunked by day.

Runs in its own virtual environment (benchmarks/.venvs/nannyml, made by
run.py). Usage: `python run_nannyml.py DATA.parquet [--out RESULTS.parquet]`.

- realized performance: PerformanceCalculator, problem_type
  classification_binary, metrics roc_auc, f1, accuracy, precision, recall,
  y_pred = prediction >= 0.5, fitted on the reference (the first 28 days,
  labelled rows) and calculated on every day (unlabelled rows are ignored by
  NannyML);
- drift: UnivariateDriftCalculator on the 7 features with its default
  methods (Jensen-Shannon for continuous and categorical columns), cat_1 and
  cat_2 treated as categorical, same reference.

Prints `BENCH_PHASE name seconds` as each phase ends, then one line
`BENCH_PHASES {json}`; the phases:
import, load (read the parquet, derive columns), quality, drift.
"""

from __future__ import annotations

import json
import os
import time

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")  # no usage telemetry
started = time.perf_counter()

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import nannyml as nml  # noqa: E402
import pandas as pd  # noqa: E402

# the shared definitions beside this script (numpy only, so every environment has them)
from metrics import CATEGORICAL, FEATURES, REFERENCE_DAYS, contender_arguments, report_phase  # noqa: E402


def main() -> None:
    args = contender_arguments()
    phases = {"import": time.perf_counter() - started}
    report_phase(phases, "import")

    t = time.perf_counter()
    frame = pd.read_parquet(args.data, columns=["event_at", "target", "prediction", *FEATURES])
    frame["y_pred"] = (frame["prediction"] >= 0.5).astype("int64")
    frame["target"] = frame["target"].astype("float64")  # NaN while unlabelled
    for column in CATEGORICAL:
        frame[column] = frame[column].astype("object")
    cutoff = frame["event_at"].min().normalize() + pd.Timedelta(days=REFERENCE_DAYS)
    reference = frame[frame["event_at"] < cutoff]
    phases["load"] = time.perf_counter() - t
    report_phase(phases, "load")

    t = time.perf_counter()
    performance = nml.PerformanceCalculator(
        y_pred_proba="prediction",
        y_pred="y_pred",
        y_true="target",
        timestamp_column_name="event_at",
        problem_type="classification_binary",
        metrics=["roc_auc", "f1", "accuracy", "precision", "recall"],
        chunk_period="D",
    )
    performance.fit(reference[reference["target"].notna()])
    performance_result = performance.calculate(frame).to_df()
    phases["quality"] = time.perf_counter() - t
    report_phase(phases, "quality")

    t = time.perf_counter()
    drift = nml.UnivariateDriftCalculator(
        column_names=FEATURES,
        treat_as_categorical=CATEGORICAL,
        timestamp_column_name="event_at",
        chunk_period="D",
    )
    drift.fit(reference)
    drift_result = drift.calculate(frame).to_df()
    phases["drift"] = time.perf_counter() - t
    report_phase(phases, "drift")

    if args.out:
        performance_result.to_pickle(args.out + ".performance.pkl")
        drift_result.to_pickle(args.out + ".drift.pkl")
    print("BENCH_PHASES " + json.dumps({
        "phases": phases,
        "periods": int(len(performance_result)),
        "versions": {"nannyml": nml.__version__, "pandas": pd.__version__},
    }))


if __name__ == "__main__":
    main()

"""Evidently contender: one classification report and one drift report per day.

Runs in its own virtual environment (benchmarks/.venvs/evidently, made by
run.py). Usage: `python run_evidently.py DATA.parquet [--out RESULTS.json]`.

Per day:
- quality: a Report with ClassificationPreset(probas_threshold=0.5) on the
  day's labelled rows (target = target, prediction_probas = prediction,
  pos_label = 1), no reference (per-period quality does not need one, and a
  reference would make Evidently recompute the reference's quality in every
  daily report);
- drift: a Report with DataDriftPreset on the 7 features (5 numerical, 2
  categorical) with the reference = the first 28 days, Evidently's default
  test per column.

The two presets run as two reports so that quality and drift are timed
apart; one report holding both presets does the same work.

Prints `BENCH_PHASE name seconds` as each phase ends, then one line
`BENCH_PHASES {json}`; the phases:
import, load (read the parquet, build the reference dataset), quality, drift.
"""

from __future__ import annotations

import json
import os
import time

os.environ.setdefault("DO_NOT_TRACK", "1")  # no usage telemetry
os.environ.setdefault("EVIDENTLY_DISABLE_TELEMETRY", "1")
started = time.perf_counter()

import warnings  # noqa: E402

warnings.filterwarnings("ignore")

import evidently  # noqa: E402
import pandas as pd  # noqa: E402
from evidently import BinaryClassification, DataDefinition, Dataset, Report  # noqa: E402
from evidently.presets import ClassificationPreset, DataDriftPreset  # noqa: E402

# the shared definitions beside this script (numpy only, so every environment has them)
from metrics import CATEGORICAL, FEATURES, NUMERIC, REFERENCE_DAYS, contender_arguments, report_phase  # noqa: E402


def main() -> None:
    args = contender_arguments()
    phases = {"import": time.perf_counter() - started}
    report_phase(phases, "import")

    t = time.perf_counter()
    frame = pd.read_parquet(args.data, columns=["event_at", "target", "prediction", *FEATURES])
    frame["day"] = frame["event_at"].dt.floor("D")
    first_day = frame["day"].min()
    drift_definition = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    reference = Dataset.from_pandas(
        frame.loc[frame["day"] < first_day + pd.Timedelta(days=REFERENCE_DAYS), FEATURES],
        data_definition=drift_definition,
    )
    quality_definition = DataDefinition(
        numerical_columns=["prediction"],
        classification=[BinaryClassification(target="target", prediction_probas="prediction", pos_label=1)],
    )
    days = list(frame.groupby("day", sort=True))
    phases["load"] = time.perf_counter() - t
    report_phase(phases, "load")

    quality, drift = {}, {}
    t = time.perf_counter()
    for day, rows in days:
        labelled = rows.loc[rows["target"].notna(), ["target", "prediction"]].astype({"target": "int64"})
        snapshot = Report([ClassificationPreset(probas_threshold=0.5)]).run(
            current_data=Dataset.from_pandas(labelled, data_definition=quality_definition),
            reference_data=None,
        )
        quality[str(day.date())] = snapshot.dict()
    phases["quality"] = time.perf_counter() - t
    report_phase(phases, "quality")

    t = time.perf_counter()
    for day, rows in days:
        snapshot = Report([DataDriftPreset(columns=FEATURES)]).run(
            current_data=Dataset.from_pandas(rows[FEATURES], data_definition=drift_definition),
            reference_data=reference,
        )
        drift[str(day.date())] = snapshot.dict()
    phases["drift"] = time.perf_counter() - t
    report_phase(phases, "drift")

    if args.out:
        with open(args.out, "w") as handle:
            json.dump({"quality": quality, "drift": drift}, handle, default=str)
    print("BENCH_PHASES " + json.dumps({
        "phases": phases,
        "periods": len(days),
        "versions": {"evidently": evidently.__version__, "pandas": pd.__version__},
    }))


if __name__ == "__main__":
    main()

"""Writes the integration project's seeds (run from anywhere; deterministic).

scored_events.csv: a small binary-classification log, 70 days of roughly 24
scored events a day, with what a real log has: a day with no rows, labels
that arrive hours to days later (some never, one before its event), a
duplicate id, null segment and feature values, a numeric feature that drifts,
a categorical feature whose mix shifts, and a second model version whose
quality decays. Event times are instants written in UTC (a time-zone-aware
column); label and training times are naive New York wall-clock times, as
another system might write them, so with model_drift_timezone
America/New_York both conversions run, across the March DST change.
model_versions.csv: when each version was trained.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent / "seeds"
START = dt.datetime(2024, 3, 1)
DAYS = 70
GAP_DAY = 23


def main() -> None:
    rng = np.random.default_rng(20240301)
    rows = []
    key = 0
    for day in range(DAYS):
        if day == GAP_DAY:
            continue
        for _ in range(int(rng.integers(16, 33))):
            key += 1
            event_at = START + dt.timedelta(days=day, minutes=int(rng.integers(0, 24 * 60)))
            region = str(rng.choice(["north", "south", "east"], p=[0.5, 0.3, 0.2]))
            channel_p = [0.6 - 0.4 * day / DAYS, 0.3, 0.1 + 0.4 * day / DAYS]
            channel = str(rng.choice(["web", "app", "phone"], p=channel_p))
            amount = round(float(rng.gamma(2.0, 20.0 + day * 0.5)), 2)
            n_items = int(rng.integers(1, 9))
            logit = -1.0 + 0.02 * amount - 0.3 * n_items + (0.8 if channel == "phone" else 0.0)
            outcome = int(rng.random() < 1 / (1 + math.exp(-logit)))
            version = "v1" if day < 35 else "v2"
            age = day if version == "v1" else day - 35
            noise = rng.normal(0, 0.6 + 0.04 * age)
            score = round(1 / (1 + math.exp(-(logit + noise))), 6)
            delay_minutes = int(rng.gamma(1.5, 240.0)) + 1
            labelled_at = event_at + dt.timedelta(minutes=delay_minutes)
            label_kind = rng.random()
            if label_kind < 0.08:  # never labelled
                outcome_text, labelled_text = "", ""
            elif label_kind < 0.10:  # target without a label time
                outcome_text, labelled_text = str(outcome), ""
            else:
                outcome_text, labelled_text = str(outcome), f"{labelled_at:%Y-%m-%d %H:%M:%S}"
            rows.append({
                "row_key": key,
                "event_at": f"{event_at:%Y-%m-%d %H:%M:%S}+00:00",
                "labelled_at": labelled_text,
                "outcome": outcome_text,
                "score": f"{score:.6f}",
                "model_version": version,
                "region": "" if rng.random() < 0.03 else region,
                "channel": channel,
                "amount": "" if rng.random() < 0.05 else f"{amount:.2f}",
                "n_items": n_items,
            })
    rows.sort(key=lambda r: (r["event_at"], r["row_key"]))
    rows[10]["labelled_at"] = "2024-02-28 00:00:00"  # a label before its event
    rows.append({**rows[40], "labelled_at": ""})  # a duplicate id, without its label time
    HERE.mkdir(exist_ok=True)
    with open(HERE / "scored_events.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with open(HERE / "model_versions.csv", "w", newline="") as handle:
        handle.write("model_version,trained_at\nv1,2024-02-29 18:00:00\nv2,2024-04-04 22:30:00\n")


if __name__ == "__main__":
    main()

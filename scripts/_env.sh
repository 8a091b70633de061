# Sourced by the other scripts: makes .venv (Python 3.11) once, installs
# model_drift with its pinned dependencies into it, and activates it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

find_python() {
    for candidate in "${MODEL_DRIFT_PYTHON:-}" python3.11 python3 python; do
        if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$candidate"; return 0
        fi
    done
    echo "model_drift needs Python 3.11 (set MODEL_DRIFT_PYTHON to its path)" >&2
    return 1
}

if [ ! -x .venv/bin/python ]; then
    "$(find_python)" -m venv .venv
fi
# shellcheck disable=SC1091
. .venv/bin/activate
# MODEL_DRIFT_EXTRAS: the optional dependencies to add (scripts/test.sh adds
# the postgres and spark adapters for the engine matrix).
python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[${MODEL_DRIFT_EXTRAS:-test}]"

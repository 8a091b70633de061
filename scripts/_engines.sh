# Sourced by scripts/test.sh: the engine matrix (tests/python/test_engines.py)
# needs PostgreSQL's server programs and a Java runtime for Spark. Installs
# them with apt when missing (CI runs on a fresh machine as root); the
# adapters come from pyproject.toml's postgres and spark extras (_env.sh).
# No server is started here: the tests start their own on 127.0.0.1 and
# stop them.
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then as_root=""; elif command -v sudo >/dev/null 2>&1; then as_root="sudo"; else
        echo "the engine tests need ${missing[*]}: apt-get install ${missing[*]} (as root)" >&2
        return 1
    fi
    echo "installing ${missing[*]} (apt) for the engine tests" >&2
    $as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts a default cluster when it installs PostgreSQL; the tests run their own
    if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v pg_lsclusters >/dev/null 2>&1; then
        pg_lsclusters -h | while read -r version cluster _; do
            $as_root pg_ctlcluster "$version" "$cluster" stop 2>/dev/null || true
        done
    fi
fi
export SPARK_LOCAL_IP=127.0.0.1

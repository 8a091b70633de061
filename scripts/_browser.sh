# Sourced by scripts/test.sh: the report test opens the report in a real
# headless Chromium (/usr/bin/chromium, the Debian package). Installs it with
# apt when it is missing; does nothing when it is there.
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" = 0 ]; then as_root=""; elif command -v sudo >/dev/null 2>&1; then as_root="sudo"; else
        echo "the report test needs Chromium at /usr/bin/chromium: apt-get install chromium (as root)" >&2
        return 1
    fi
    echo "installing Chromium (apt) for the report test" >&2
    $as_root apt-get update -qq
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
fi

#!/usr/bin/env bash
# Installs crmcore with its test tools into ./.venv and runs every check CI runs:
# ruff, mypy --strict, the doctests in src/ and the whole pytest suite.
# Needs only python3.11 (or python3 >= 3.11) and the package registries.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev,spark]'

# Real servers, browsers and runtimes, from Debian, when missing: PostgreSQL (the tests
# start a throw-away cluster on a free loopback port), Chromium (the HTML reports' tests)
# and a headless Java runtime (the duplicate scan on Spark, in local mode).
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ [ -n "${JAVA_HOME:-}" ] || command -v java >/dev/null 2>&1; } || missing+=(openjdk-17-jre-headless)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing ${missing[*]} (Debian) for the tests"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "missing ${missing[*]}: install Debian's packages (the tests need them)" >&2
    fi
fi

echo "== ruff"
.venv/bin/ruff check src tests scripts
echo "== mypy --strict"
.venv/bin/mypy
echo "== pytest"
set +e
.venv/bin/python -m pytest -n auto --doctest-modules src tests "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure here" >&2
    exit 1
fi
exit "$status"

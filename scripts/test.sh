#!/usr/bin/env bash
# Install what the tests need (pip pins, and Debian's chromium for browser tests),
# then lint and run the whole suite. Used by README and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing chromium (Debian package) for the browser tests" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "chromium is missing and cannot be installed here: browser tests will be skipped" >&2
    fi
fi

python -m pip install -q --disable-pip-version-check -r requirements-test.txt
python -m ruff check .
python -m ruff format --check .
python -m pytest "$@"

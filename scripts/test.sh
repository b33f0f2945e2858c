#!/usr/bin/env bash
# Installs everything the test suite needs, then runs it: `bash scripts/test.sh [pytest args]`.
# System packages come from Debian's archive (headless Chromium renders the public report page);
# Python packages into .venv. Rasa's own venv is built on demand by its tests (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium renders the public report page; fonts-nanum draws Korean in charts and screenshots.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi nanum; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium and fonts-nanum for the page tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null
  else
    echo "chromium or fonts-nanum is missing and cannot be installed here (not root): page tests will fail" >&2
  fi
fi

python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
exec .venv/bin/pytest "$@"

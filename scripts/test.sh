#!/usr/bin/env bash
# Installs everything the test suite needs, then runs it: `bash scripts/test.sh [pytest args]`.
# System packages come from Debian's archive (headless Chromium renders the public report page);
# Python packages into .venv. Rasa's own venv is built on demand by its tests (see README).
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium renders the public report page and runs the web chat's browser tests; fonts-nanum draws Korean in
# charts and screenshots; npm installs axe-core for the accessibility test. Only what is missing is asked
# for (a machine whose Node.js came from elsewhere already has its own npm).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# grep reads to the end (no -q): under pipefail an early exit would fail fc-list with SIGPIPE.
fc-list 2>/dev/null | grep -i nanum >/dev/null || missing+=(fonts-nanum)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's ${missing[*]} for the page tests"
    apt-get update -qq
    # One at a time: a package apt cannot place (npm beside a Node.js from elsewhere: "held broken packages")
    # must not keep the others out; the tests that need a missing one fail and say so.
    for package in "${missing[@]}"; do
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null \
        || echo "apt-get could not install $package: the tests that need it will fail" >&2
    done
  else
    echo "${missing[*]} missing and cannot be installed here (not root): page tests will fail" >&2
  fi
fi

# axe-core (package.json) checks the web chat's panel for accessibility inside Chromium.
if command -v npm >/dev/null 2>&1; then
  npm ci --no-audit --no-fund --silent
else
  echo "npm is missing: the web chat's accessibility test will fail (apt-get install npm)" >&2
fi

python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
exec .venv/bin/pytest "$@"

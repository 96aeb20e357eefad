#!/usr/bin/env bash
# The whole test suite: lint, layering contracts, then pytest against real services.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

bash .ci/ensure-postgres.sh

# The kiosk's browser test drives Debian's chromium (Playwright cannot download its own here).
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Debian's chromium for the browser test" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || true
fi

echo "== ruff"
$BIN/ruff check .
$BIN/ruff format --check .
echo "== import contracts"
$BIN/lint-imports
echo "== pytest"
set +e
$BIN/python -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$status"

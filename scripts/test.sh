#!/usr/bin/env bash
# One command for the whole test suite on a fresh machine: sets up .venv with the test
# dependencies and LibreOffice (for recalculating formula workbooks), then runs pytest.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export XLWINGS_LICENSE_KEY=${XLWINGS_LICENSE_KEY:-noncommercial}
status=0
.venv/bin/python -m pytest -n 2 -p no:cacheprovider "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
fi
exit "$status"

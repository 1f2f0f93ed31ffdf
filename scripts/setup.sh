#!/usr/bin/env bash
# Sets up utilbill on a fresh machine: a virtual environment in .venv with the package and,
# with --dev, what the tests need (pytest, hypothesis, LibreOffice for formula recalculation).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
if [ "${1:-}" = "--dev" ]; then
  .venv/bin/python -m pip install --quiet -e '.[dev,server]'
  bash scripts/install-test-tools.sh
else
  .venv/bin/python -m pip install --quiet -e .
fi

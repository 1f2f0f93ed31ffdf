#!/usr/bin/env bash
# One command for a new user: set up utilbill in .venv and run the demo (a sample utility
# in ./demo-utility with 24 months of history, and one business day worked in it).
# Extra arguments go to 'utilbill demo' (e.g. --accounts 100000, --force).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/utilbill demo "$@"

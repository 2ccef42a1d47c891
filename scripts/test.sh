#!/usr/bin/env bash
# Run every check CI runs: install what is missing, then ruff, mypy and the test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -k asgi).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
echo "== ruff"; .venv/bin/ruff check .
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; .venv/bin/python -m pytest "$@"

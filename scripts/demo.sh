#!/usr/bin/env bash
# Run the demo stack locally, without Docker: the demo recruiting service and its job worker on
# PostgreSQL, Prometheus with the generated rules and the long-term stores, Alertmanager with
# the generated routing, the alert-history receiver, a mail sink and a traffic generator.
# Installs what is missing first (venv, Debian packages). Ctrl-C stops everything; data stays in
# .demo-data/. Options go to `python -m demo.stack` (-h lists them); ports: DEMO_PORT_* variables.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m demo.stack "$@"

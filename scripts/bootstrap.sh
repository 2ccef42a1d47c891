#!/usr/bin/env bash
# Make the project's virtual environment (.venv) and install everything the tests need:
# Debian packages first (only those missing), then Python packages into the venv.
# Safe to run again: it does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
# PostgreSQL server binaries (initdb, pg_ctl, postgres) for the database tests.
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    need_apt+=(postgresql)
fi
# Prometheus 2.42 (prometheus, promtool) and Alertmanager 0.25 (prometheus-alertmanager,
# amtool) for the rule, routing and end-to-end tests and the local stack. Installing them does
# not start them: the tests and scripts start their own on free ports.
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
command -v amtool >/dev/null 2>&1 || need_apt+=(prometheus-alertmanager)
# node_exporter 1.5 and postgres_exporter 0.11 for the exporter rules' tests and the local stack
# (started by the tests and demo/stack.py on free ports, never as system services).
command -v prometheus-node-exporter >/dev/null 2>&1 || need_apt+=(prometheus-node-exporter)
command -v prometheus-postgres-exporter >/dev/null 2>&1 || need_apt+=(prometheus-postgres-exporter)
# Redis, the broker of the Celery and arq tests (started by the tests on free ports).
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
# wrk, the load generator of the HTTP benchmark (bench/bench_http.py and its smoke test).
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "bootstrap: installing Debian packages: ${need_apt[*]}"
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
# Reinstall whenever pyproject.toml's content differs from what was last installed.
stamp=.venv/.signalpost-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    echo "$wanted" > "$stamp"
fi

#!/usr/bin/env bash
# Run the instrumented example app on http://127.0.0.1:8000 (Ctrl-C to stop).
# Telemetry goes to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set; without one,
# span and log export are off and everything else (metrics, JSON logs, request IDs) works.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if [ -z "${OTEL_EXPORTER_OTLP_ENDPOINT:-}" ]; then
    export OTEL_TRACES_EXPORTER="${OTEL_TRACES_EXPORTER:-none}"
    export OTEL_LOGS_EXPORTER="${OTEL_LOGS_EXPORTER:-none}"
fi
export OTEL_SERVICE_NAME="${OTEL_SERVICE_NAME:-signalpost-example}"
exec .venv/bin/uvicorn examples.app:app --host "${HOST:-127.0.0.1}" --port "${PORT:-8000}" "$@"

# The image of the compose stack's Python services: the demo API, its job worker, the alert
# history receiver, the recovery runner and the runbooks server. Build context: the repository
# root.
FROM python:3.11.10-slim
WORKDIR /srv
COPY pyproject.toml README.md ./
COPY signalpost ./signalpost
RUN pip install --no-cache-dir ".[postgres,resources]" "uvicorn>=0.30" "fastapi>=0.115" \
    "httpx>=0.28"
COPY demo ./demo
COPY alertmanager ./alertmanager
# The alert catalog and the demo's knobs: the recovery runner and its procedures read them.
COPY prometheus ./prometheus
COPY docs/runbooks ./docs/runbooks
USER nobody
EXPOSE 8000 8080 8088

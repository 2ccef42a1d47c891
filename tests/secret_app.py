"""The app served by real uvicorn in tests/test_no_secret_leaves.py: fails with every secret.

``GET /fail/{n}/{rest}`` raises a chained exception whose message and cause carry secret ``n``
of the fixture (with a traceback longer than any cap); ``POST /job/{n}`` runs a monitored job
whose parameters hold secret ``n`` and which fails the same way; ``GET /ok`` logs the secret
in prose and succeeds. Set up by ``signalpost.setup`` from the ``OTEL_*`` environment.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI

from signalpost.jobs import JobOptions, monitored_job
from signalpost.runtime import Runtime
from signalpost.sdk import setup
from tests.secrets_fixture import SECRETS

log = logging.getLogger("secret_app")
app = FastAPI()
telemetry = setup(app)


def filler(text: str) -> str:
    """A message far longer than any cap, the secret at its start, middle and end."""
    rows = "".join(f"row {n}: retrying upstream\n" for n in range(2500))
    return f"{text}\n{rows}{text}\n{rows}{text}"


def fail(n: int) -> None:
    secret = SECRETS[n]
    try:
        raise ConnectionError(f"cause: {secret.text}")
    except ConnectionError as cause:
        raise RuntimeError(f"sync failed: {filler(secret.text)}") from cause


@app.get("/ok")
async def ok(n: int = 0) -> dict[str, str]:
    secret = SECRETS[n]
    log.info("calling partner with %s", secret.text, extra={"config": {"note": secret.text}})
    return {"status": "ok"}


@app.get("/fail/{n}/{rest:path}")
async def failing(n: int, rest: str) -> None:
    fail(n)


@app.post("/job/{n}")
def job(n: int) -> dict[str, Any]:
    secret = SECRETS[n]
    params = {
        "note": secret.text,
        "api_key": secret.value,
        "nested": {"config": [{"dsn_or_text": secret.text}]},
    }
    try:
        with monitored_job(
            "sync",
            params=params,
            runtime=Runtime(scrubber=telemetry.error_reporter.scrubber),
            options=JobOptions(reporter=telemetry.error_reporter),
        ):
            fail(n)
    except RuntimeError:
        return {"job": "failed"}
    return {"job": "succeeded"}

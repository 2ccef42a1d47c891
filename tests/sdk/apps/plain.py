"""A small app for subprocess tests: ``uvicorn tests.sdk.apps.plain:app``."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from signalpost.sdk.setup import setup

app = FastAPI()
_log = logging.getLogger("plain.app")


@app.get("/work")
async def work() -> dict[str, str]:
    _log.info("did some work")
    return {"ok": "yes"}


setup(app)

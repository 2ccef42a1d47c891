"""An app whose schema check reads ``$SCHEMA_SPEC``: ``uvicorn tests.sdk.apps.schema_app:app``."""

from __future__ import annotations

import os

from fastapi import FastAPI

from signalpost.health import HealthMonitor, SchemaCheck

app = FastAPI()
monitor = HealthMonitor()
monitor.add(SchemaCheck(os.environ["SCHEMA_SPEC"], "host=unused"))

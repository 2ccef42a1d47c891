"""An app whose schema check reads ``$SCHEMA_SPEC``: ``uvicorn tests.exporters.apps.schema_app:app``."""

from __future__ import annotations

import os

from fastapi import FastAPI

from signalpost.instrumentation.health import HealthMonitor, SchemaCheck

app = FastAPI()
monitor = HealthMonitor()
monitor.add(SchemaCheck(os.environ["SCHEMA_SPEC"], "host=unused"))

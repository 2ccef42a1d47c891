"""The inventory API: item lookups, and a switch that makes them fail (a backend outage).

Served by uvicorn (``tests.e2e.other_app.api:app``) with ``OTEL_SERVICE_NAME=inventory``.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException

import signalpost

app = FastAPI(title="inventory")
_outage = {"on": False}


@app.get("/items/{item_id}")
async def get_item(item_id: int) -> dict[str, int]:
    """One item's stock; 503 while the outage switch is on."""
    if _outage["on"]:
        raise HTTPException(status_code=503, detail="inventory backend unavailable")
    return {"id": item_id, "stock": item_id % 7}


@app.put("/outage")
async def set_outage(on: bool) -> dict[str, bool]:
    """Switch the backend outage on or off."""
    _outage["on"] = on
    return {"on": on}


signalpost.setup(app)

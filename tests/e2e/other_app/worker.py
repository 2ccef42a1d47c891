"""The inventory worker: a ``restock`` job every 0.2 s, failing for good (bad supplier data)
while the file named by ``INVENTORY_FAULT_FILE`` exists.

Run with ``python -m tests.e2e.other_app.worker`` (``OTEL_SERVICE_NAME=inventory``, metrics on
``SIGNALPOST_METRICS_PORT``); stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import signalpost

FAULT = Path(os.environ.get("INVENTORY_FAULT_FILE", "/nonexistent/inventory-fault"))


async def _restock() -> int:
    if FAULT.exists():
        raise ValueError("supplier feed: malformed row")
    return 1


restock = signalpost.monitored_job("restock", retry=signalpost.RetryPolicy(max_attempts=1))(
    _restock
)


async def _serve() -> None:
    telemetry = signalpost.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        while not stop.is_set():
            try:
                await restock()
            except ValueError:
                pass  # recorded by the job wrapper; the next run tries again
            try:
                await asyncio.wait_for(stop.wait(), 0.2)
            except TimeoutError:
                pass
    finally:
        telemetry.shutdown()


if __name__ == "__main__":
    asyncio.run(_serve())

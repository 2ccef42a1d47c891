"""A job worker as users write one: ``setup()`` without an app, metrics on their own port.

Run as ``python -m tests.sdk.worker_app PORT``. It runs a few monitored jobs (one fails),
registers health checks (``WORKER_FAIL_CHECK=1`` adds a critical check that always fails) and
serves until SIGTERM, then shuts telemetry down.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading

from signalpost.health import CheckSettings, HealthMonitor, ResourcesCheck
from signalpost.jobs import monitored_job
from signalpost.sdk import setup


@monitored_job("report_export")
async def export_report(rows: int) -> int:
    if rows < 0:
        raise ValueError("rows must not be negative")
    await asyncio.sleep(0)
    return rows


async def run_jobs() -> None:
    await export_report(10)
    try:
        await export_report(-1)
    except ValueError:
        pass


def main(port: int) -> None:
    monitor = HealthMonitor()
    monitor.add(ResourcesCheck(settings=CheckSettings(interval=1.0), paths=["/"]))
    if os.environ.get("WORKER_FAIL_CHECK") == "1":

        @monitor.check("queue", interval=0.5)
        def queue() -> bool:
            return False

    telemetry = setup(
        overrides={"metrics": {"port": port, "address": "127.0.0.1"}}, health=monitor
    )
    asyncio.run(run_jobs())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("worker ready", flush=True)
    stop.wait()
    telemetry.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]))

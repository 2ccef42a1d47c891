"""Run in a process of its own with ``PROMETHEUS_MULTIPROC_DIR`` set (prometheus-client picks
multiprocess mode at import): a monitor whose ``cache`` check's task dies while ``queue`` keeps
running, as a gunicorn worker's would. The test reads the files it leaves."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry

from signalpost.health import FunctionCheck, HealthMonitor
from signalpost.runtime import Runtime
from tests.fake_clock import SteppedClock


async def ok() -> bool:
    return True


async def main() -> None:
    clock = SteppedClock()
    monitor = HealthMonitor(runtime=Runtime(registry=CollectorRegistry(), clock=clock))
    monitor.add(FunctionCheck("cache", ok, interval=10, timeout=1))
    monitor.add(FunctionCheck("queue", ok, interval=1, timeout=1))
    await monitor.start(wait=True)
    (task,) = [t for t in asyncio.all_tasks() if t.get_name() == "signalpost-health-cache"]
    task.cancel()  # the check's task dies; the other one goes on
    await asyncio.gather(task, return_exceptions=True)
    for _ in range(40):  # past 3 * 10 + 1 s: cache is stale
        await clock.step(1)
    assert monitor.report().component("cache").status.value == "unhealthy"
    await monitor.stop()


if __name__ == "__main__":
    asyncio.run(main())

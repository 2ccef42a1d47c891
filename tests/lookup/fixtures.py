"""The lookup and CLI tests' store: the receiver on a fresh database, fed the recorded
scenario (import the fixtures into a test module or conftest)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import postgres
from tests.lookup.recorded import Recorded, record
from tests.otlp_store import fresh_database, post_otlp, receiver

__all__ = ["recorded", "store"]


@pytest.fixture(scope="module")
def recorded() -> Recorded:
    return record()


@pytest.fixture(scope="module")
def store(
    recorded: Recorded, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Conninfo of a store holding the recorded scenario (sent through the real receiver)."""
    server = postgres.acquire()
    try:
        with fresh_database(server) as conninfo:
            log = tmp_path_factory.mktemp("receiver") / "receiver.log"
            with receiver(conninfo, Path(log)) as otlp:
                assert post_otlp(otlp.base_url, "/v1/traces", recorded.traces).status_code == 200
                assert post_otlp(otlp.base_url, "/v1/logs", recorded.logs).status_code == 200
            yield conninfo
    finally:
        postgres.release()

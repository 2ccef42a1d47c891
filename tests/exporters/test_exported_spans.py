"""What a fixed pair of requests exports over OTLP does not change (issue 25).

Performance work on the export path (encoding, scrubbing, attribute sets) must not change a
single exported name, kind, attribute, event, status or resource entry: the fixture holds
what the code exported before that work, recorded with ``python -m tests.exporters.exported_spans``.
"""

from __future__ import annotations

import json

from tests.exporters.exported_spans import FIXTURE, SECRETS, export_fixed_requests, normalised


def test_exported_spans_match_the_recorded_fixture() -> None:
    received = export_fixed_requests()
    raw = b"".join(request.SerializeToString() for request in received.traces)
    for secret in SECRETS:
        assert secret.encode() not in raw, secret
    assert normalised(received) == json.loads(FIXTURE.read_text())

"""What a fixed pair of requests exports over OTLP does not change (issue 25).

Performance work on the export path (encoding, scrubbing, attribute sets) must not change a
single exported name, kind, attribute, event, status or resource entry: the fixture holds
what the code exported before that work, recorded with ``python -m tests.sdk.exported_spans``.
"""

from __future__ import annotations

import json

from signalpost.semconv import attributes as attr
from tests.sdk.exported_spans import FIXTURE, SECRETS, export_fixed_requests, normalised


def test_exported_spans_match_the_recorded_fixture() -> None:
    # The fixture was recorded with the recommended attributes, the default until issue 25.
    received = export_fixed_requests({"SIGNALPOST_TRACING_RECOMMENDED_ATTRIBUTES": "true"})
    raw = b"".join(request.SerializeToString() for request in received.traces)
    for secret in SECRETS:
        assert secret.encode() not in raw, secret
    assert normalised(received) == json.loads(FIXTURE.read_text())


RECOMMENDED = {
    attr.NETWORK_PROTOCOL_VERSION,
    attr.SERVER_ADDRESS,
    attr.SERVER_PORT,
    attr.CLIENT_ADDRESS,
    attr.USER_AGENT_ORIGINAL,
}


def test_recommended_server_span_attributes_are_left_out_by_default() -> None:
    received = export_fixed_requests()
    expected = json.loads(FIXTURE.read_text())
    for scope in expected["scopes"]:
        for span in scope["spans"]:
            if span["kind"] == "SPAN_KIND_SERVER":
                kept = [kv for kv in span["attributes"] if kv["key"] not in RECOMMENDED]
                assert len(kept) == len(span["attributes"]) - len(RECOMMENDED)
                span["attributes"] = kept
    # Only those five attributes go: the required ones, events and status stay as they were.
    assert normalised(received) == expected

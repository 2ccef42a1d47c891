"""The SDK's OTLP/HTTP span exporter, encoding (and scrubbing) with Signalpost's encoder.

Same constructor, environment variables, retries, size limit and self-metrics as the SDK's
``OTLPSpanExporter``, because it reuses them; if an SDK release renames what it reuses, it
falls back to the SDK's ``export`` (see :mod:`signalpost.sdk.otlp_spans`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult

from signalpost.errors.scrub import Scrubber
from signalpost.sdk.otlp_spans import SpanEncoder
from signalpost.sdk.scrubbing import SpanScrubber

__all__ = ["LeanOTLPSpanExporter"]

_log = logging.getLogger(__name__)


class LeanOTLPSpanExporter(OTLPSpanExporter):
    """The SDK's OTLP/HTTP span exporter, encoding with :class:`SpanEncoder`.

    Takes the SDK exporter's arguments and ``OTEL_EXPORTER_OTLP_*`` variables, and
    ``scrubber``: when given, every span is scrubbed by it on its way out (in the encoding pass,
    see :class:`SpanEncoder`), as :class:`~signalpost.sdk.scrubbing.ScrubbingSpanExporter`
    would.
    """

    def __init__(self, *args: Any, scrubber: Scrubber | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._spans = SpanScrubber(scrubber) if scrubber is not None else None
        self._encoder = SpanEncoder(self._spans)
        self.lean = all(
            hasattr(self, name)
            for name in ("_client", "_metrics", "_max_request_size", "_shutdown")
        )
        if not self.lean:
            _log.warning("this OpenTelemetry SDK is not the one expected: spans use its encoder")

    def _scrubbed(self, spans: Sequence[ReadableSpan]) -> Sequence[ReadableSpan]:
        if self._spans is None:
            return spans
        return [self._spans.span(span) for span in spans]

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if not self.lean or self._shutdown or not spans:
            return super().export(self._scrubbed(spans))
        with self._metrics.export_operation(len(spans)) as result:
            try:
                data = self._encoder.serialize(spans)
            except Exception as error:
                _log.error("Failed to encode span batch: %s", error)
                result.error = error
                return SpanExportResult.FAILURE
            if 0 < self._max_request_size < len(data):
                # The SDK's own drop, warning and error record.
                return super().export(self._scrubbed(spans))
            exported = self._client.export(data)
            if not exported.success:
                result.error = exported.error
                if exported.status_code is not None:
                    result.error_attrs = {"http.response.status_code": exported.status_code}
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

"""The second line of defence: every span is scrubbed again as it leaves through the SDK.

Signalpost's instrumentation scrubs what it records, but spans also come from other
instrumentations and from user code (``span.set_attribute("note", ...)``,
``span.record_exception(exc)``). :class:`ScrubbingSpanExporter` wraps the exporter behind the
batch processor, so it runs on the export thread, never on the request path: it copies each span
with its name, attributes, event names and attributes, link attributes and status description
scrubbed by the same :class:`~signalpost.errors.scrub.Scrubber` as everything else.

Strings seen recently (span names, routes, methods, addresses) are remembered with their
scrubbed form, so a steady stream of similar spans costs a dictionary look-up per value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.semconv.attributes.url_attributes import URL_PATH, URL_QUERY
from opentelemetry.trace import Link, Status

from signalpost.errors.scrub import FILTERED, Scrubber

__all__ = ["ScrubbingSpanExporter", "SpanScrubber"]

_MAX_EXPORTED_STRING = 32768
"""Longest string attribute exported, in characters (stack traces are cut to 16 KiB before)."""
_CACHE_SIZE = 4096
_CACHEABLE = 256  # strings longer than this are scrubbed every time, not remembered


class SpanScrubber:
    """Returns scrubbed copies of finished spans.

    Args:
        scrubber: The scrubbing policy (secret keys, patterns) shared with the rest of set-up.
    """

    def __init__(self, scrubber: Scrubber) -> None:
        self._scrubber = scrubber
        self._cache: dict[str, str] = {}
        self._paths: dict[str, str] = {}
        self._queries: dict[str, str] = {}

    def text(self, value: str) -> str:
        """Scrub one string, remembering short ones."""
        return self._remembered(self._cache, value, self._scrub_text)

    def _scrub_text(self, value: str) -> str:
        return self._scrubber.scrub_text(value, _MAX_EXPORTED_STRING)

    @staticmethod
    def _remembered(cache: dict[str, str], value: str, scrub: Any) -> str:
        cached = cache.get(value)
        if cached is not None:
            return cached
        scrubbed: str = scrub(value)
        if len(value) <= _CACHEABLE:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            cache[value] = scrubbed
        return scrubbed

    def value(self, key: str, value: Any) -> Any:
        """Scrub one attribute value; the value of a key naming a secret is replaced whole."""
        if self._scrubber.is_secret_key(key):
            return FILTERED
        if isinstance(value, str):
            if key == URL_PATH:
                return self._remembered(self._paths, value, self._scrubber.scrub_path)
            if key == URL_QUERY:
                return self._remembered(self._queries, value, self._scrubber.scrub_query)
            return self.text(value)
        if isinstance(value, Sequence) and not isinstance(value, bytes):
            return tuple(self.text(v) if isinstance(v, str) else v for v in value)
        if isinstance(value, bytes):
            return self.text(value.decode("utf-8", "replace"))
        return value

    def attributes(self, attributes: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """Scrub attribute values; the value of a key naming a secret is replaced whole."""
        if not attributes:
            return None
        return {key: self.value(key, value) for key, value in attributes.items()}

    def _changed(self, attributes: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """The scrubbed attributes when scrubbing changes any of them, else ``None``.

        The export thread's hot loop: most values were scrubbed on the request path already
        and come back unchanged from the cache, so nothing is copied for them.
        """
        if not attributes:
            return None
        out: dict[str, Any] | None = None
        is_secret, cache = self._scrubber.is_secret_key, self._cache
        for key, value in attributes.items():
            scrubbed = cache.get(value) if type(value) is str else None
            if scrubbed is None or key == URL_PATH or key == URL_QUERY or is_secret(key):
                scrubbed = self.value(key, value)
            if scrubbed is not value and scrubbed != value:
                if out is None:
                    out = dict(attributes)
                out[key] = scrubbed
        return out

    def span(self, span: ReadableSpan) -> ReadableSpan:
        """Return ``span`` scrubbed: itself when nothing in it changes (the common case), else
        a scrubbed copy."""
        status = span.status
        if status.description:
            status = Status(status.status_code, self.text(status.description))
        name = self.text(span.name)
        changed = self._changed(span.attributes)
        if (
            changed is None
            and not span.events
            and not span.links
            and name == span.name
            and status is span.status
        ):
            return span
        return ReadableSpan(
            name=name,
            context=span.context,
            parent=span.parent,
            resource=span.resource,
            attributes=changed if changed is not None else self.attributes(span.attributes),
            events=[
                Event(self.text(e.name), self.attributes(e.attributes), e.timestamp)
                for e in span.events
            ],
            links=[Link(link.context, self.attributes(link.attributes)) for link in span.links],
            kind=span.kind,
            status=status,
            start_time=span.start_time,
            end_time=span.end_time,
            instrumentation_scope=span.instrumentation_scope,
        )


class ScrubbingSpanExporter(SpanExporter):
    """Wraps a span exporter: spans are scrubbed, then handed to ``exporter``.

    Args:
        exporter: The exporter that sends spans out (OTLP, console ...).
        scrubber: The scrubbing policy.
    """

    def __init__(self, exporter: SpanExporter, scrubber: Scrubber) -> None:
        self.exporter = exporter
        self._spans = SpanScrubber(scrubber)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.exporter.export([self._spans.span(span) for span in spans])

    def shutdown(self) -> None:
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.exporter.force_flush(timeout_millis)

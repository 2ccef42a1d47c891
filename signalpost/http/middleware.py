"""The HTTP instrumentation: one pure ASGI middleware.

For every HTTP request it

* takes the request ID from the configured header when it is safe, or makes one (the trace ID
  when the request is traced), exposes it through
  :func:`signalpost.instrumentation.current_request_id`
  and returns it in the response header, also on unhandled errors;
* records ``http_server_request_duration_seconds`` (by method, route template, status code,
  ``error.type`` and ``url.scheme``) and ``http_server_active_requests`` (by method), with
  a trace-ID exemplar when the request was sampled (and, when a meter provider is given, the
  same through OpenTelemetry metrics);
* opens one SERVER span following the HTTP semantic conventions, continuing the W3C trace
  context (and baggage) the client sent;
* turns an unhandled exception into one structured error record (see
  :mod:`signalpost.errors.capture`), marks the span as failed and answers 500 with the
  request ID
  and no internals, then re-raises so the server still sees the failure.

Label values are bounded whatever clients send: paths that match no route share the label
``_unmatched``, unknown methods become ``_OTHER``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.metrics import MeterProvider
from opentelemetry.trace import SpanKind, Status, StatusCode, format_trace_id

from signalpost import metrics
from signalpost.asgitypes import ASGIApp, Message, Receive, Scope, Send
from signalpost.cardinality import BoundedValues
from signalpost.clock import system_clock
from signalpost.context import request_id_var
from signalpost.errors.capture import exception_type_name
from signalpost.errors.spans import record_exception, set_error_status
from signalpost.failsafe import failsafe
from signalpost.globs import path_matcher
from signalpost.http.options import DEFAULT_EXCLUDED_PATHS, HttpOptions, http_options
from signalpost.http.otel_metrics import otel_instruments
from signalpost.http.request import (
    request_attributes,
    request_context,
    route_template,
    send_error_response,
)
from signalpost.http.requestid import (
    generate_request_id,
    is_safe_request_id,
)
from signalpost.runtime import Runtime
from signalpost.runtime import current as current_runtime
from signalpost.semconv import attributes as attr
from signalpost.semconv import errors as error_metrics
from signalpost.semconv import http as http_metrics

__all__ = [
    "DEFAULT_EXCLUDED_PATHS",
    "HttpOptions",
    "SignalpostMiddleware",
    "route_template",
]


_KNOWN_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "QUERY"}
)
# Status recorded when the client disconnected before a response started (nginx's convention).
_CLIENT_CLOSED_REQUEST = 499

_INSTRUMENTATION_NAME = "signalpost.instrumentation.asgi"


class SignalpostMiddleware:
    """Pure ASGI middleware adding request IDs, RED metrics, a server span and error capture.

    Args:
        app: The ASGI application to wrap.
        runtime: Where the middleware records: registry, tracer provider, scrubber, clock,
            error reporter (default: :func:`signalpost.runtime.current` when the middleware
            is built, which Starlette's ``add_middleware`` does on the first request).
        options: What it records and how (:class:`~signalpost.http.options.HttpOptions`).
        meter_provider: When given, durations and active requests are also recorded through
            OpenTelemetry metrics (for OTLP export); off by default.
        **deprecated: The keywords it took before ``runtime=`` and ``options=`` (the
            collaborators and every :class:`HttpOptions` field), for one release, with a
            ``DeprecationWarning``.
    """

    def __init__(
        self,
        app: ASGIApp,
        /,
        *,
        runtime: Runtime | None = None,
        options: HttpOptions | None = None,
        meter_provider: MeterProvider | None = None,
        **deprecated: Any,
    ) -> None:
        self.app = app
        options, given = http_options(options, deprecated)
        error_reporter = given.pop("error_reporter", None)
        shared = (runtime if runtime is not None else current_runtime()).with_overrides(**given)
        registry, scrubber, clock = shared.registry, shared.scrubber, shared.clock
        # The real clock is read directly: one call fewer, twice a request.
        self._monotonic = time.monotonic if clock is system_clock else clock.monotonic
        tracing, duration_buckets = options.tracing, options.duration_buckets
        request_id_header = options.request_id_header
        self._excluded = path_matcher(options.excluded_paths)
        self._header_name = request_id_header.lower().encode("latin-1")
        self._header_out = request_id_header.encode("latin-1")
        self._trust_request_id = options.trust_request_id
        self._recommended_attributes = options.recommended_attributes
        self._scrubber = scrubber
        self._routes = BoundedValues(options.max_routes)
        self._duration = metrics.histogram(
            http_metrics.REQUEST_DURATION,
            registry,
            buckets=tuple(duration_buckets) if duration_buckets else None,
        )
        self._error_types = BoundedValues(options.max_error_types, attr.ERROR_TYPE_OTHER)
        self._duration_children: dict[tuple[str, str, int, str, str], Any] = {}
        active = metrics.gauge(http_metrics.ACTIVE_REQUESTS, registry)
        self._active = {m: active.labels(m) for m in (*_KNOWN_METHODS, http_metrics.OTHER_METHOD)}
        self._reporter = error_reporter or shared.reporter
        self._tracer: trace.Tracer | None = None
        self._propagation_fields: frozenset[bytes] = frozenset()
        if tracing:
            self._tracer = trace.get_tracer(
                _INSTRUMENTATION_NAME, tracer_provider=shared.tracer_provider
            )
            fields = propagate.get_global_textmap().fields
            self._propagation_fields = frozenset(f.lower().encode("latin-1") for f in fields)
        self._otel_duration, self._otel_active = otel_instruments(
            meter_provider, _INSTRUMENTATION_NAME, duration_buckets
        )
        # Referenced so that the error counter exists (at zero) from the first scrape.
        metrics.counter(error_metrics.ERRORS, registry)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._excluded(scope["path"]):
            await self.app(scope, receive, send)
            return

        start = self._monotonic()
        raw_method = scope["method"]
        method = raw_method if raw_method in _KNOWN_METHODS else http_metrics.OTHER_METHOD
        scheme = scope.get("scheme", "http")
        if scheme not in http_metrics.KNOWN_SCHEMES:
            scheme = http_metrics.OTHER_SCHEME

        client_request_id: str | None = None
        carrier: dict[str, str] | None = None
        header_name = self._header_name
        fields = self._propagation_fields
        for name, value in scope["headers"]:
            if name == header_name:
                if self._trust_request_id and client_request_id is None:
                    candidate = value.decode("latin-1")
                    if is_safe_request_id(candidate):
                        client_request_id = candidate
            elif name in fields:
                if carrier is None:
                    carrier = {}
                carrier[name.decode("latin-1")] = value.decode("latin-1")

        span: trace.Span | None = None
        context_token: object | None = None
        tracer = self._tracer
        if tracer is not None:
            parent = propagate.extract(carrier) if carrier else None
            span = tracer.start_span(method, context=parent, kind=SpanKind.SERVER)
            context_token = otel_context.attach(trace.set_span_in_context(span, parent))

        exemplar: dict[str, str] | None = None
        trace_id = 0
        if span is not None:
            span_context = span.get_span_context()
            if span_context.trace_flags.sampled and span.is_recording():
                trace_id = span_context.trace_id
                # One ID finds the trace: the generated request ID and the exemplar share it.
                exemplar = {"trace_id": format_trace_id(trace_id)}
        request_id = client_request_id or (
            exemplar["trace_id"] if exemplar is not None else generate_request_id()
        )
        request_id_token = request_id_var.set(request_id)
        if span is not None and span.is_recording():
            span.set_attributes(
                request_attributes(
                    scope, raw_method, method, request_id, self._scrubber,
                    self._recommended_attributes,
                )
            )

        status_code = 500
        error_type = http_metrics.NO_ERROR
        error_type_from_exception = False
        response_started = False
        request_id_bytes = request_id.encode("latin-1")
        header_name_out = self._header_out

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                headers = list(message.get("headers", ()))
                for name, _ in headers:
                    if name.lower() == header_name:
                        break
                else:
                    headers.append((header_name_out, request_id_bytes))
                message = {**message, "headers": headers}
            await send(message)

        active = self._active[method]
        active.inc()
        if self._otel_active is not None:
            self._otel_active.add(1, {attr.HTTP_REQUEST_METHOD: method})
        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            if type(exc).__name__ == "ClientDisconnect":
                # The client went away while the app read the body: not a server error.
                if not response_started:
                    status_code = _CLIENT_CLOSED_REQUEST
                raise
            error_type = exception_type_name(exc)
            error_type_from_exception = True
            self._capture(exc, scope, method, span)
            if not response_started:
                await send_error_response(send, self._header_out, request_id)
                status_code = 500
            raise
        except asyncio.CancelledError:
            if not response_started:
                status_code = _CLIENT_CLOSED_REQUEST
            raise
        finally:
            duration = self._monotonic() - start
            active.dec()
            template = route_template(scope)
            route = self._routes(template) if template is not None else http_metrics.UNMATCHED_ROUTE
            if error_type:
                error_type = self._error_types(error_type)
            elif status_code >= 500:
                error_type = str(status_code)
            key = (method, route, status_code, error_type, scheme)
            child = self._duration_children.get(key)
            if child is None:
                child = self._duration.labels(
                    method, route, str(status_code), error_type, scheme
                )
                self._duration_children[key] = child
            child.observe(duration, exemplar)
            if self._otel_duration is not None:
                otel_attributes: dict[str, str | int] = {
                    attr.HTTP_REQUEST_METHOD: method,
                    attr.HTTP_ROUTE: route,
                    attr.HTTP_RESPONSE_STATUS_CODE: status_code,
                    attr.URL_SCHEME: scheme,
                }
                if error_type:
                    otel_attributes[attr.ERROR_TYPE] = error_type
                self._otel_duration.record(duration, otel_attributes)
                self._otel_active.add(-1, {attr.HTTP_REQUEST_METHOD: method})
            if span is not None:
                if template is not None and span.is_recording():
                    span.update_name(f"{method} {template}")
                    span.set_attribute(attr.HTTP_ROUTE, template)
                span.set_attribute(attr.HTTP_RESPONSE_STATUS_CODE, status_code)
                if status_code >= 500 and not error_type_from_exception:
                    # An escaped exception already set a scrubbed description: keep it.
                    span.set_status(Status(StatusCode.ERROR))
                span.end()
            request_id_var.reset(request_id_token)
            if context_token is not None:
                otel_context.detach(context_token)  # type: ignore[arg-type]

    def _capture(self, exc: Exception, scope: Scope, method: str, span: trace.Span | None) -> None:
        with failsafe("http error capture"):  # never replaces the user's exception
            record = self._reporter.report(
                exc, source="http", context=request_context(scope, method, self._scrubber)
            )
            if span is not None and span.is_recording():
                record_exception(span, exc, self._scrubber, record=record)
                # One name for the type everywhere: the metric label, the event, the status.
                name = exception_type_name(exc)
                set_error_status(span, name, self._scrubber)
                span.set_attribute(attr.ERROR_TYPE, name)

"""Terminal layout of a lookup and of the runs listing (rich, the ``cli`` extra)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

from signalpost._extras import missing_extra
from signalpost.lookup.model import Finding, LogEntry, Run, Span, Trace

try:
    from rich.console import Console, Group, RenderableType
    from rich.table import Table
    from rich.text import Text
    from rich.tree import Tree
except ImportError as error:  # pragma: no cover - the extra is installed in tests
    raise missing_extra("cli", error) from error

__all__ = ["render_errors", "render_finding", "render_runs"]

# Attributes worth a place on a span's line, in this order.
_SHOWN = (
    "http.request.method", "url.path", "http.route", "http.response.status_code", "request.id",
    "job.id", "job.attempt", "job.status", "error.type", "error.class", "db.operation.name",
)
_SEVERITY_STYLE = {"ERROR": "bold red", "FATAL": "bold red", "WARN": "yellow", "WARNING": "yellow"}


def _clean(value: Any) -> Any:
    """What came from a service, without control characters (no terminal escapes), for
    strings nested in dicts and lists too."""
    if isinstance(value, str):
        return "".join(c if c.isprintable() or c == "\n" else "\ufffd" for c in value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _clean_span(span: Span) -> Span:
    return replace(span, name=_clean(span.name), service=_clean(span.service),
                   instance=_clean(span.instance), status_message=_clean(span.status_message),
                   attributes=_clean(span.attributes), events=_clean(span.events))


def _clean_log(entry: LogEntry) -> LogEntry:
    return replace(entry, body=_clean(entry.body), service=_clean(entry.service),
                   instance=_clean(entry.instance), severity_text=_clean(entry.severity_text),
                   attributes=_clean(entry.attributes))


def _short(value: object) -> str:
    """An exception type without its module (``pkg.mod.DataError`` → ``DataError``)."""
    return str(value).rsplit(".", 1)[-1]


def _number(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _where(service: str, instance: str | None) -> str:
    return f"{service}/{instance}" if instance else service


def _ms(ns: float) -> str:
    ms = ns / 1e6
    return f"{ms:.1f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def _span_line(span: Span, origin: Any) -> Text:
    offset = (span.start_time - origin).total_seconds() * 1e9
    line = Text()
    line.append(span.name, style="bold")
    line.append(f"  [{_where(span.service, span.instance)}]", style="cyan")
    line.append(f"  +{_ms(offset)}  {_ms(span.duration_ns)}")
    if span.failed:
        message = ": ".join(_short(part) for part in (span.status_message or "").split(": "))
        line.append(f"  ERROR {message}".rstrip(), style="bold red")
    shown = [
        f"{k}={_short(span.attributes[k]) if k == 'error.type' else span.attributes[k]}"
        for k in _SHOWN if k in span.attributes
    ]
    if shown:
        line.append("  " + " ".join(shown), style="dim")
    for event in span.events:
        if event.get("name") == "job.retry_scheduled":
            a = event.get("attributes", {})
            line.append(
                f"\n  retry scheduled after attempt {a.get('job.attempt')}: "
                f"{_short(a.get('exception.type'))} ({a.get('error.class')}), "
                f"next in {_number(a.get('job.retry.delay'))} s",
                style="yellow",
            )
    return line


def _tree(trace: Trace) -> Tree:
    services = sorted({_where(s.service, s.instance) for s in trace.spans}
                      | {_where(x.service, x.instance) for x in trace.logs})
    errors = sum(1 for s in trace.spans if s.failed)
    title = Text(f"trace {trace.trace_id}", style="bold")
    title.append(f"  {len(trace.spans)} spans, {errors} failed, services: {', '.join(services)}")
    tree = Tree(title)
    if not trace.spans:
        return tree
    origin = trace.spans[0].start_time
    ids = {s.span_id for s in trace.spans}
    children: dict[str | None, list[Span]] = defaultdict(list)
    for span in trace.spans:
        parent = span.parent_span_id if span.parent_span_id in ids else None
        children[parent].append(span)

    def add(node: Tree, parent: str | None) -> None:
        for span in children.get(parent, []):
            add(node.add(_span_line(span, origin)), span.span_id)

    if any(s.parent_span_id and s.parent_span_id not in ids for s in children[None]):
        tree.add(Text("(spans whose parent is not in the store are shown at the top)", "dim"))
    add(tree, None)
    return tree


def _summary(trace: Trace) -> Text | None:
    """One line on what the trace is: the request that started it and the runs in it."""
    if not trace.spans:
        return None
    ids = {s.span_id for s in trace.spans}
    roots = [s for s in trace.spans if s.parent_span_id not in ids]
    runs = [s for s in trace.spans if "job.id" in s.attributes and "job.max_attempts"
            in s.attributes]
    text = Text()
    root = roots[0]
    if "request.id" in root.attributes:
        status = root.attributes.get("http.response.status_code", "?")
        text.append(f"request {root.attributes['request.id']}: {root.name} -> {status}")
    else:
        text.append(f"started by {root.name} [{_where(root.service, root.instance)}]")
    for run in runs:
        a = run.attributes
        style = "bold red" if run.failed else "green"
        text.append(f"\n  run of job {a['job.id']} ({a.get('job.type')}): ")
        text.append(f"{a.get('job.status', 'running?')}", style=style)
        text.append(f" after {a.get('job.attempt', 1)} attempt(s), {_ms(run.duration_ns)}")
        if run is not root and "request.id" in root.attributes:
            text.append(f", enqueued by request {root.attributes['request.id']}")
    return text


def _error_records(logs: list[LogEntry]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for entry in logs:
        if not entry.is_error_record:
            continue
        a = entry.attributes
        where = _where(entry.service, entry.instance)
        stamp = f"{entry.time:%H:%M:%S.%f}"[:-3]
        text = Text(f"error record [{where}] {stamp}\n", style="bold red")
        text.append(f"  {_short(a.get('exception.type'))}: {a.get('exception.message', '')}\n")
        text.append(
            f"  error.class={a.get('error.class')} fingerprint={a.get('error.fingerprint')}"
            f" source={a.get('error.source')}"
            + (f" job.id={a['job.id']} attempt={a.get('job.attempt')}" if "job.id" in a else "")
            + (f" request.id={a['request.id']}" if "request.id" in a else ""),
            style="dim",
        )
        stack = str(a.get("exception.stacktrace", "")).strip().splitlines()
        if stack:
            text.append("\n  " + "\n  ".join(stack[-6:]), style="dim")
        out.append(text)
    return out


def _log_table(logs: list[LogEntry]) -> Table:
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in ("time", "service", "level", "message", "fields"):
        table.add_column(column, overflow="fold")
    for entry in logs:
        severity = (entry.severity_text or str(entry.severity_number)).upper()
        fields = " ".join(
            f"{k}={_number(v)}" for k, v in entry.attributes.items()
            if k.startswith(("job.", "request.", "http.")) and k != "job.parameters"
        )
        table.add_row(
            f"{entry.time:%H:%M:%S.%f}"[:-3], Text(_where(entry.service, entry.instance)),
            Text(severity, style=_SEVERITY_STYLE.get(severity, "")), Text(entry.body),
            Text(fields),
        )
    return table


def render_finding(finding: Finding, console: Console) -> None:
    """Print what a lookup found: per trace, the span tree, the error records and the logs."""
    query = _clean(finding.query)
    if finding.matched == "none":
        console.print(Text(f"nothing found for {query!r} (trace, request or job ID)"))
        return
    console.print(Text(f"{query}: {finding.matched} ID, {len(finding.traces)} trace(s)", "bold"))
    for found in finding.traces:
        trace = Trace(found.trace_id, [_clean_span(s) for s in found.spans],
                      [_clean_log(x) for x in found.logs])
        summary = _summary(trace)
        parts: list[RenderableType] = [*([summary] if summary else []), _tree(trace),
                                       *_error_records(trace.logs)]
        if trace.logs:
            parts += [Text("log records", style="bold"), _log_table(trace.logs)]
        console.print(Group(*parts))
        console.print()
    if finding.loose_logs:
        console.print(Text("log records outside any trace", style="bold"))
        console.print(_log_table([_clean_log(x) for x in finding.loose_logs]))


def render_runs(runs: list[Run], console: Console) -> None:
    """Print finished runs as a table, newest first."""
    if not runs:
        console.print("no finished runs match")
        return
    table = Table(header_style="bold")
    for column in ("finished", "job type", "job ID", "status", "duration", "attempts",
                   "error", "trace ID"):
        table.add_column(column, overflow="fold", no_wrap=column in ("finished", "trace ID"))
    for run in runs:
        error = " ".join(x for x in (run.error_class, _short(run.exception_type or "")) if x)
        table.add_row(
            f"{run.finished_at:%m-%d %H:%M:%S}", Text(_clean(run.job_type)),
            Text(_clean(run.job_id)),
            Text(_clean(run.status), style="red" if run.status in ("failed", "timed_out") else ""),
            "" if run.duration_s is None else f"{run.duration_s:.2f} s",
            "" if run.attempts is None else str(run.attempts), Text(_clean(error)),
            Text(_clean(run.trace_id or "")),
        )
    console.print(table)


def render_errors(errors: list[LogEntry], console: Console) -> None:
    """Print error records as a table, newest first, with the ID to look each up by."""
    if not errors:
        console.print("no error records match")
        return
    table = Table(header_style="bold")
    for column in ("time", "source", "error", "message", "trace ID (lookup)"):
        table.add_column(column, overflow="fold", no_wrap=column != "message")
    for found in errors:
        entry = _clean_log(found)
        a = entry.attributes
        table.add_row(
            f"{entry.time:%m-%d %H:%M:%S}", Text(str(a.get("error.source", ""))),
            Text(f"{a.get('error.class')} {_short(a.get('exception.type'))}"),
            Text(str(a.get("exception.message", ""))[:80]),
            Text(str(entry.trace_id or a.get("request.id") or a.get("job.id") or "")),
        )
    console.print(table)

"""``python -m signalpost jobs URL``: the running jobs of a service, live in the terminal.

Polls the running-jobs endpoint (``docs/jobs.md``) every ``--interval`` seconds and redraws
a table in place: one row per run with a progress bar, items per second and ETA. ``--once``
prints the table and exits (exit status 1 when the endpoint cannot be read). Ctrl-C exits
cleanly. Needs the ``cli`` extra (rich).

Credentials: ``--token`` or ``--user``/``--password``; when not given they are read from
``SIGNALPOST_METRICS_BEARER_TOKEN``, ``SIGNALPOST_METRICS_BASIC_AUTH_USERNAME`` and
``SIGNALPOST_METRICS_BASIC_AUTH_PASSWORD`` (the variables the service itself reads), which
keeps them out of the process list.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime

from signalpost._extras import missing_extra
from signalpost.cli.jobs_client import JobsClient, JobsSnapshot, RateTracker, Run, ServiceError

try:
    from rich import box
    from rich.console import Console, Group, RenderableType
    from rich.live import Live
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text
except ImportError as error:  # pragma: no cover - exercised in a subprocess test
    raise missing_extra("cli", error) from error

__all__ = ["main", "render", "waiting_line"]

_WIDE = 130  # columns from which progress messages are shown


def _safe(value: str, limit: int = 60) -> Text:
    """Plain text from the service: no markup, no control characters, bounded."""
    cleaned = "".join(c if c.isprintable() else "\ufffd" for c in value[: limit * 2])
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "\u2026"
    return Text(cleaned)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _count(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:,.1f}/s"


def _row(run: Run, rates: RateTracker, bar_width: int, worker: bool) -> list[RenderableType]:
    if run.total is not None and run.total > 0 and run.done is not None:
        bar = ProgressBar(total=run.total, completed=min(run.done, run.total), width=bar_width)
        percent = f"{100 * min(1.0, max(0.0, run.done / run.total)):.0f}%"
    else:
        bar = ProgressBar(total=None, width=bar_width)  # unknown total: a pulsing bar
        percent = "?"
    state = run.state + (" (cancelling)" if run.cancel_requested else "")
    return [
        _safe(run.job_id, 36),
        _safe(run.job_type, 24),
        *([_safe(run.worker or "", 30)] if worker else []),
        Text(state),
        Text(str(run.attempt)),
        bar,
        Text(percent),
        Text(f"{_count(run.done)}/{_count(run.total)}"),
        Text(_rate(rates.rate(run))),
        Text(_duration(rates.eta(run))),
        Text(_duration(run.since_progress)),
        _safe(run.message or "", 40),
    ]


def waiting_line(snapshot: JobsSnapshot, now: float | None = None) -> str:
    """``5 waiting behind them (parse 3, oldest 1:05; mail 2)``; empty without a backlog."""
    if snapshot.waiting is None:
        return ""
    now = time.time() if now is None else now
    rows = [row for row in snapshot.waiting if row.waiting > 0]
    total = sum(row.waiting for row in rows)
    parts = []
    for row in sorted(rows, key=lambda r: -r.waiting)[:4]:
        queue = f" in {row.queue}" if row.queue else ""
        oldest = row.oldest_enqueued_at
        age = "" if oldest is None else f", oldest {_duration(max(0.0, now - oldest))}"
        parts.append(f"{row.job_type}{queue} {row.waiting}{age}")
    more = "; ..." if len(rows) > 4 else ""
    detail = f" ({'; '.join(parts)}{more})" if parts else ""
    return f"{total} waiting behind them{detail}"


def render(snapshot: JobsSnapshot, rates: RateTracker, url: str, *, wide: bool = True) -> Table:
    """The table of one poll (``wide``: with the progress messages)."""
    where = f"pid {snapshot.pid} on {snapshot.hostname}" if snapshot.pid else "unknown process"
    shown = len(snapshot.runs)
    more = f" (showing {shown})" if shown < snapshot.count else ""
    waiting = waiting_line(snapshot)
    if waiting:
        more += f" · {_safe(waiting, 120).plain}"
    worker = any(run.worker for run in snapshot.runs)
    scope = "runs across the queue's workers" if worker else "each process lists only its own runs"
    table = Table(
        title=f"{snapshot.count} running job(s){more} · {where} · {url}",
        title_justify="left",
        caption=f"updated {datetime.now():%H:%M:%S} · {scope}",
        caption_justify="left",
        expand=False,
        box=box.SIMPLE_HEAD,
        collapse_padding=True,
        pad_edge=False,
    )
    names = ("JOB ID", "TYPE", *(("WORKER",) if worker else ()), "STATE", "TRY", "PROGRESS",
             "%", "DONE/TOTAL", "RATE", "ETA", "IDLE")  # fmt: skip
    for name in names:
        table.add_column(name, no_wrap=True, overflow="ellipsis")
    if wide:  # the message is the first to go on a narrow terminal
        table.add_column("MESSAGE", no_wrap=True, overflow="ellipsis", max_width=40)
    for run in snapshot.runs:
        table.add_row(*_row(run, rates, 20 if wide else 12, worker)[: None if wide else -1])
    return table


def _frame(client: JobsClient, rates: RateTracker, console: Console) -> RenderableType:
    try:
        snapshot = client.fetch()
    except ServiceError as error:
        return Group(Text(f"cannot read the jobs endpoint: {error}"), Text("retrying ..."))
    rates.observe(snapshot.runs)
    return render(snapshot, rates, client.url, wide=console.width >= _WIDE)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m signalpost jobs",
        description="Show a service's running jobs: progress bars, rates and ETAs.",
    )
    parser.add_argument("url", help="the running-jobs endpoint, e.g. http://localhost:8000/jobs")
    parser.add_argument("--token", help="bearer token (default $SIGNALPOST_METRICS_BEARER_TOKEN)")
    parser.add_argument("--user", help="basic auth user name")
    parser.add_argument("--password", help="basic auth password")
    parser.add_argument("--type", dest="job_type", help="only jobs of this type")
    parser.add_argument("--once", action="store_true", help="print the table once and exit")
    parser.add_argument(
        "--interval", type=float, default=1.0, help="seconds between refreshes (default 1)"
    )
    args = parser.parse_args(argv)
    if not args.interval > 0:
        parser.error("--interval must be a positive number of seconds")
    return args


def main(argv: list[str]) -> int:
    """Run the command; return the exit status."""
    args = _parse(argv)
    env = os.environ
    try:
        client = JobsClient(
            args.url,
            token=args.token or env.get("SIGNALPOST_METRICS_BEARER_TOKEN") or None,
            user=args.user or env.get("SIGNALPOST_METRICS_BASIC_AUTH_USERNAME") or None,
            password=args.password or env.get("SIGNALPOST_METRICS_BASIC_AUTH_PASSWORD"),
            job_type=args.job_type,
        )
    except ValueError as error:
        print(f"signalpost jobs: {error}", file=sys.stderr)
        return 2
    console = Console()
    rates = RateTracker()
    if args.once:
        try:
            snapshot = client.fetch()
        except ServiceError as error:
            Console(stderr=True).print(_safe(f"signalpost jobs: {error}", 500))
            return 1
        rates.observe(snapshot.runs)
        console.print(render(snapshot, rates, client.url, wide=console.width >= _WIDE))
        return 0
    try:
        with Live(_frame(client, rates, console), console=console, auto_refresh=False) as live:
            while True:
                time.sleep(args.interval)
                live.update(_frame(client, rates, console), refresh=True)
    except KeyboardInterrupt:
        return 0

"""``python -m signalpost lookup ID``, ``runs`` and ``errors``: from an alert to its examples.

``lookup`` takes a trace ID, a request ID (the ``X-Request-ID`` header) or a job ID and prints
the traces it belongs to: the span tree across the API and the worker (a job's run under the
request that enqueued it), every retry, the error record and the log records. ``runs`` lists
finished job runs; ``errors`` lists error records. ``--json`` prints the wire form instead.

Where they read (the first configured, in this order):

- ``--dsn`` / ``lookup.dsn`` (``SIGNALPOST_LOOKUP_DSN``): the local store (what
  ``bash scripts/demo.sh`` runs; its address is the default when nothing is configured);
- ``--tempo`` / ``lookup.tempo_url`` and ``--loki`` / ``lookup.loki_url``
  (``SIGNALPOST_LOOKUP_TEMPO_URL``, ``_LOKI_URL``): Tempo and Loki, as in the compose stack
  (``http://localhost:3200``, ``http://localhost:3100``).

Settings come from the flags, then Signalpost's configuration (variables, then
``SIGNALPOST_CONFIG_FILE``), as the service reads it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol

from signalpost._extras import missing_extra
from signalpost.lookup.model import Finding, LogEntry, Run
from signalpost.sdk.config import load_config

__all__ = ["DEMO_DSN", "errors_main", "lookup_main", "parse_since", "runs_main"]

DEMO_DSN = "host=127.0.0.1 port=5433 user=postgres dbname=telemetry"
"""The local stack's store (``python -m demo.stack`` with its default ports)."""
_SINCE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class Reader(Protocol):
    """What the commands read from: the local store, or Tempo and Loki."""

    def find(self, query: str) -> Finding: ...

    def runs(
        self, *, job_type: str | None = ..., status: str | None = ...,
        since: timedelta | None = ..., job_id: str | None = ..., limit: int = ...,
    ) -> list[Run]: ...

    def errors(
        self, *, source: str | None = ..., since: timedelta | None = ..., limit: int = ...
    ) -> list[LogEntry]: ...


def parse_since(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h``, ``2d`` as a duration; raises ``ValueError`` otherwise."""
    found = _SINCE.match(text.strip())
    if not found:
        raise ValueError(f"expected a duration such as 30m, 1h or 2d, got {text!r}")
    return timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])


def _since(text: str) -> timedelta:
    try:
        return parse_since(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m signalpost {prog}", description=description)
    parser.add_argument("--dsn", help="the local store (libpq string or URL; default: "
                        "SIGNALPOST_LOOKUP_DSN, else the local stack's)")
    parser.add_argument("--tempo", help="Tempo's URL, e.g. http://localhost:3200 "
                        "(SIGNALPOST_LOOKUP_TEMPO_URL)")
    parser.add_argument("--loki", help="Loki's URL, e.g. http://localhost:3100 "
                        "(SIGNALPOST_LOOKUP_LOKI_URL)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a layout")
    return parser


def _reader(args: argparse.Namespace) -> Reader:
    settings = load_config().lookup  # SettingsError (a SystemExit) names a bad setting
    args.dsn = args.dsn or settings.dsn
    args.tempo = args.tempo or settings.tempo_url
    args.loki = args.loki or settings.loki_url
    if args.dsn or not (args.tempo or args.loki):
        try:
            import psycopg  # noqa: F401  (named by the extra's error if missing)

            from signalpost.lookup.localstore import LocalStore
        except ImportError as error:
            raise missing_extra("postgres", error) from error
        return LocalStore(args.dsn or DEMO_DSN)
    from signalpost.lookup.remote import TempoLoki

    return TempoLoki(args.tempo, args.loki)


def _console() -> Any:
    try:
        from rich.console import Console
    except ImportError as error:
        raise missing_extra("cli", error) from error
    return Console(highlight=False, soft_wrap=False)


def _run(args: argparse.Namespace, work: Any) -> int:
    try:
        return int(work(_reader(args)))
    except ImportError as error:
        print(f"signalpost: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # a store or server that cannot be read: one line, exit 1
        if type(error).__module__.split(".")[0] not in ("psycopg", "signalpost"):
            raise
        detail = " ".join(str(error).split())
        print(f"signalpost: cannot read the store: {type(error).__name__}: {detail} "
              "(--dsn / SIGNALPOST_LOOKUP_DSN, or --tempo and --loki)", file=sys.stderr)
        return 1


def lookup_main(argv: list[str]) -> int:
    """``lookup ID``: exit status 0 when found, 1 when nothing matches or on a read error."""
    parser = _parser("lookup", "Show the traces, errors and logs of a trace, request or job ID.")
    parser.add_argument("id", help="a trace ID, request ID (X-Request-ID) or job ID")
    args = parser.parse_args(argv)

    def work(reader: Reader) -> int:
        started = time.perf_counter()
        finding = reader.find(args.id)
        if args.json:
            print(json.dumps(finding.to_json(), indent=2, default=str))
        else:
            from signalpost.cli.lookup_view import render_finding

            console = _console()
            render_finding(finding, console)
            console.print(f"[dim]looked up in {time.perf_counter() - started:.2f} s[/dim]")
        return 0 if finding.matched != "none" else 1

    return _run(args, work)


def _with_window(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``parser`` with the ``--since`` and ``--limit`` of the listing commands."""
    parser.add_argument("--since", type=_since, default=timedelta(hours=1),
                        help="how far back (30m, 1h, 2d; default 1h)")
    parser.add_argument("--limit", type=int, default=50)
    return parser


def _show(found: Sequence[Any], as_json: bool, view: str) -> int:
    """Print ``found`` as JSON, or as the table ``lookup_view.<view>`` draws (rich is imported
    only then)."""
    if as_json:
        print(json.dumps([item.to_json() for item in found], indent=2))
    else:
        from signalpost.cli import lookup_view

        getattr(lookup_view, view)(found, _console())
    return 0


def runs_main(argv: list[str]) -> int:
    """``runs``: finished job runs, newest first."""
    parser = _parser("runs", "List finished job runs: outcome, duration, attempts, error, trace.")
    parser.add_argument("--type", dest="job_type", help="only this job type")
    parser.add_argument("--status", help="succeeded, failed, timed_out or cancelled")
    args = _with_window(parser).parse_args(argv)

    def work(reader: Reader) -> int:
        found = reader.runs(job_type=args.job_type, status=args.status, since=args.since,
                            limit=args.limit)
        return _show(found, args.json, "render_runs")

    return _run(args, work)


def errors_main(argv: list[str]) -> int:
    """``errors``: error records, newest first."""
    parser = _parser("errors", "List error records: exception, class, request or job, trace.")
    parser.add_argument("--source", help="http, job, db ... (the error.source attribute)")
    args = _with_window(parser).parse_args(argv)

    def work(reader: Reader) -> int:
        found = reader.errors(source=args.source, since=args.since, limit=args.limit)
        return _show(found, args.json, "render_errors")

    return _run(args, work)

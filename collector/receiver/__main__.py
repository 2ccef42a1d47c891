"""Run the local OTLP receiver::

    python -m collector.receiver --dsn 'host=127.0.0.1 dbname=telemetry' --port 4318

Environment: ``SIGNALPOST_LOOKUP_DSN`` (the store, when ``--dsn`` is not given),
``OTLP_RECEIVER_RETENTION_HOURS`` (default 24), ``OTLP_RECEIVER_RETENTION_MB`` (default 1024).
Retention drops whole hours: the store keeps at most the last N hours, and drops its oldest
hours while it is larger than the size bound (the current hour is always kept).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import timedelta

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and serve with uvicorn."""
    parser = argparse.ArgumentParser(prog="python -m collector.receiver", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dsn", default=os.environ.get("SIGNALPOST_LOOKUP_DSN", ""))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--retention-hours", type=float,
                        default=float(os.environ.get("OTLP_RECEIVER_RETENTION_HOURS", "24")))
    parser.add_argument("--retention-mb", type=float,
                        default=float(os.environ.get("OTLP_RECEIVER_RETENTION_MB", "1024")))
    parser.add_argument("--check-every", type=float, default=60.0,
                        help="seconds between retention passes")
    args = parser.parse_args(argv)
    if not args.dsn:
        print("collector.receiver: give --dsn or set SIGNALPOST_LOOKUP_DSN", file=sys.stderr)
        return 2

    import uvicorn

    from collector.receiver.app import Retention, create_app

    retention = Retention(
        max_age=timedelta(hours=args.retention_hours),
        max_bytes=int(args.retention_mb * 1024 * 1024),
        check_every=args.check_every,
    )
    uvicorn.run(create_app(args.dsn, retention=retention), host=args.host, port=args.port,
                log_config=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

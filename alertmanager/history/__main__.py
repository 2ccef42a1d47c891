"""Run the alert history receiver::

    DATABASE_URL=postgresql://history@db/alerts python -m alertmanager.history --port 8080

Environment: ``DATABASE_URL`` (required: libpq URL or key=value string),
``ALERT_HISTORY_HOST`` (default ``0.0.0.0``), ``ALERT_HISTORY_PORT`` (default 8080),
``PROMETHEUS_URL`` (optional: example trace IDs from exemplars are stored with HTTP alerts), and
Signalpost's own ``SIGNALPOST_*`` / ``OTEL_*`` variables. Migrations run at start-up unless
``--no-migrate`` is given; ``--migrate-only`` applies them and exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, migrate, and serve with uvicorn."""
    parser = argparse.ArgumentParser(prog="python -m alertmanager.history", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("ALERT_HISTORY_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("ALERT_HISTORY_PORT", "8080")))
    parser.add_argument("--no-migrate", action="store_true", help="do not run migrations")
    parser.add_argument("--migrate-only", action="store_true", help="migrate, then exit")
    args = parser.parse_args(argv)
    conninfo = os.environ.get("DATABASE_URL", "")
    if not conninfo:
        print("alertmanager.history: set DATABASE_URL", file=sys.stderr)
        return 2

    from alertmanager.history.migrate import migrate

    if not args.no_migrate:
        applied = migrate(conninfo)
        logging.getLogger("alertmanager.history").info("migrations applied: %s", applied)
    if args.migrate_only:
        return 0

    import uvicorn

    from alertmanager.history.app import create_app

    app = create_app(conninfo, prometheus_url=os.environ.get("PROMETHEUS_URL") or None)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

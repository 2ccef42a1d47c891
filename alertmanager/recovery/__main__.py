"""Run the recovery runner::

    DATABASE_URL=postgresql://history@db/alerts ALERTMANAGER_URL=http://alertmanager:9093 \\
    RECOVERY_PROCEDURES=myapp.recovery:procedures python -m alertmanager.recovery --port 8081

Environment: ``DATABASE_URL`` (required: the alert-history database, migrated),
``ALERTMANAGER_URL`` (required), ``RECOVERY_CONFIG`` (default: the project's
``alertmanager/recovery/recovery.yaml``), ``RECOVERY_PROCEDURES`` (required: ``module:name`` of
a callable returning the procedures by name, e.g. one that builds them with
:func:`alertmanager.recovery.procedures.jobs.cancel_stuck_jobs`), ``RECOVERY_HOST`` (default
``127.0.0.1``), ``RECOVERY_PORT`` (default 8081) and ``RECOVERY_RUNBOOK_URL`` (the
``runbook_url`` of the ``RecoveryFailed`` it posts; default: the rules file's
``escalation.runbook_url``). The runner's metrics are at ``/metrics``.

A notification makes the runner act: ``RECOVERY_WEBHOOK_TOKEN_FILE`` (a file holding the bearer
token Alertmanager sends: the recovery receiver's ``credentials_file`` knob) is required, unless
``RECOVERY_WEBHOOK_FROM_LOOPBACK=true`` accepts loopback callers without one.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import os
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and the environment, migrate, and serve with uvicorn."""
    parser = argparse.ArgumentParser(prog="python -m alertmanager.recovery", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default=os.environ.get("RECOVERY_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("RECOVERY_PORT", "8081")))
    args = parser.parse_args(argv)
    missing = [k for k in ("DATABASE_URL", "ALERTMANAGER_URL", "RECOVERY_PROCEDURES")
               if not os.environ.get(k)]
    if missing:
        print(f"alertmanager.recovery: set {', '.join(missing)}", file=sys.stderr)
        return 2

    token_file = os.environ.get("RECOVERY_WEBHOOK_TOKEN_FILE") or None
    loopback = os.environ.get("RECOVERY_WEBHOOK_FROM_LOOPBACK", "false").strip().lower()
    if loopback not in ("true", "false"):
        print("alertmanager.recovery: RECOVERY_WEBHOOK_FROM_LOOPBACK must be true or false, "
              f"got {loopback!r}", file=sys.stderr)
        return 2
    if token_file is None and loopback != "true":
        print("alertmanager.recovery: set RECOVERY_WEBHOOK_TOKEN_FILE (the token Alertmanager "
              "sends), or RECOVERY_WEBHOOK_FROM_LOOPBACK=true to accept loopback callers only",
              file=sys.stderr)
        return 2
    token = None
    if token_file is not None:
        try:
            token = _read_token(token_file)
        except (OSError, ValueError) as error:
            print(f"alertmanager.recovery: RECOVERY_WEBHOOK_TOKEN_FILE: {error}", file=sys.stderr)
            return 2

    from alertmanager.history.migrate import migrate
    from alertmanager.recovery.config import DEFAULT_CONFIG, ConfigError, load_config

    try:
        config = load_config(os.environ.get("RECOVERY_CONFIG") or DEFAULT_CONFIG)
    except ConfigError as error:
        print(f"alertmanager.recovery: {error}", file=sys.stderr)
        return 2
    if os.environ.get("RECOVERY_RUNBOOK_URL"):
        escalation = dataclasses.replace(config.escalation,
                                         runbook_url=os.environ["RECOVERY_RUNBOOK_URL"])
        config = dataclasses.replace(config, escalation=escalation)
    module, _, name = os.environ["RECOVERY_PROCEDURES"].partition(":")
    procedures = getattr(importlib.import_module(module), name)()
    migrate(os.environ["DATABASE_URL"])

    import uvicorn

    from alertmanager.recovery.app import create_app

    app = create_app(os.environ["DATABASE_URL"], config, procedures,
                     os.environ["ALERTMANAGER_URL"], webhook_token=token,
                     from_loopback=loopback == "true")
    uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    return 0


def _read_token(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        token = file.read().strip()
    if not token:
        raise ValueError(f"{path} is empty")
    return token


if __name__ == "__main__":
    raise SystemExit(main())

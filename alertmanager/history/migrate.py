"""Apply the SQL migrations in ``migrations/`` once each, in name order.

Applied names are kept in ``alert_history_migrations``; an advisory lock makes concurrent
starts of several receivers safe.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

__all__ = ["MIGRATIONS_DIR", "migrate"]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_LOCK_ID = 0x5167_A1E7  # any constant shared by every receiver


def migrate(conninfo: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply the migrations not applied yet; returns their names."""
    applied: list[str] = []
    with psycopg.connect(conninfo, autocommit=False) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_ID,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS alert_history_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT name FROM alert_history_migrations")}
        for path in sorted(directory.glob("*.sql")):
            if path.name in done:
                continue
            conn.execute(path.read_text(encoding="utf-8").encode())
            conn.execute("INSERT INTO alert_history_migrations (name) VALUES (%s)", (path.name,))
            applied.append(path.name)
        conn.commit()
    return applied

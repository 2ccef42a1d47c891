"""Optional dependencies: which extra installs them, and the error that says so."""

from __future__ import annotations

__all__ = ["EXTRAS", "missing_extra"]

EXTRAS: dict[str, str] = {
    "postgres": "psycopg 3 and psycopg-pool (database instrumentation, PostgreSQL checks)",
    "resources": "psutil (the host and process resources health check)",
    "grpc": "the OTLP/gRPC exporters (OTEL_EXPORTER_OTLP_PROTOCOL=grpc)",
    "cli": "rich (the terminal views: python -m signalpost jobs, lookup, runs, errors)",
    "celery": "Celery and its Redis transport (signalpost.celery)",
    "arq": "arq (signalpost.arq)",
}


def missing_extra(extra: str, error: ImportError) -> ImportError:
    """Return an ImportError that names the extra to install for a failed import.

    Use as ``raise missing_extra("postgres", error) from error``.
    """
    what = EXTRAS[extra]
    missing = error.name or str(error)
    return ImportError(
        f"{missing} is not installed: it comes with signalpost's '{extra}' extra ({what}); "
        f"install it with: pip install 'signalpost[{extra}]'",
        name=error.name,
    )

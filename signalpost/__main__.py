"""Command line: ``python -m signalpost check-config [FILE]``, ``config-reference``,
``metrics-reference`` and ``jobs URL`` (the running-jobs view)."""

from __future__ import annotations

import os
import sys

from signalpost.exporters.config import SettingsError, load_config, markdown_reference
from signalpost.exporters.otel_env import check_otel_environment
from signalpost.instrumentation.semconv import reference


def main(argv: list[str]) -> int:
    """Run the command named in ``argv``; return the exit status."""
    if argv[:1] == ["config-reference"]:
        sys.stdout.write(markdown_reference())
        return 0
    if argv[:1] == ["metrics-reference"]:
        sys.stdout.write(reference.markdown_reference())
        return 0
    if argv[:1] == ["jobs"]:
        try:
            from signalpost.cli.jobs_view import main as jobs_view
        except ImportError as error:
            print(f"signalpost: {error}", file=sys.stderr)
            return 2
        return jobs_view(argv[1:])
    if argv[:1] == ["check-config"] and len(argv) <= 2:
        # The same checks as start-up: Signalpost's settings, then the OTEL_* variables.
        try:
            config = load_config(argv[1] if len(argv) == 2 else None)
            check_otel_environment(os.environ, otlp_metrics=config.metrics.otlp)
        except SettingsError as error:
            print(error.code, file=sys.stderr)
            return 1
        print(config)
        return 0
    print(
        "usage: python -m signalpost check-config [FILE] | config-reference | metrics-reference"
        " | jobs URL [--once]",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

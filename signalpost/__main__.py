"""Command line: ``python -m signalpost check-config [FILE]``, ``config-reference``,
``metrics-reference``, ``jobs URL`` (the running-jobs view), and ``lookup ID``, ``runs`` and
``errors`` (the trace and log store)."""

from __future__ import annotations

import os
import sys

from signalpost.sdk.config import SettingsError, load_config, markdown_reference
from signalpost.sdk.otel_env import check_otel_environment
from signalpost.semconv import reference

USAGE = """\
usage: python -m signalpost COMMAND [ARGS]

commands:
  check-config [FILE]   check Signalpost's settings (FILE, SIGNALPOST_CONFIG_FILE, SIGNALPOST_*)
                        and the OTEL_* variables as start-up does; print the result
  config-reference      print the configuration reference (docs/configuration.md)
  metrics-reference     print the metric reference (docs/metrics.md)
  jobs URL [--once]     watch the running jobs a service serves at URL (needs the 'cli' extra;
                        'jobs --help' lists its options)
  lookup ID             the span tree, error record and logs of a trace, request or job ID
                        (the local store, or Tempo and Loki; 'lookup --help' lists options)
  runs                  finished job runs: --type T --status failed --since 1h
  errors                error records: --source http --since 1h
  --help                print this help
"""


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
    if argv[:1] == ["lookup"]:
        from signalpost.cli.lookup import lookup_main

        return lookup_main(argv[1:])
    if argv[:1] == ["runs"]:
        from signalpost.cli.lookup import runs_main

        return runs_main(argv[1:])
    if argv[:1] == ["errors"]:
        from signalpost.cli.lookup import errors_main

        return errors_main(argv[1:])
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
    if argv[:1] in (["--help"], ["-h"], ["help"]):
        sys.stdout.write(USAGE)
        return 0
    sys.stderr.write(USAGE)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

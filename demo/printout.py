"""What ``python -m demo.stack`` prints once the stack is up: where each part answers and the
first commands to try."""

from __future__ import annotations

from demo import ha
from demo.layout import HISTORY_DATABASE, TELEMETRY_DATABASE, Layout

__all__ = ["print_urls"]


def print_urls(stack: Layout) -> None:
    """Print where every part of the running stack answers, and how to try it."""
    print(
        "\n".join(
            [
                "demo: the stack is up (Ctrl-C stops it)",
                f"  demo API           {stack.api_url}  (X-Request-ID on every response)",
                f"  API metrics        {stack.api_url}/metrics",
                f"  worker metrics     {stack.worker_url}/metrics   running jobs: "
                f"{stack.worker_url}/jobs (bearer token in {stack.jobs_token_file})",
                f"  recovery runner    {stack.recovery_url}/metrics  (decisions: "
                "recovery_actions in the alert history)",
                f"  Prometheus         {stack.prometheus_url}/alerts",
                f"  Alertmanager       {stack.alertmanager_url}",
                *_pair_urls(stack.options.ha_ports),
                f"  long-term stores   {stack.hourly_url} (hourly), {stack.daily_url} (daily)",
                f"  exporters          http://127.0.0.1:{stack.ports.node_exporter}/metrics "
                f"(node), http://127.0.0.1:{stack.ports.postgres_exporter}/metrics (postgres)",
                f"  alert history      psql '{stack.database_url(HISTORY_DATABASE)}'",
                f"  alert emails       {stack.mail_dir}/*.eml",
                f"  runbooks           {stack.runbooks_url}/<AlertName>.md",
                "  inject a fault     .venv/bin/python -m demo.faults enable bad_data",
                "                     (or curl -X PUT "
                f"'{stack.api_url}/faults/bad_data?enabled=true')",
                "  watch jobs live    SIGNALPOST_METRICS_BEARER_TOKEN=$(cat "
                f"{stack.jobs_token_file}) .venv/bin/python -m signalpost jobs "
                f"{stack.worker_url}/jobs",
                f"  traces and logs    {stack.otlp_url} (OTLP) into "
                f"psql '{stack.database_url(TELEMETRY_DATABASE)}'",
                "  from an alert      .venv/bin/python -m signalpost runs --type resume_parsing "
                "--status failed --since 1h",
                "                     .venv/bin/python -m signalpost lookup JOB_OR_REQUEST_ID",
                *_lookup_dsn_hint(stack),
            ]
        ),
        flush=True,
    )


def _lookup_dsn_hint(stack: Layout) -> list[str]:
    from signalpost.cli.lookup import DEMO_DSN

    dsn = stack.database_url(TELEMETRY_DATABASE)
    if dsn == DEMO_DSN:
        return []
    return [f"                     (with these ports: export SIGNALPOST_LOOKUP_DSN='{dsn}')"]


def _pair_urls(pair: ha.HaPorts | None) -> list[str]:
    if pair is None:
        return []
    return [
        f"  HA pair            Prometheus b http://127.0.0.1:{pair.prometheus_b}/alerts, "
        f"Alertmanager b http://127.0.0.1:{pair.alertmanager_b}",
    ]


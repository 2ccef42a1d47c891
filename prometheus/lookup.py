"""What an alert's notification says to find its examples: the command that lists the failing
runs or error records (``lookup_command``) and, in compose, a Grafana Explore link to the
matching logs in Loki (``logs_url``); for HTTP alerts, the series whose exemplars hold example
trace IDs (``exemplar_selector``, which the alert-history receiver queries and stores with the
alert row). :func:`prometheus.alerting.alert_rule` adds them.

The commands read the local store (``bash scripts/demo.sh``) or Tempo and Loki
(``SIGNALPOST_LOOKUP_TEMPO``/``_LOKI``); each row they print carries the ID that
``python -m signalpost lookup ID`` takes.
"""

from __future__ import annotations

import json
import re
import urllib.parse

from prometheus.catalog import Alert
from prometheus.knobs import Knobs
from prometheus.labels import ERROR_SOURCE, JOB_TYPE, ROUTE, STATUS_CODE
from signalpost.semconv import attributes as attr
from signalpost.semconv import http, jobs, prometheus_label

__all__ = ["COMMAND", "exemplar_selector", "lookup_annotations", "rendered"]

COMMAND = "python -m signalpost"
SINCE = "1h"
LOKI_UID = "loki"  # the provisioned Loki datasource (grafana/datasources.py)

# Job alerts whose examples are failed runs, and those whose examples are any recent run.
_FAILED_RUNS = frozenset({
    Alert.JOB_FAILED, Alert.JOB_FAILURE_RATIO_HIGH, Alert.JOB_NOT_SUCCEEDED,
    Alert.ERROR_BUDGET_BURN_FAST, Alert.ERROR_BUDGET_BURN_SLOW,
})
_RECENT_RUNS = frozenset({Alert.JOB_RETRY_STORM})
_HTTP_ERRORS = frozenset({
    Alert.ERROR_SPIKE, Alert.ERROR_BUDGET_BURN_FAST, Alert.ERROR_BUDGET_BURN_SLOW,
})
# The request duration histogram carries a trace-ID exemplar per sampled request.
_EXEMPLARS = f"{http.REQUEST_DURATION.name}_bucket"


def exemplar_selector(name: Alert, service_label: str = "service") -> str | None:
    """The series whose exemplars are examples of alert ``name`` (HTTP alerts only)."""
    service = f'{service_label}="{_label(service_label)}"'
    if name is Alert.HIGH_LATENCY:
        return f'{_EXEMPLARS}{{{service}, {ROUTE}="{_label(ROUTE)}"}}'
    if name in _HTTP_ERRORS:
        return f'{_EXEMPLARS}{{{service}, {STATUS_CODE}=~"5.."}}'
    return None


def _label(name: str) -> str:
    return f"{{{{ $labels.{name} }}}}"


def _explore(knobs: Knobs, logql: str, placeholders: dict[str, str]) -> str:
    """A Grafana Explore URL running ``logql`` on Loki over the last hour; each placeholder
    in ``logql`` becomes a URL-escaped label value at notification time."""
    panes = {"lookup": {
        "datasource": LOKI_UID,
        "queries": [{"refId": "A", "datasource": {"type": "loki", "uid": LOKI_UID},
                     "expr": logql, "queryType": "range"}],
        "range": {"from": f"now-{SINCE}", "to": "now"},
    }}
    url = (f"{knobs.urls.grafana.rstrip('/')}/explore?schemaVersion=1&orgId=1&panes="
           + urllib.parse.quote(json.dumps(panes, separators=(",", ":")), safe=""))
    for placeholder, label in placeholders.items():
        url = url.replace(placeholder, f"{{{{ $labels.{label} | urlquery }}}}")
    return url


def lookup_annotations(knobs: Knobs, name: Alert, *, job: bool) -> dict[str, str]:
    """``lookup_command`` and ``logs_url`` for a job alert (``job``: it has a ``job_type``
    label) or an HTTP-error alert; nothing for the others."""
    stream = '{service_name="SERVICE__"}'
    names = {"SERVICE__": knobs.service_label, "JOBTYPE__": JOB_TYPE, "SOURCE__": ERROR_SOURCE}
    if job and name in _FAILED_RUNS | _RECENT_RUNS:
        status = " --status failed" if name in _FAILED_RUNS else ""
        events = "failed|timed_out" if name in _FAILED_RUNS else "succeeded|failed|timed_out"
        logql = (f'{stream} | {JOB_TYPE}="JOBTYPE__" '
                 f'| {prometheus_label(jobs.JOB_EVENT)}=~"{events}"')
        return {
            "lookup_command": f"{COMMAND} runs --type {_label(JOB_TYPE)}{status} --since "
                              f"{SINCE}",
            "logs_url": _explore(knobs, logql, names),
        }
    selector = exemplar_selector(name, knobs.service_label) if not job else None
    found = {"exemplar_selector": selector} if selector else {}
    if not job and name in _HTTP_ERRORS:
        source = _label(ERROR_SOURCE) if name is Alert.ERROR_SPIKE else "http"
        logql_source = "SOURCE__" if name is Alert.ERROR_SPIKE else "http"
        logql = (f'{stream} | {prometheus_label(attr.ERROR_SOURCE)}="{logql_source}" '
                 f'| {prometheus_label(attr.ERROR_FINGERPRINT)}!=""')
        found["lookup_command"] = f"{COMMAND} errors --source {source} --since {SINCE}"
        found["logs_url"] = _explore(knobs, logql, names)
    return found


def rendered(annotations: dict[str, str], labels: dict[str, str]) -> dict[str, str]:
    """``annotations`` as Prometheus renders them for an alert with ``labels`` (the two
    template forms :func:`lookup_annotations` writes; promtool unit tests compare)."""
    out = {}
    for key, text in annotations.items():
        for name, value in labels.items():
            text = text.replace(f"{{{{ $labels.{name} | urlquery }}}}",
                                urllib.parse.quote_plus(value))
            text = text.replace(f"{{{{ $labels.{name} }}}}", value)
        # A label the alert lacks renders empty, as in Prometheus.
        out[key] = re.sub(r"\{\{ \$labels\.\w+(?: \| urlquery)? \}\}", "", text)
    return out

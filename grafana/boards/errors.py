"""Errors: by class and exception type over time, top fingerprints with their latest message
from the error records in Loki, each record linking to its trace, and sample error traces.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from grafana import panels as p
from grafana import queries as q
from grafana.boards.common import Uid, dashboard_url, new_dashboard, runbook
from prometheus.catalog import Alert
from prometheus.knobs import Knobs
from signalpost.semconv import attributes as attr
from signalpost.semconv import errors, jobs

__all__ = ["build"]


def build(knobs: Knobs) -> db.Dashboard:
    """The Errors dashboard."""
    spike = knobs.alerts.error_spike
    counter = f"{q.total(errors.ERRORS)}{q.sel()}"
    dash = new_dashboard(
        Uid.ERRORS,
        "Signalpost / Errors",
        "Unhandled errors by class, exception type and fingerprint, with their records and traces.",
        knobs,
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Errors by class",
            f"Unhandled errors per second by error class (transient, permanent, ...) and source. "
            f"Red from ErrorSpike's minimum rate ({spike.min_rate:g}/s).",
            "ops",
            [
                p.prom(
                    f"sum by ({q.ERROR_SOURCE}, {q.ERROR_CLASS}) (rate({counter}[{q.RATE}]))",
                    f"{{{{{q.ERROR_SOURCE}}}}} {{{{{q.ERROR_CLASS}}}}}",
                )
            ],
            steps=[(None, p.GREEN), (spike.min_rate, p.RED)],
            show_thresholds=True,
            stacked=True,
            links=[runbook(knobs, Alert.ERROR_SPIKE)],
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Errors by exception type",
            "Unhandled errors per second by exception type (the rarest types beyond the cap are "
            "counted as _other).",
            "ops",
            [
                p.prom(
                    f"sum by ({q.EXCEPTION_TYPE}) (rate({counter}[{q.RATE}]))",
                    f"{{{{{q.EXCEPTION_TYPE}}}}}",
                )
            ],
            stacked=True,
        )
    )
    dash = dash.with_panel(
        p.timeseries_panel(
            "Job failures by class and exception type",
            "Job runs that ended failed or timed out, per second, by job type, error class and "
            "exception type.",
            "ops",
            [
                p.prom(
                    f"sum by ({q.JOB_TYPE}, {q.ERROR_CLASS}, {q.EXCEPTION_TYPE}) "
                    f"(rate({q.total(jobs.FAILURES)}{q.sel()}[{q.RATE}]))",
                    f"{{{{{q.JOB_TYPE}}}}} {{{{{q.ERROR_CLASS}}}}} {{{{{q.EXCEPTION_TYPE}}}}}",
                )
            ],
            links=[("Jobs dashboard", dashboard_url(Uid.JOBS))],
        )
    )
    fingerprint = q.field(attr.ERROR_FINGERPRINT)
    records = f'{q.STREAM} | {fingerprint} != ""'
    grouped = ", ".join(
        q.field(key)
        for key in (attr.ERROR_FINGERPRINT, attr.EXCEPTION_TYPE, attr.EXCEPTION_MESSAGE)
    )
    dash = dash.with_panel(
        p.table_panel(
            "Top fingerprints",
            "The 20 most frequent error fingerprints in the time range, with exception type and "
            "message (scrubbed) from the error records in Loki; a fingerprint opens its records.",
            "short",
            [
                p.logql(
                    f"topk(20, sum by ({grouped}) (count_over_time({records} [$__range])))",
                    instant=True,
                )
            ],
            transformations=[
                ("reduce", {"reducers": ["sum"], "mode": "seriesToRows", "labelsToFields": True}),
                ("sortBy", {"sort": [{"field": "Total", "desc": True}]}),
            ],
            column_links=[
                (
                    fingerprint,
                    "Show this fingerprint's records",
                    f"{dashboard_url(Uid.ERRORS)}&var-fingerprint=${{__value.raw}}",
                )
            ],
            span=24,
        )
    )
    dash = dash.with_variable(
        db.TextBoxVariable("fingerprint")
        .label("fingerprint")
        .description("Show only this error fingerprint's records (empty: all).")
    )
    dash = dash.with_panel(
        p.logs_panel(
            "Latest error records",
            "The error records (newest first) with their message, class and fingerprint; the "
            "trace_id field links each record to its sample trace in Tempo.",
            [p.logql(f'{records} | {fingerprint} =~ "${{fingerprint:regex}}.*"')],
        )
    )
    dash = dash.with_panel(
        p.traces_panel(
            "Sample error traces",
            "Recent traces of this service with a span in error status.",
            [p.traceql('{ resource.service.name = "$service" && status = error }')],
        )
    )
    return dash

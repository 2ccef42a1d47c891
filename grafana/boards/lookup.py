"""Request and job lookup: paste a request ID or a job ID, see its log lines, its error record
and its trace.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from grafana import panels as p
from grafana import queries as q
from grafana.boards.common import Uid, new_dashboard
from prometheus.knobs import Knobs
from signalpost.semconv import attributes as attr
from signalpost.semconv import jobs

__all__ = ["build"]


def _id_variable(name: str, what: str) -> db.TextBoxVariable:
    return db.TextBoxVariable(name).label(name.replace("_", " ")).description(what)


def _section(dash: db.Dashboard, what: str, variable: str, attribute: str) -> db.Dashboard:
    key = q.field(attribute)
    trace_id = q.field(attr.TRACE_ID)
    lines = f'{q.STREAM} | {key} = "${variable}"'
    fingerprint = q.field(attr.ERROR_FINGERPRINT)
    dash = dash.with_row(db.Row(f"{what} ${variable}"))
    dash = dash.with_panel(
        p.logs_panel(
            f"Log lines of the {what}",
            f"Every log record whose {key} is ${variable}, newest first; each line's trace_id "
            "opens its trace.",
            [p.logql(lines)],
            span=14,
        )
    )
    dash = dash.with_panel(
        p.table_panel(
            f"Traces of the {what}",
            f"The trace IDs on the {what}'s log records (a job run has one per attempt when "
            "retried); each opens the trace in Tempo.",
            "short",
            [
                p.logql(
                    f'sum by ({trace_id}) (count_over_time({lines} | {trace_id} != "" [$__range]))',
                    instant=True,
                )
            ],
            transformations=[
                ("reduce", {"reducers": ["sum"], "mode": "seriesToRows", "labelsToFields": True})
            ],
            column_links=[(trace_id, "Open the trace", p.trace_link())],
            span=10,
            height=10,
        )
    )
    return dash.with_panel(
        p.logs_panel(
            f"Error record of the {what}",
            f"The structured error record(s) logged for the {what}: exception type, scrubbed "
            "message and stack, error class and fingerprint.",
            [p.logql(f'{lines} | {fingerprint} != ""')],
            height=8,
        )
    )


def build(knobs: Knobs) -> db.Dashboard:
    """The Request and job lookup dashboard."""
    dash = new_dashboard(
        Uid.LOOKUP,
        "Signalpost / Request and job lookup",
        "Paste a request ID (the X-Request-ID response header) or a job ID to see its logs, "
        "error record and trace.",
        knobs,
    )
    dash = dash.with_variable(
        _id_variable("request_id", "The request ID (X-Request-ID response header).")
    ).with_variable(_id_variable("job_id", "The job run's ID."))
    dash = _section(dash, "request", "request_id", attr.REQUEST_ID)
    dash = _section(dash, "job", "job_id", jobs.JOB_ID)
    return dash.with_panel(
        p.traces_panel(
            "Spans of the job",
            "Spans carrying the job ID (the run's span and its attempts).",
            [p.traceql(f'{{ span.{jobs.JOB_ID} = "$job_id" }}')],
        )
    )

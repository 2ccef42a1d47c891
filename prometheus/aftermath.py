"""The inhibition-only companion of a cause: "the cause is happening" apart from "its symptoms
may still lag".

A cause (ServiceDown, DatabaseDown) resolves as soon as its condition clears: on-call hears the
all-clear when it is true, and the recovery runner acts on the RESOLVED notification at once.
The symptoms it explains are computed over windows (latency over 5 minutes, the fast burn's
30-minute short window), so they outlast it. Its aftermath alert (:data:`AFTERMATH`) has the
same expression and ``for``, fires with it, and keeps firing (``keep_firing_for``) the longest
of those windows after it (:func:`prometheus.inhibition.symptom_lag`); Alertmanager inhibits
the symptoms with either, and routes the aftermath to no receiver.
"""

from __future__ import annotations

from prometheus.alerting import Rule
from prometheus.catalog import AFTERMATH, Alert, Severity

__all__ = ["AFTERMATH_ANCHOR", "aftermath_rule"]

AFTERMATH_ANCHOR = "aftermath"
"""The runbook section (``## Aftermath``) of a cause that its aftermath alert links to."""


def aftermath_rule(cause: Rule, hold: str) -> Rule:
    """The aftermath alert of the generated ``cause`` rule, firing ``hold`` after it clears.

    Everything but the name, severity, summary, description and runbook section is the cause's
    (one source of truth: the cause's expression, ``for``, labels and dashboard link).
    """
    name = Alert(cause["alert"])
    rule: Rule = {"alert": str(AFTERMATH[name]), "expr": cause["expr"]}
    if "for" in cause:
        rule["for"] = cause["for"]
    rule["keep_firing_for"] = hold
    rule["labels"] = {**cause["labels"], "severity": str(Severity.INFO)}
    annotations = dict(cause["annotations"])
    annotations["summary"] = f"aftermath of {name}: {cause['annotations']['summary']}"
    annotations["description"] = (
        f"Inhibition only, never notifies: fires with {name} and keeps firing {hold} after it "
        f"resolves, so the symptoms it explains (computed over windows up to {hold}) do not "
        "page after the all-clear."
    )
    annotations["runbook_url"] = f"{cause['annotations']['runbook_url']}#{AFTERMATH_ANCHOR}"
    rule["annotations"] = annotations
    return rule

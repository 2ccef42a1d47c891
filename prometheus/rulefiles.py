"""The rule files: which groups go in which file (under ``rules/``)."""

from __future__ import annotations

from typing import Any

from prometheus import slo
from prometheus.alerts import alert_groups
from prometheus.exporter_alerts import exporter_groups
from prometheus.knobs import Knobs
from prometheus.recording_rules import recording_groups, rollup_group

__all__ = ["group_names", "rule_files"]


def rule_files(knobs: Knobs) -> dict[str, dict[str, Any]]:
    """Rule file name (under ``rules/``) to its content."""
    return {
        "recording.rules.yml": {"groups": recording_groups(knobs)},
        "rollup-1h.rules.yml": {
            "groups": [rollup_group(knobs, "1h", slo.slo_rollups(knobs, "1h"))]
        },
        "rollup-1d.rules.yml": {
            "groups": [rollup_group(knobs, "1d", slo.slo_rollups(knobs, "1d"))]
        },
        "slo.rules.yml": {"groups": slo.slo_groups(knobs)},
        "slo-budget.rules.yml": {"groups": [slo.budget_group(knobs)]},
        "alerts.rules.yml": {"groups": alert_groups(knobs)},
        "exporters.rules.yml": {"groups": exporter_groups(knobs)},
    }


def group_names(knobs: Knobs, *files: str) -> list[str]:
    """Names of the groups in ``files``, in file order then group order."""
    content = rule_files(knobs)
    return [group["name"] for f in files for group in content[f]["groups"]]

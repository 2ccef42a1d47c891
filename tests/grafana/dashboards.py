"""Reading the generated dashboards back: every panel and every query, with variables filled in."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grafana import datasources as ds
from grafana.generate import DASHBOARDS_DIR

__all__ = ["Query", "dashboards", "panels", "queries", "substitute"]

# What Grafana puts in place of its built-in variables when it sends a query.
BUILTINS = {
    "$__rate_interval": "1m",
    "$__range": "1h",
    "$__auto": "1m",
    "$__interval": "15s",
}


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    datasource: str
    text: str
    target: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.dashboard} / {self.panel}"


@functools.cache
def dashboards() -> dict[str, dict[str, Any]]:
    """Dashboard UID → model, for every committed dashboard file."""
    out = {}
    for path in sorted(Path(DASHBOARDS_DIR).glob("*.json")):
        model = json.loads(path.read_text())
        out[model["uid"]] = model
    return out


def panels(model: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in model["panels"]:
        yield panel
        yield from panel.get("panels", [])


def queries(kind: str | None = None) -> list[Query]:
    """Every target of every panel (``kind``: a datasource type such as ``prometheus``)."""
    found = []
    for uid, model in dashboards().items():
        for panel in panels(model):
            panel_ds = (panel.get("datasource") or {}).get("uid")
            for target in panel.get("targets", []):
                source = (target.get("datasource") or {}).get("uid") or panel_ds
                if source is None:
                    raise AssertionError(f"{uid} / {panel['title']}: target without datasource")
                source = ds.uid_of(source)  # the provisioned UID its variable defaults to
                text = target.get("expr") or target.get("rawSql") or target.get("query") or ""
                if kind is None or ds.TYPES.get(source) == kind:
                    found.append(Query(uid, panel["title"], source, text, target))
    return found


def substitute(text: str, values: dict[str, str]) -> str:
    """Fill in Grafana's built-in variables and the dashboard's own (``$name``, ``${name}``)."""
    for name, value in BUILTINS.items():
        text = text.replace(name, value)

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        name = name.split(":")[0]
        if name not in values:
            raise KeyError(f"no value for variable ${name} in {text!r}")
        return values[name]

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_:]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)", one, text)

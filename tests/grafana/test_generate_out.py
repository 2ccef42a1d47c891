"""``python -m grafana.generate --knobs K --out DIR`` for someone else's service: the dashboards
name only what K names, take their datasources as variables, and DIR keeps every dashboard
the generator did not write."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from grafana import datasources as ds
from grafana.boards.common import GENERATED_TAG, TAG
from grafana.generate import main, render_all
from prometheus.knobs import DEFAULT_KNOBS, load_knobs


def _own_knobs(path: Path) -> Path:
    """The default knobs with another service's names: services, job types, SLOs."""
    knobs = yaml.safe_load(DEFAULT_KNOBS.read_text(encoding="utf-8"))
    knobs["services"] = {"checkout-api": {"app": ["checkout:8000"]}}
    knobs["job_types"] = {"invoice_export": {"succeed_every": "1d", "no_progress_after": "20m"}}
    knobs["slos"]["objectives"] = [
        {"name": "checkout-ok", "kind": "http_availability", "target": 0.995},
        {"name": "invoices-exported", "kind": "job_success", "job_type": "invoice_export",
         "target": 0.95},
    ]
    path.write_text(yaml.safe_dump(knobs), encoding="utf-8")
    return path


def _names(path: Path) -> set[str]:
    knobs = load_knobs(path)
    return {*knobs.services, *knobs.job_types, *(o.name for o in knobs.slos.objectives)}


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


@pytest.fixture
def out(tmp_path: Path) -> Path:
    directory = tmp_path / "dashboards"
    directory.mkdir()
    return directory


def test_dashboards_name_only_what_the_knobs_name(tmp_path: Path, out: Path) -> None:
    knobs = _own_knobs(tmp_path / "knobs.yaml")
    assert main(["--knobs", str(knobs), "--out", str(out)]) == 0
    text = "".join(p.read_text() for p in sorted(out.glob("*.json")))
    others = _names(DEFAULT_KNOBS) - _names(knobs)
    assert others, "the test knobs must differ from the default ones"
    assert [n for n in sorted(others) if _mentions(text, n)] == []
    for name in ("checkout-ok", "invoices-exported", "invoice_export"):
        assert _mentions(text, name), name


def _datasource_refs(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node["datasource"]] if isinstance(node.get("datasource"), dict) else []
        return found + [r for value in node.values() for r in _datasource_refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _datasource_refs(value)]
    return []


def test_datasources_are_variables_defaulting_to_the_provisioned_uids() -> None:
    for name, text in render_all(load_knobs()).items():
        model = json.loads(text)
        variables = [v for v in model["templating"]["list"] if v["type"] == "datasource"]
        by_name = {v["name"]: v for v in variables}
        refs = _datasource_refs(model)
        assert refs, name
        for ref in refs:
            # Every reference goes through a variable of the dashboard, of the right type.
            variable = by_name[ref["uid"][2:-1]]
            uid = ds.uid_of(ref["uid"])
            assert variable["query"] == ref["type"] == ds.TYPES[uid]
            assert variable["current"]["value"] == uid
        # Declared before the variables whose queries use them.
        kinds = [v["type"] for v in model["templating"]["list"]]
        assert kinds == sorted(kinds, key=lambda kind: kind != "datasource"), name
        hard_coded = [f'"uid": "{uid}"' for uid in ds.TYPES if f'"uid": "{uid}"' in text]
        assert hard_coded == [], name


@pytest.mark.parametrize("uid", ["signalpost-service", "signalpost-jobs"])
def test_replicated_dashboards_filter_raw_series_by_instance(uid: str) -> None:
    model = json.loads(render_all(load_knobs())[f"{uid}.json"])
    (instance,) = [v for v in model["templating"]["list"] if v["name"] == "instance"]
    assert instance["multi"] and instance["includeAll"]
    exprs = [t["expr"] for panel in model["panels"] for t in panel.get("targets", [])
             if "expr" in t]
    filtered = [e for e in exprs if 'instance=~"$instance"' in e]
    assert len(filtered) >= 4, exprs
    # The filter only goes on raw series: recording rules have no instance label.
    assert not [e for e in filtered if re.search(r"\w:\w+:\w+\{[^}]*instance=", e)]


def test_out_keeps_the_user_s_dashboards_and_removes_only_its_own_stale_ones(
    out: Path,
) -> None:
    own = {"uid": "my-board", "title": "Mine", "tags": [TAG], "panels": []}
    (out / "my-board.json").write_text(json.dumps(own))
    (out / "notes.json").write_text("not json at all")
    stale = {"uid": "signalpost-retired", "tags": [TAG, GENERATED_TAG], "panels": []}
    (out / "signalpost-retired.json").write_text(json.dumps(stale))
    copied = {**stale, "uid": "signalpost-copy"}  # a copy saved under another name
    (out / "my-copy.json").write_text(json.dumps(copied))

    assert main(["--out", str(out)]) == 0
    assert main(["--out", str(out)]) == 0  # again: idempotent

    names = {p.name for p in out.glob("*.json")}
    generated = set(render_all(load_knobs()))
    assert names == generated | {"my-board.json", "notes.json", "my-copy.json"}
    assert json.loads((out / "my-board.json").read_text()) == own
    assert (out / "notes.json").read_text() == "not json at all"

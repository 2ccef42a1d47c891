"""Write every dashboard's JSON under ``grafana/dashboards/`` (run ``python -m grafana.generate``
from the repository root). Thresholds come from the same knobs file as the alerts.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.cog.encoder import JSONEncoder

from grafana import datasources as ds
from grafana.boards import alerts, errors, health, host, jobs, longterm, lookup, postgres, service
from grafana.boards.common import GENERATED_TAG
from prometheus.knobs import DEFAULT_KNOBS, Knobs, load_knobs

__all__ = ["BOARDS", "DASHBOARDS_DIR", "generated_before", "main", "render_all"]

DASHBOARDS_DIR = Path(__file__).with_name("dashboards")
BOARDS: tuple[Callable[[Knobs], db.Dashboard], ...] = (
    service.build,
    jobs.build,
    errors.build,
    health.build,
    alerts.build,
    lookup.build,
    longterm.build,
    host.build,
    postgres.build,
)


def _json(model: Any) -> str:
    return json.dumps(model, cls=JSONEncoder, sort_keys=True, indent=2) + "\n"


def render_all(knobs: Knobs) -> dict[str, str]:
    """File name → JSON text of every dashboard."""
    out: dict[str, str] = {}
    for build in BOARDS:
        model: Any = build(knobs).build()
        # Datasource variables first: the query variables after them use them.
        model.templating.list_val[:0] = [v.build() for v in ds.variables(_json(model))]
        out[f"{model.uid}.json"] = _json(model)
    return out


def generated_before(path: Path) -> bool:
    """Whether ``path`` is a dashboard this generator wrote: named after its UID and carrying
    :data:`~grafana.boards.common.GENERATED_TAG`. Anything else in the directory is the
    user's and is never touched."""
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return (
        isinstance(model, dict)
        and path.name == f"{model.get('uid')}.json"
        and GENERATED_TAG in (model.get("tags") or [])
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: write the dashboards generated from ``--knobs`` into ``--out``, and
    remove the ones it generated before that no longer exist (other files stay)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--knobs", type=Path, default=DEFAULT_KNOBS)
    parser.add_argument("--out", type=Path, default=DASHBOARDS_DIR)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rendered = render_all(load_knobs(args.knobs))
    for path in sorted(args.out.glob("*.json")):
        if path.name not in rendered and generated_before(path):
            path.unlink()
    for name, text in rendered.items():
        (args.out / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(rendered)} dashboards to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

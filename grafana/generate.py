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

from grafana.boards import alerts, errors, health, jobs, longterm, lookup, service
from prometheus.knobs import DEFAULT_KNOBS, Knobs, load_knobs

__all__ = ["BOARDS", "DASHBOARDS_DIR", "render_all"]

DASHBOARDS_DIR = Path(__file__).with_name("dashboards")
BOARDS: tuple[Callable[[Knobs], db.Dashboard], ...] = (
    service.build,
    jobs.build,
    errors.build,
    health.build,
    alerts.build,
    lookup.build,
    longterm.build,
)


def render_all(knobs: Knobs) -> dict[str, str]:
    """File name → JSON text of every dashboard."""
    out: dict[str, str] = {}
    for build in BOARDS:
        model: Any = build(knobs).build()
        text = json.dumps(model, cls=JSONEncoder, sort_keys=True, indent=2) + "\n"
        out[f"{model.uid}.json"] = text
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--knobs", type=Path, default=DEFAULT_KNOBS)
    parser.add_argument("--out", type=Path, default=DASHBOARDS_DIR)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    rendered = render_all(load_knobs(args.knobs))
    for stale in set(p.name for p in args.out.glob("*.json")) - set(rendered):
        (args.out / stale).unlink()
    for name, text in rendered.items():
        (args.out / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(rendered)} dashboards to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

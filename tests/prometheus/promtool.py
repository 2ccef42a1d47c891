"""What the Prometheus tests share: promtool runs and the rules of a generated folder."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

__all__ = ["check", "rules_in"]


def check(*args: str | Path) -> None:
    """Run ``promtool check ...`` and fail the test with its output unless it accepts."""
    result = subprocess.run(
        ["promtool", "check", *map(str, args)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def rules_in(folder: Path) -> list[dict[str, Any]]:
    """Every rule (recording and alerting) of the ``*.rules.yml`` files in ``folder``."""
    return [
        rule
        for path in sorted(folder.glob("*.rules.yml"))
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
        for rule in group["rules"]
    ]

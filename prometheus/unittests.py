"""promtool unit tests of the generated rules (filled in below)."""

from __future__ import annotations

from typing import Any

from prometheus.knobs import Knobs

__all__ = ["test_files"]


def test_files(knobs: Knobs) -> dict[str, dict[str, Any]]:
    """Test file name (under ``tests/``) to its content."""
    return {}

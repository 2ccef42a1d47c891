"""The value types of the knobs files: Prometheus durations, ratios, strict sections."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = ["Duration", "Ratio", "Strict", "seconds"]

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_DURATION = re.compile(r"^(?:(\d+)(ms|s|m|h|d|w|y))+$")
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")


def seconds(duration: str) -> float:
    """Return a Prometheus duration (``1h30m``, ``5m``, ``0m``) in seconds."""
    if not _DURATION.match(duration):
        raise ValueError(f"not a Prometheus duration: {duration!r} (expected e.g. 30s, 5m, 6h, 1d)")
    return sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(duration))


def _check_duration(value: str) -> str:
    seconds(value)
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]
Ratio = Annotated[float, Field(gt=0, lt=1)]


class Strict(BaseModel):
    """A knobs section: unknown keys refused, values frozen, keys by alias or by name."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

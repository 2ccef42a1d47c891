"""The settings every built-in check shares: :class:`CheckSettings`."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from signalpost.runtime import deprecated_collaborators

__all__ = ["BuiltinCheck", "CheckSettings", "check_settings"]

_INSTEAD = "settings=CheckSettings(...)"


@dataclass(frozen=True)
class CheckSettings:
    """How a built-in check is named, scheduled and judged; ``None`` keeps the check's default.

    Example:
        >>> HttpCheck("https://payments.internal/healthz",
        ...           settings=CheckSettings(name="payments", critical=True, interval=10))

    Attributes:
        name: Check name (metric label), unique and stable; required by the HTTP and TCP
            checks, which have no natural one.
        critical: Whether readiness depends on it.
        timeout: Seconds before a run counts as failed.
        interval: Seconds between the starts of two runs.
        degraded_after: Latency in seconds above which the result is degraded (the checks
            that time something: PostgreSQL, HTTP, TCP).
    """

    name: str | None = None
    critical: bool | None = None
    timeout: float | None = None
    interval: float | None = None
    degraded_after: float | None = None

    def over(self, defaults: CheckSettings) -> CheckSettings:
        """These settings, with each one left ``None`` taken from ``defaults``."""
        given = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) is not None
        }
        return dataclasses.replace(defaults, **given)


_FIELDS = tuple(field.name for field in dataclasses.fields(CheckSettings))


def check_settings(
    owner: str,
    defaults: CheckSettings,
    settings: CheckSettings | None,
    deprecated: Mapping[str, Any],
    collaborators: Collection[str] = (),
    others: Mapping[str, str] | None = None,
) -> tuple[CheckSettings, dict[str, Any]]:
    """Resolve a check's settings: the keywords it took before ``settings=`` over
    ``settings`` over ``defaults``. One warning covers them, the deprecated
    ``collaborators`` (replaced by ``runtime=``) and the ``others`` (keyword: replacement).

    Returns:
        The settings, with every field set but ``degraded_after`` for a check that times
        nothing, and the deprecated collaborators and others given.

    Raises:
        TypeError: A keyword ``owner`` never accepted, or no name for a check that needs one.
    """
    timed = defaults.degraded_after is not None
    accepted = {name: _INSTEAD for name in _FIELDS if timed or name != "degraded_after"}
    accepted.update({name: "runtime=Runtime(...)" for name in collaborators})
    accepted.update(others or {})
    found = deprecated_collaborators(owner, deprecated, accepted, depth=3, instead=accepted)
    keywords = CheckSettings(**{name: found.pop(name) for name in _FIELDS if name in found})
    resolved = keywords.over((settings or CheckSettings()).over(defaults))
    if resolved.name is None:
        raise TypeError(f"{owner}() needs a name: settings=CheckSettings(name=...)")
    if not timed and resolved.degraded_after is not None:
        raise TypeError(f"{owner}() times nothing: CheckSettings(degraded_after=) is not for it")
    return resolved, found


class BuiltinCheck:
    """What the built-in checks share: their settings as the attributes a
    :class:`~signalpost.health.HealthCheck` has, resolved once at construction."""

    DEFAULTS = CheckSettings(critical=False, timeout=5.0, interval=30.0)
    """The check's own defaults (each built-in check sets its own)."""

    name: str
    critical: bool
    timeout: float
    interval: float
    degraded_after: float
    """Latency above which a run is degraded (infinite for the checks that time nothing)."""

    def _settle(
        self,
        settings: CheckSettings | None,
        deprecated: Mapping[str, Any],
        collaborators: Collection[str] = (),
        others: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Set the check's settings (see :func:`check_settings`); return the deprecated
        collaborators and others given."""
        resolved, given = check_settings(
            type(self).__name__, self.DEFAULTS, settings, deprecated, collaborators, others
        )
        self.name = str(resolved.name)
        self.critical = bool(resolved.critical)
        self.timeout = float(resolved.timeout or 0.0)
        self.interval = float(resolved.interval or 0.0)
        limit = resolved.degraded_after
        self.degraded_after = math.inf if limit is None else limit
        return given

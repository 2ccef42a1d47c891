"""The recovery runner's configuration: which alert, which labels, which procedure, what limits.

Loaded from a YAML file (``alertmanager/recovery/recovery.yaml`` is the project's own); every
key is checked and an error is one line naming the file, the key and what was expected::

    dry_run: false                  # true: record what would be done, do nothing
    allow: [cancel_stuck_jobs]      # the allow-list: a rule naming another procedure never runs
    escalation: {alertname: RecoveryFailed, severity: critical}
    verify_every: 1s                # how often the verification asks
    rules:
      - name: stuck-jobs
        alert: JobStuck
        matchers: {service: demo-worker}   # label equality, all must hold
        when: firing                       # or resolved (`on` is a YAML boolean)
        procedure: cancel_stuck_jobs
        target_labels: [service, job_type] # what "the same target" means for the rate limit
        max_per_target: 2                  # actions per target per window
        max_per_procedure: 10              # actions of the procedure per window (all targets)
        window: 1h
        verify_within: 90s                 # the alert must resolve within this, or escalate
        dry_run: false                     # per rule, on top of the global switch
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from prometheus.catalog import POSTED, Alert

__all__ = ["DEFAULT_CONFIG", "ConfigError", "Escalation", "RecoveryConfig", "Rule",
           "load_config", "parse_config", "parse_duration"]

DEFAULT_CONFIG = Path(__file__).with_name("recovery.yaml")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class ConfigError(ValueError):
    """A key is missing, unknown or of the wrong type (one line: file, key, expected)."""


def parse_duration(value: object, where: str) -> float:
    """Seconds in a duration such as ``90s``, ``5m`` or ``1h``."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise ConfigError(f"{where} must be a duration like 90s, 5m or 1h, got {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class Rule:
    """One rule: an alert (and labels) mapped to a procedure with its limits."""

    name: str
    alert: str
    matchers: Mapping[str, str]
    when: str
    procedure: str
    target_labels: tuple[str, ...]
    max_per_target: int
    max_per_procedure: int
    window: float
    verify_within: float
    dry_run: bool

    def matches(self, labels: Mapping[str, str], status: str) -> bool:
        """Whether an alert with ``labels`` and ``status`` falls under this rule."""
        return (
            status == self.when
            and labels.get("alertname") == self.alert
            and all(labels.get(k) == v for k, v in self.matchers.items())
        )

    def target(self, labels: Mapping[str, str]) -> str:
        """The target key of an alert: its ``target_labels``, e.g. ``service=a,job_type=b``."""
        return ",".join(f"{k}={labels.get(k, '')}" for k in self.target_labels)


@dataclass(frozen=True)
class Escalation:
    """The alert posted to Alertmanager when a procedure did not help."""

    alertname: str = Alert.RECOVERY_FAILED.value
    severity: str = POSTED[Alert.RECOVERY_FAILED].value
    runbook_url: str | None = None
    """Sent as the ``runbook_url`` annotation (``RECOVERY_RUNBOOK_URL`` overrides it)."""


@dataclass(frozen=True)
class RecoveryConfig:
    """The whole configuration."""

    dry_run: bool
    allow: frozenset[str]
    escalation: Escalation
    verify_every: float
    rules: tuple[Rule, ...]

    def alertnames(self) -> list[str]:
        """The alerts that have a rule, sorted (the generated route sends these)."""
        return sorted({rule.alert for rule in self.rules})


def _keys(data: Mapping[str, Any], where: str, allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s): {', '.join(map(str, unknown))}")
    missing = sorted(required - set(data))
    if missing:
        raise ConfigError(f"{where}: missing key(s): {', '.join(missing)}")


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false, got {value!r}")
    return value


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where} must be a whole number of at least 1, got {value!r}")
    return value


def _name(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} must be a non-empty string, got {value!r}")
    return value


def _rule(data: object, where: str) -> Rule:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must be a mapping")
    _keys(data, where, {"name", "alert", "matchers", "when", "procedure", "target_labels",
                        "max_per_target", "max_per_procedure", "window", "verify_within",
                        "dry_run"},
          {"name", "alert", "procedure", "target_labels", "max_per_target",
           "max_per_procedure", "window", "verify_within"})
    matchers = data.get("matchers") or {}
    if not isinstance(matchers, Mapping) or not all(
        isinstance(k, str) and _LABEL.match(k) and isinstance(v, str) for k, v in matchers.items()
    ):
        raise ConfigError(f"{where}.matchers must map label names to strings")
    labels = data["target_labels"]
    if not isinstance(labels, list) or not labels or not all(
        isinstance(x, str) and _LABEL.match(x) for x in labels
    ):
        raise ConfigError(f"{where}.target_labels must be a non-empty list of label names")
    when = data.get("when", "firing")
    if when not in ("firing", "resolved"):
        raise ConfigError(f"{where}.when must be 'firing' or 'resolved', got {when!r}")
    return Rule(
        name=_name(data["name"], f"{where}.name"),
        alert=_name(data["alert"], f"{where}.alert"),
        matchers=dict(matchers),
        when=when,
        procedure=_name(data["procedure"], f"{where}.procedure"),
        target_labels=tuple(labels),
        max_per_target=_count(data["max_per_target"], f"{where}.max_per_target"),
        max_per_procedure=_count(data["max_per_procedure"], f"{where}.max_per_procedure"),
        window=parse_duration(data["window"], f"{where}.window"),
        verify_within=parse_duration(data["verify_within"], f"{where}.verify_within"),
        dry_run=_bool(data.get("dry_run", False), f"{where}.dry_run"),
    )


def parse_config(data: object, source: str = "<recovery config>") -> RecoveryConfig:
    """Check and convert the parsed YAML of a recovery configuration.

    Raises:
        ConfigError: A key is missing, unknown or invalid; two rules share a name.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: the file must hold a mapping")
    _keys(data, source, {"dry_run", "allow", "escalation", "verify_every", "rules"},
          {"allow", "rules"})
    allow = data["allow"]
    if not isinstance(allow, list) or not all(isinstance(x, str) for x in allow):
        raise ConfigError(f"{source}: allow must be a list of procedure names")
    escalation = data.get("escalation") or {}
    if not isinstance(escalation, Mapping):
        raise ConfigError(f"{source}: escalation must be a mapping")
    _keys(escalation, f"{source}: escalation", {"alertname", "severity", "runbook_url"}, set())
    rules_data = data["rules"]
    if not isinstance(rules_data, list):
        raise ConfigError(f"{source}: rules must be a list")
    rules = tuple(_rule(r, f"{source}: rules[{i}]") for i, r in enumerate(rules_data))
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        raise ConfigError(f"{source}: rule names must be unique")
    return RecoveryConfig(
        dry_run=_bool(data.get("dry_run", False), f"{source}: dry_run"),
        allow=frozenset(allow),
        escalation=Escalation(
            alertname=_name(escalation.get("alertname", Escalation.alertname),
                            f"{source}: escalation.alertname"),
            severity=_name(escalation.get("severity", Escalation.severity),
                           f"{source}: escalation.severity"),
            runbook_url=(None if escalation.get("runbook_url") is None else _name(
                escalation["runbook_url"], f"{source}: escalation.runbook_url")),
        ),
        verify_every=parse_duration(data.get("verify_every", "1s"), f"{source}: verify_every"),
        rules=rules,
    )


def load_config(path: str | Path = DEFAULT_CONFIG) -> RecoveryConfig:
    """Read and check a recovery configuration file.

    Raises:
        ConfigError: The file cannot be read or parsed, or a key is invalid.
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {str(error).splitlines()[0]}") from None
    return parse_config(data, str(path))

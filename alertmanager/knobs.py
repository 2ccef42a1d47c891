"""The knobs of the Alertmanager configuration: receiver addresses, timings, secret file paths.

Loaded from a YAML file (``alertmanager/knobs.yaml`` is the project's own); every key is
checked, and an error is one line naming the file, the key and what was expected. A relative
``templates_dir`` is resolved against the knobs file's folder (without it: Signalpost's own
templates); a disabled chat receiver needs no other key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "ChatKnobs",
    "EmailKnobs",
    "Knobs",
    "KnobsError",
    "PagerKnobs",
    "RecoveryKnobs",
    "Timing",
    "WebhookKnobs",
    "load_knobs",
]

DEFAULT_KNOBS = Path(__file__).with_name("knobs.yaml")
DEFAULT_TEMPLATES = Path(__file__).with_name("templates")
_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$|^0$")


class KnobsError(ValueError):
    """A knob is missing, unknown or of the wrong type."""


@dataclass(frozen=True)
class Timing:
    """Grouping and repetition intervals (Alertmanager durations such as ``30s``)."""

    group_wait: str
    group_interval: str
    critical_repeat_interval: str
    warning_repeat_interval: str
    watchdog_interval: str


@dataclass(frozen=True)
class PagerKnobs:
    """The pager-style webhook for critical alerts."""

    url: str
    credentials_file: str | None = None


@dataclass(frozen=True)
class EmailKnobs:
    """Email for critical and warning alerts."""

    to: str
    from_: str
    smarthost: str
    auth_username: str | None = None
    auth_password_file: str | None = None
    require_tls: bool = True


@dataclass(frozen=True)
class ChatKnobs:
    """A Slack-compatible chat webhook, off until ``enabled``; the URL is in a secret file."""

    enabled: bool
    api_url_file: str | None = None
    channel: str | None = None


@dataclass(frozen=True)
class WebhookKnobs:
    """A plain webhook (the Watchdog's dead man's switch, the alert history receiver)."""

    url: str


@dataclass(frozen=True)
class RecoveryKnobs:
    """The recovery runner (alertmanager/recovery): its URL and its rules file, whose alerts
    are routed to it (a relative ``rules`` is resolved against the knobs file's folder;
    without it: Signalpost's own ``alertmanager/recovery/recovery.yaml``)."""

    url: str
    rules: str = str(Path(__file__).parent / "recovery" / "recovery.yaml")
    credentials_file: str | None = None
    """The file holding the bearer token the runner requires (``RECOVERY_WEBHOOK_TOKEN_FILE``
    of the runner); sent as the webhook's ``Authorization`` header."""
    group_interval: str = "10s"
    """The ``group_interval`` of the runner's route: how soon it hears that an alert it was told
    of resolved (a resolution starts ``reenqueue_after_outage``). The people's routes keep
    ``timing.group_interval``: minutes there would delay the recovery by minutes."""


@dataclass(frozen=True)
class Knobs:
    """Everything the generator needs besides the alert catalog."""

    templates_dir: str
    timing: Timing
    pager: PagerKnobs
    email: EmailKnobs
    chat: ChatKnobs
    watchdog: WebhookKnobs
    history: WebhookKnobs
    recovery: RecoveryKnobs | None = None

    def with_receivers(self, **receivers: Any) -> Knobs:
        """A copy with some knobs replaced (a local stack or a test derives its own)."""
        return replace(self, **receivers)


def _section(source: str, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise KnobsError(f"{source}: {key!r} must be a mapping, got {value!r}")
    return value


def _build(source: str, where: str, cls: type[Any], data: Mapping[str, Any]) -> Any:
    known = {f.name.rstrip("_"): f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise KnobsError(f"{source}: unknown key(s) in {where}: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for key, field in known.items():
        if key not in data:
            if field.default is MISSING:
                raise KnobsError(f"{source}: {where}.{key} is required")
            continue
        value = data[key]
        expected = str(field.type)
        if "bool" in expected and not isinstance(value, bool):
            raise KnobsError(f"{source}: {where}.{key} must be true or false, got {value!r}")
        if "str" in expected and "bool" not in expected:
            if not (isinstance(value, str) or (value is None and "None" in expected)):
                raise KnobsError(f"{source}: {where}.{key} must be a string, got {value!r}")
        if cls is Timing and not _DURATION.match(value):
            raise KnobsError(f"{source}: {where}.{key} must be a duration like 30s, got {value!r}")
        values[field.name] = value
    return cls(**values)


def parse_knobs(
    data: Mapping[str, Any], source: str = "<knobs>", base: Path | None = None
) -> Knobs:
    """Check and convert a knobs mapping (the parsed YAML).

    Args:
        data: The parsed YAML.
        source: The file named in error messages.
        base: The folder a relative ``templates_dir`` is resolved against (the knobs file's).
    """
    unknown = sorted(set(data) - {"templates_dir", "timing", "receivers"})
    if unknown:
        raise KnobsError(f"{source}: unknown top-level key(s): {', '.join(unknown)}")
    templates_dir = data.get("templates_dir", str(DEFAULT_TEMPLATES))
    if not isinstance(templates_dir, str) or not templates_dir:
        raise KnobsError(f"{source}: templates_dir must be a folder path, got {templates_dir!r}")
    if not Path(templates_dir).is_absolute():
        templates_dir = str(((base or Path.cwd()) / templates_dir).resolve())
    receivers = _section(source, data, "receivers")
    extra = sorted(set(receivers) - {"pager", "email", "chat", "watchdog", "history",
                                        "recovery"})
    if extra:
        raise KnobsError(f"{source}: unknown receiver(s): {', '.join(extra)}")
    chat = _build(
        source, "receivers.chat", ChatKnobs, receivers.get("chat") or {"enabled": False}
    )
    if chat.enabled:
        for key in ("api_url_file", "channel"):
            if not getattr(chat, key):
                raise KnobsError(f"{source}: receivers.chat.{key} is required when chat is enabled")
    recovery = None
    if receivers.get("recovery") is not None:
        recovery = _build(source, "receivers.recovery", RecoveryKnobs,
                          _section(source, receivers, "recovery"))
        if not Path(recovery.rules).is_absolute():
            rules = str(((base or Path.cwd()) / recovery.rules).resolve())
            recovery = replace(recovery, rules=rules)
    return Knobs(
        recovery=recovery,
        templates_dir=templates_dir,
        timing=_build(source, "timing", Timing, _section(source, data, "timing")),
        pager=_build(source, "receivers.pager", PagerKnobs, _section(source, receivers, "pager")),
        email=_build(source, "receivers.email", EmailKnobs, _section(source, receivers, "email")),
        chat=chat,
        watchdog=_build(
            source, "receivers.watchdog", WebhookKnobs, _section(source, receivers, "watchdog")
        ),
        history=_build(
            source, "receivers.history", WebhookKnobs, _section(source, receivers, "history")
        ),
    )


def load_knobs(path: str | Path = DEFAULT_KNOBS) -> Knobs:
    """Read and check a knobs YAML file.

    Raises:
        KnobsError: The file cannot be read or parsed, or a knob is invalid (one line).
    """
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as error:
        raise KnobsError(f"{path}: cannot read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise KnobsError(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, Mapping):
        raise KnobsError(f"{path}: the knobs file must hold a mapping")
    return parse_knobs(data, str(path), Path(path).resolve().parent)

"""The knobs of the Kubernetes output and of the Thanos long-term store (``kubernetes/knobs.yaml``).

Every key is checked; an invalid file stops with one line naming the file, the key and why.
The services, jobs and rules are not here: they come from the Prometheus knobs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from prometheus.config import RETENTION
from prometheus.knobs import seconds

__all__ = [
    "DEFAULT_KNOBS",
    "AlertmanagerKnobs",
    "AppsKnobs",
    "DashboardsKnobs",
    "K8sKnobs",
    "KnobsError",
    "MetricsAuth",
    "Objstore",
    "Retention",
    "ThanosKnobs",
    "load_knobs",
]

DEFAULT_KNOBS = Path(__file__).with_name("knobs.yaml")

# RFC 1123 names: what Kubernetes accepts for namespaces, Services, Secrets and ConfigMaps.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_THANOS_DURATION = re.compile(r"^(0|\d+[smhdwy])$")
# Providers of thanos-io/objstore (its README's "Supported Providers").
OBJSTORE_TYPES = frozenset(
    {"S3", "GCS", "AZURE", "SWIFT", "COS", "ALIYUNOSS", "BOS", "FILESYSTEM", "OCI", "OBS"}
)
# Keys of the objstore configs that hold credentials: they stay out of the knobs and of the
# generated file (workload identity, or the provider's environment variables).
_CREDENTIAL_KEYS = frozenset(
    {"access_key", "secret_key", "session_token", "service_account", "storage_account_key",
     "password", "secret_id", "application_credential_secret"}
)


class KnobsError(ValueError):
    """An invalid knobs file; the message is one line naming the file and the key."""


def _name(value: str, *, label: bool = False) -> str:
    pattern, limit = (DNS_LABEL, 63) if label else (DNS_SUBDOMAIN, 253)
    if len(value) > limit or not pattern.match(value):
        kind = "RFC 1123 label" if label else "RFC 1123 subdomain"
        raise ValueError(f"{value!r} is not a Kubernetes name ({kind}: a-z, 0-9, '-')")
    return value


def _label_name(value: str) -> str:
    return _name(value, label=True)


ResourceName = Annotated[str, AfterValidator(_name)]
"""The name of a Secret, Service or ConfigMap (RFC 1123 subdomain)."""
Namespace = Annotated[str, AfterValidator(_label_name)]
"""The name of a namespace (RFC 1123 label)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MetricsAuth(_Strict):
    """Credentials Prometheus sends to /metrics, from a Secret in the apps' namespace."""

    type: Literal["basic", "bearer"]
    secret: ResourceName


class AppsKnobs(_Strict):
    """Where the services' Kubernetes Services are and how their /metrics is served."""

    namespace: Namespace = "default"
    port: str = "metrics"
    path: str = "/metrics"
    metrics_auth: MetricsAuth | None = None

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"{value!r} must start with '/'")
        return value


class AlertmanagerKnobs(_Strict):
    """The Secrets of the operator's Alertmanager: its configuration and its credentials."""

    config_secret: ResourceName = "alertmanager-signalpost"
    secrets_secret: ResourceName = "alertmanager-signalpost-secrets"


class DashboardsKnobs(_Strict):
    """What the Grafana sidecar watches: a label, and the annotation naming the folder."""

    label: str = "grafana_dashboard"
    label_value: str = "1"
    folder_annotation: str = "grafana_folder"
    folder: str = "Signalpost"


class Retention(_Strict):
    """Thanos compactor retention per resolution (``0d`` keeps forever).

    Defaults: the long-term stores' own (:data:`prometheus.config.RETENTION`).
    """

    raw: str = RETENTION["1h"]
    five_minutes: str = Field(RETENTION["1h"], alias="5m")
    one_hour: str = Field(RETENTION["1d"], alias="1h")

    @field_validator("raw", "five_minutes", "one_hour")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not _THANOS_DURATION.match(value):
            raise ValueError(f"{value!r} is not a duration like 30d or 0d")
        return value

    @model_validator(mode="after")
    def _downsampling_possible(self) -> Retention:
        # thanos compact refuses these itself (thanos-io/thanos#5059): the 5m resolution is made
        # from raw blocks of 40h, the 1h resolution from 5m blocks of 10 days.
        if 0 < seconds(self.raw) < seconds("40h"):
            raise ValueError(f"raw retention {self.raw} is shorter than 40h: nothing downsampled")
        if 0 < seconds(self.five_minutes) < seconds("10d"):
            raise ValueError(f"5m retention {self.five_minutes} is shorter than 10d: no 1h data")
        return self


class Objstore(_Strict):
    """The Thanos object storage configuration (``type`` and provider ``config``)."""

    type: str
    config: dict[str, object]

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in OBJSTORE_TYPES:
            raise ValueError(f"{value!r} is not one of {', '.join(sorted(OBJSTORE_TYPES))}")
        return value

    @field_validator("config")
    @classmethod
    def _no_credentials(cls, value: dict[str, object]) -> dict[str, object]:
        secrets = sorted(_CREDENTIAL_KEYS & set(value))
        if secrets:
            raise ValueError(f"credentials ({', '.join(secrets)}) do not belong in the knobs")
        return value


class ThanosKnobs(_Strict):
    """Thanos Receive behind the roll-ups' remote write, and the compactor's retention."""

    write_url: str
    receivers: Annotated[list[str], Field(min_length=1)]
    replication_factor: int = 1
    prometheus_replica_labels: list[Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")]] = [
        "prometheus_replica"
    ]
    objstore: Objstore
    retention: Retention = Field(default_factory=lambda: Retention.model_validate({}))

    @field_validator("receivers")
    @classmethod
    def _host_port(cls, value: list[str]) -> list[str]:
        for address in value:
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"{address!r} is not host:port")
        if len(set(value)) != len(value):
            raise ValueError("a receiver is listed twice")
        return value

    @field_validator("write_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/]+/", value):
            raise ValueError(f"{value!r} is not an http(s) URL with a path")
        return value

    @model_validator(mode="after")
    def _replication(self) -> ThanosKnobs:
        # Receive needs a quorum of (factor + 1) / 2 writes: an even factor buys nothing.
        factor = self.replication_factor
        if factor < 1 or factor % 2 == 0 or factor > len(self.receivers):
            raise ValueError(
                f"replication_factor {factor} must be odd and at most the number of receivers"
                f" ({len(self.receivers)})"
            )
        return self


class K8sKnobs(_Strict):
    """Everything the Kubernetes generator needs besides the Prometheus and Alertmanager knobs."""

    namespace: Namespace = "monitoring"
    labels: dict[str, str] = {}
    apps: AppsKnobs = AppsKnobs()
    alertmanager: AlertmanagerKnobs = AlertmanagerKnobs()
    dashboards: DashboardsKnobs = DashboardsKnobs()
    thanos: ThanosKnobs


def load_knobs(path: Path = DEFAULT_KNOBS) -> K8sKnobs:
    """Read and check a knobs file.

    Raises:
        KnobsError: naming the file, the first invalid key and why.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KnobsError(f"{path}: {exc}") from exc
    try:
        return K8sKnobs.model_validate(data if data is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        raise KnobsError(f"{path}: {key}: {first['msg']}") from exc

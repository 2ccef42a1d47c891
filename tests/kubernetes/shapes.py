"""Checks of generated Kubernetes objects: the vendored CRD schemas, tightened, and the API
server's own rules for names, labels and ConfigMap/Secret data (which no CRD describes)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator

SCHEMAS = Path(__file__).with_name("schemas")
MANIFESTS = Path(__file__).parents[2] / "kubernetes" / "manifests"

# k8s.io/apimachinery validation: names (RFC 1123), label keys (optional DNS prefix / name),
# label values, ConfigMap and Secret keys.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
DATA_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
MAX_DATA_BYTES = 1024 * 1024  # ConfigMap and Secret: 1 MiB in total
# `kubectl apply` (client side) copies the object into this annotation, limited to 256 KiB.
MAX_APPLIED_BYTES = 262144


def tightened(schema: Any) -> Any:
    """The schema with ``additionalProperties: false`` wherever properties are listed."""
    if isinstance(schema, dict):
        out = {key: tightened(value) for key, value in schema.items()}
        if "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [tightened(item) for item in schema]
    return schema


def validator(name: str) -> Draft7Validator:
    """A validator for the vendored schema ``schemas/<name>.yaml``, tightened."""
    return Draft7Validator(tightened(yaml.safe_load((SCHEMAS / f"{name}.yaml").read_text())))


def errors(name: str, obj: Any) -> list[str]:
    """Schema errors of ``obj``, each with its path."""
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(name).iter_errors(obj)
    ]


def manifest(file: str) -> list[dict[str, Any]]:
    """The objects of a committed ``kubernetes/manifests/<file>``."""
    return [doc for doc in yaml.safe_load_all((MANIFESTS / file).read_text()) if doc]


def metadata_problems(obj: dict[str, Any]) -> list[str]:
    """What the API server would refuse in ``metadata`` (names, labels, annotations)."""
    meta = obj["metadata"]
    problems = []
    name, namespace = meta.get("name", ""), meta.get("namespace", "")
    if len(name) > 253 or not DNS_SUBDOMAIN.match(name):
        problems.append(f"name {name!r}")
    if len(namespace) > 63 or not DNS_LABEL.match(namespace):
        problems.append(f"namespace {namespace!r}")
    for key, value in {**meta.get("labels", {}), **meta.get("annotations", {})}.items():
        prefix, _, local = key.rpartition("/")
        if (prefix and not DNS_SUBDOMAIN.match(prefix)) or len(local) > 63 or not (
            QUALIFIED_NAME.match(local)
        ):
            problems.append(f"key {key!r}")
        if key in meta.get("labels", {}) and (
            not isinstance(value, str) or len(value) > 63 or not LABEL_VALUE.match(value)
        ):
            problems.append(f"label value {key}={value!r}")
    return problems


def data_problems(obj: dict[str, Any]) -> list[str]:
    """What the API server would refuse in a ConfigMap's or Secret's data."""
    data = {**obj.get("data", {}), **obj.get("stringData", {})}
    problems = [f"key {key!r}" for key in data if not DATA_KEY.match(key)]
    problems += [f"{key} is not text" for key, value in data.items() if not isinstance(value, str)]
    size = sum(len(value.encode()) for value in data.values())
    if size > MAX_DATA_BYTES:
        problems.append(f"data is {size} bytes")
    applied = len(json.dumps(obj).encode())
    if applied > MAX_APPLIED_BYTES:
        problems.append(f"{applied} bytes: too big for client-side kubectl apply")
    return problems

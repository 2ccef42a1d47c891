"""Deprecated module paths of the layout by feature, kept for one release.

:data:`MOVED` maps every old dotted path to its module now. :class:`MovedFinder`, first on
:data:`sys.meta_path` once :mod:`signalpost` is imported, answers an import of an old path
with the new module itself (the same object, so monkeypatching and ``isinstance`` keep
working) and warns :class:`DeprecationWarning` naming the new path. The old package
``signalpost.instrumentation`` has no single new home: it is a small module that offers the
names it offered (from :mod:`signalpost.errors` and :mod:`signalpost.context`).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

__all__ = ["MOVED", "OLD_PACKAGES", "MovedFinder", "install", "new_path"]

MOVED: dict[str, str] = {
    "signalpost.exporters": "signalpost.sdk",
    "signalpost.exporters.appsetup": "signalpost.sdk.appsetup",
    "signalpost.exporters.config": "signalpost.sdk.config",
    "signalpost.exporters.config_reference": "signalpost.sdk.config_reference",
    "signalpost.exporters.config_sections": "signalpost.sdk.config_sections",
    "signalpost.exporters.export_guard": "signalpost.sdk.export_guard",
    "signalpost.exporters.gcfreeze": "signalpost.sdk.gcfreeze",
    "signalpost.exporters.gunicorn_config": "signalpost.sdk.gunicorn_config",
    "signalpost.exporters.jsonlog": "signalpost.sdk.jsonlog",
    "signalpost.exporters.logfields": "signalpost.sdk.logfields",
    "signalpost.exporters.logscrub": "signalpost.sdk.logscrub",
    "signalpost.exporters.logsetup": "signalpost.sdk.logsetup",
    "signalpost.exporters.otel": "signalpost.sdk.otel",
    "signalpost.exporters.otel_env": "signalpost.sdk.otel_env",
    "signalpost.exporters.otlp_logs": "signalpost.sdk.otlp_logs",
    "signalpost.exporters.otlp_spans": "signalpost.sdk.otlp_spans",
    "signalpost.exporters.prometheus": "signalpost.serving.metrics",
    "signalpost.exporters.prometheus.asgi": "signalpost.serving.metrics.asgi",
    "signalpost.exporters.prometheus.auth": "signalpost.serving.metrics.auth",
    "signalpost.exporters.prometheus.exposition": "signalpost.serving.metrics.exposition",
    "signalpost.exporters.prometheus.registry": "signalpost.serving.metrics.registry",
    "signalpost.exporters.prometheus.server": "signalpost.serving.metrics.server",
    "signalpost.exporters.scrubbing": "signalpost.sdk.scrubbing",
    "signalpost.exporters.servesetup": "signalpost.sdk.servesetup",
    "signalpost.exporters.setup": "signalpost.sdk.setup",
    "signalpost.exporters.telemetry": "signalpost.sdk.telemetry",
    "signalpost.instrumentation.arq": "signalpost.integrations.arq.instrument",
    "signalpost.instrumentation.arq_jobs": "signalpost.integrations.arq.jobs",
    "signalpost.instrumentation.asgi": "signalpost.http.middleware",
    "signalpost.instrumentation.asgitypes": "signalpost.asgitypes",
    "signalpost.instrumentation.breaker": "signalpost.breaker",
    "signalpost.instrumentation.breaker.breaker": "signalpost.breaker.breaker",
    "signalpost.instrumentation.breaker.health": "signalpost.breaker.health",
    "signalpost.instrumentation.breaker.state": "signalpost.breaker.state",
    "signalpost.instrumentation.breaker.telemetry": "signalpost.breaker.telemetry",
    "signalpost.instrumentation.cardinality": "signalpost.cardinality",
    "signalpost.instrumentation.celery": "signalpost.integrations.celery.instrument",
    "signalpost.instrumentation.celery_jobs": "signalpost.integrations.celery.jobs",
    "signalpost.instrumentation.celery_pool": "signalpost.integrations.celery.pool",
    "signalpost.instrumentation.celery_waiting": "signalpost.integrations.celery.waiting",
    "signalpost.instrumentation.classify": "signalpost.errors.classify",
    "signalpost.instrumentation.clock": "signalpost.clock",
    "signalpost.instrumentation.context": "signalpost.context",
    "signalpost.instrumentation.db": "signalpost.database",
    "signalpost.instrumentation.db.cursors": "signalpost.database.cursors",
    "signalpost.instrumentation.db.recorder": "signalpost.database.recorder",
    "signalpost.instrumentation.db.sql": "signalpost.database.sql",
    "signalpost.instrumentation.defaults": "signalpost._defaults",
    "signalpost.instrumentation.errors": "signalpost.errors.capture",
    "signalpost.instrumentation.exceptions": "signalpost.errors.naming",
    "signalpost.instrumentation.globs": "signalpost.globs",
    "signalpost.instrumentation.health": "signalpost.health",
    "signalpost.instrumentation.health.changes": "signalpost.health.changes",
    "signalpost.instrumentation.health.check": "signalpost.health.check",
    "signalpost.instrumentation.health.checks": "signalpost.health.checks",
    "signalpost.instrumentation.health.checks.clocked": "signalpost.health.checks.clocked",
    "signalpost.instrumentation.health.checks.network": "signalpost.health.checks.network",
    "signalpost.instrumentation.health.checks.postgres": "signalpost.health.checks.postgres",
    "signalpost.instrumentation.health.checks.resources": "signalpost.health.checks.resources",
    "signalpost.instrumentation.health.checks.schema": "signalpost.health.checks.schema",
    "signalpost.instrumentation.health.checks.schema_catalog": (
        "signalpost.health.checks.schema_catalog"
    ),
    "signalpost.instrumentation.health.checks.schema_expected": (
        "signalpost.health.checks.schema_expected"
    ),
    "signalpost.instrumentation.health.checks.schema_spec": "signalpost.health.checks.schema_spec",
    "signalpost.instrumentation.health.checks.schema_types": (
        "signalpost.health.checks.schema_types"
    ),
    "signalpost.instrumentation.health.endpoints": "signalpost.serving.health",
    "signalpost.instrumentation.health.gauges": "signalpost.health.gauges",
    "signalpost.instrumentation.health.monitor": "signalpost.health.monitor",
    "signalpost.instrumentation.health.report": "signalpost.health.report",
    "signalpost.instrumentation.health.result": "signalpost.health.result",
    "signalpost.instrumentation.health.running": "signalpost.health.running",
    "signalpost.instrumentation.jobs": "signalpost.jobs",
    "signalpost.instrumentation.jobs.attempts": "signalpost.jobs.attempts",
    "signalpost.instrumentation.jobs.backlog": "signalpost.jobs.backlog",
    "signalpost.instrumentation.jobs.backlog_redis": "signalpost.jobs.backlog_redis",
    "signalpost.instrumentation.jobs.decision": "signalpost.jobs.decision",
    "signalpost.instrumentation.jobs.decorate": "signalpost.jobs.decorate",
    "signalpost.instrumentation.jobs.endpoint": "signalpost.serving.jobs.endpoint",
    "signalpost.instrumentation.jobs.interrupts": "signalpost.jobs.interrupts",
    "signalpost.instrumentation.jobs.metrics": "signalpost.jobs.metrics",
    "signalpost.instrumentation.jobs.monitor": "signalpost.jobs.monitor",
    "signalpost.instrumentation.jobs.mounting": "signalpost.serving.jobs.mounting",
    "signalpost.instrumentation.jobs.paging": "signalpost.serving.jobs.paging",
    "signalpost.instrumentation.jobs.propagation": "signalpost.jobs.propagation",
    "signalpost.instrumentation.jobs.published": "signalpost.jobs.published",
    "signalpost.instrumentation.jobs.retry": "signalpost.jobs.retry",
    "signalpost.instrumentation.jobs.run": "signalpost.jobs.run",
    "signalpost.instrumentation.jobs.running": "signalpost.jobs.running",
    "signalpost.instrumentation.jobs.spans": "signalpost.jobs.spans",
    "signalpost.instrumentation.jobs.state": "signalpost.jobs.state",
    "signalpost.instrumentation.jobs.telemetry": "signalpost.jobs.telemetry",
    "signalpost.instrumentation.jobs.wire": "signalpost.jobs.wire",
    "signalpost.instrumentation.logadapters": "signalpost.logadapters",
    "signalpost.instrumentation.logcontext": "signalpost.logcontext",
    "signalpost.instrumentation.loggers": "signalpost.loggers",
    "signalpost.instrumentation.metrics": "signalpost.metrics",
    "signalpost.instrumentation.queuelogs": "signalpost.integrations.queuelogs",
    "signalpost.instrumentation.requestid": "signalpost.http.requestid",
    "signalpost.instrumentation.scrub": "signalpost.errors.scrub",
    "signalpost.instrumentation.scrub_keys": "signalpost.errors.scrub_keys",
    "signalpost.instrumentation.scrub_pairs": "signalpost.errors.scrub_pairs",
    "signalpost.instrumentation.scrub_path": "signalpost.errors.scrub_path",
    "signalpost.instrumentation.scrub_text": "signalpost.errors.scrub_text",
    "signalpost.instrumentation.semconv": "signalpost.semconv",
    "signalpost.instrumentation.semconv._spec": "signalpost.semconv._spec",
    "signalpost.instrumentation.semconv.attributes": "signalpost.semconv.attributes",
    "signalpost.instrumentation.semconv.breaker": "signalpost.semconv.breaker",
    "signalpost.instrumentation.semconv.db": "signalpost.semconv.db",
    "signalpost.instrumentation.semconv.errors": "signalpost.semconv.errors",
    "signalpost.instrumentation.semconv.health": "signalpost.semconv.health",
    "signalpost.instrumentation.semconv.http": "signalpost.semconv.http",
    "signalpost.instrumentation.semconv.jobs": "signalpost.semconv.jobs",
    "signalpost.instrumentation.semconv.process": "signalpost.semconv.process",
    "signalpost.instrumentation.semconv.reference": "signalpost.semconv.reference",
    "signalpost.instrumentation.spanerrors": "signalpost.errors.spans",
}
"""Old dotted module path -> the module it is now."""

OLD_PACKAGES: dict[str, tuple[str, ...]] = {
    "signalpost.instrumentation": ("signalpost.errors", "signalpost.context"),
}
"""Old packages without a single new module -> the modules whose names they offer."""

_ADVICE = {"signalpost.instrumentation.defaults": "signalpost.runtime"}
"""Where to go when the module that keeps an old path working is not the advice."""

_OLD_ROOTS = ("signalpost.instrumentation.", "signalpost.exporters.")


def new_path(old: str) -> str:
    """The path the deprecation warning of ``old`` tells users to import instead."""
    if old in OLD_PACKAGES:
        return " and ".join(OLD_PACKAGES[old])
    return _ADVICE.get(old, MOVED[old])


class _AliasLoader(importlib.abc.Loader):
    """Loads an old path as the module it is now; warns once, at the first import."""

    def __init__(self, old: str) -> None:
        self.old = old
        self.own_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        if self.old in OLD_PACKAGES:
            return ModuleType(self.old, f"Deprecated: use {new_path(self.old)}.")
        module = importlib.import_module(MOVED[self.old])
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        if self.old in OLD_PACKAGES:
            _fill_old_package(module, OLD_PACKAGES[self.old])
        else:
            # The import system stamps the alias spec on the shared module: give its own back.
            module.__spec__ = self.own_spec
        warnings.warn(
            f"{self.old} is deprecated: import {new_path(self.old)} instead",
            DeprecationWarning,
            stacklevel=2,
        )


def _fill_old_package(module: ModuleType, homes: Sequence[str]) -> None:
    names: list[str] = []
    for home in homes:
        target = importlib.import_module(home)
        for name in target.__all__:
            setattr(module, name, getattr(target, name))
            names.append(name)
    module.__all__ = sorted(names)  # type: ignore[attr-defined]
    module.__path__ = []  # a package: its old submodules import


class MovedFinder(importlib.abc.MetaPathFinder):
    """Finds the old paths in :data:`MOVED` and :data:`OLD_PACKAGES`, nothing else."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname in MOVED or fullname in OLD_PACKAGES:
            is_package = fullname in OLD_PACKAGES or fullname + "." in _OLD_ROOTS
            return importlib.machinery.ModuleSpec(
                fullname, _AliasLoader(fullname), is_package=is_package
            )
        if fullname.startswith(_OLD_ROOTS):
            # Not an old module: without this, the path finder would load a new file a
            # second time under the old name.
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def install() -> None:
    """Put the finder first on :data:`sys.meta_path`, once per process."""
    if not any(isinstance(finder, MovedFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedFinder())

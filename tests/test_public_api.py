"""The public surface: the top-level names are pinned, and every exported name is documented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import fields, is_dataclass
from pathlib import Path
from types import ModuleType

import signalpost

TOP_LEVEL = [
    "ConfigurationError",
    "DataError",
    "DatabaseInstrumentation",
    "HealthMonitor",
    "PostgresCheck",
    "ResourcesCheck",
    "RetryPolicy",
    "SystemFault",
    "Telemetry",
    "TransientError",
    "current_request_id",
    "current_run",
    "inject_context",
    "monitored_job",
    "setup",
]


def packages() -> list[ModuleType]:
    """``signalpost`` and every subpackage (a module with ``__path__``)."""
    found = [signalpost]
    for info in pkgutil.walk_packages(signalpost.__path__, "signalpost."):
        if info.ispkg:
            found.append(importlib.import_module(info.name))
    return found


def test_top_level_names_are_pinned() -> None:
    assert signalpost.__all__ == TOP_LEVEL
    assert dir(signalpost) == sorted(TOP_LEVEL)
    for name in TOP_LEVEL:
        assert getattr(signalpost, name) is not None


def test_subpackages_are_the_documented_ones() -> None:
    names = {package.__name__ for package in packages()}
    assert names == {
        "signalpost",
        "signalpost.breaker",
        "signalpost.cli",
        "signalpost.database",
        "signalpost.errors",
        "signalpost.health",
        "signalpost.health.checks",
        "signalpost.http",
        "signalpost.integrations",
        "signalpost.integrations.arq",
        "signalpost.integrations.celery",
        "signalpost.jobs",
        "signalpost.lookup",
        "signalpost.sdk",
        "signalpost.semconv",
        "signalpost.serving",
        "signalpost.serving.jobs",
        "signalpost.serving.metrics",
    }


def test_every_exported_name_has_a_docstring() -> None:
    undocumented = []
    for package in packages():
        assert package.__doc__, package.__name__
        for name in getattr(package, "__all__", []):
            value = getattr(package, name)
            if inspect.isclass(value) or inspect.isroutine(value):
                # Its own docstring, not one inherited from a base class.
                if not value.__doc__ or (
                    inspect.isclass(value)
                    and any(value.__doc__ is base.__doc__ for base in value.__mro__[1:])
                ):
                    undocumented.append(f"{package.__name__}.{name}")
            elif f"{name}`" not in (package.__doc__ or ""):
                # A constant cannot carry a docstring: its package's docstring names it.
                undocumented.append(f"{package.__name__}.{name}")
    assert undocumented == [], undocumented


# Issue 22: the options that belong together are one frozen settings object each, in the
# subpackage of the call that takes it (the top level stays at its fifteen names).
SETTINGS_OBJECTS = {
    "signalpost.sdk": ["JobSources", "SetupOptions"],
    "signalpost.health": ["CheckSettings", "ResourceThresholds"],
    "signalpost.jobs": ["JobOptions"],
    "signalpost.integrations": ["ProgressSettings"],
    "signalpost.celery": ["ProgressSettings"],
    "signalpost.arq": ["ProgressSettings"],
}


def test_the_settings_objects_are_frozen_dataclasses_where_their_call_is() -> None:
    for module, names in SETTINGS_OBJECTS.items():
        package = importlib.import_module(module)
        for name in names:
            assert name in package.__all__, (module, name)
            value = getattr(package, name)
            assert is_dataclass(value), (module, name)
            assert getattr(value, "__dataclass_params__").frozen, (module, name)  # noqa: B009
            assert fields(value) and name not in signalpost.__all__


def test_subpackages_export_few_names() -> None:
    counts = {p.__name__: len(getattr(p, "__all__", [])) for p in packages()}
    assert all(count <= 20 for count in counts.values()), counts


ROOT = Path(__file__).resolve().parents[1]
SNIPPET = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
IMPORT = re.compile(r"^\s*from (signalpost[\w.]*) import (\([^)]*\)|[^\n]*)", re.M)


def documented_imports() -> list[tuple[str, str, str]]:
    """(where, module, name) for every ``from signalpost... import name`` in the docs' Python
    snippets, the README's and the example app."""
    sources = {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
               for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]}
    code = {where: "\n".join(SNIPPET.findall(text)) for where, text in sources.items()}
    code["examples/app.py"] = (ROOT / "examples" / "app.py").read_text(encoding="utf-8")
    found = []
    for where, text in code.items():
        for module, names in IMPORT.findall(text):
            for name in re.split(r"[\s,()]+", names.split("#")[0]):
                if name:
                    found.append((where, module, name))
    return found


def test_docs_and_example_use_only_the_public_api() -> None:
    imports = documented_imports()
    assert len({where for where, _, _ in imports}) >= 5
    wrong = []
    for where, module, name in imports:
        public = getattr(importlib.import_module(module), "__all__", [])
        if name not in public:
            wrong.append(f"{where}: {name} is not public in {module}")
        elif module != "signalpost" and name in signalpost.__all__:
            wrong.append(f"{where}: import {name} from signalpost, not {module}")
    assert wrong == [], wrong

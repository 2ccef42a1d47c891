"""The library's shape: no module reaches into another's private names, and no import cycle
between its modules (module-level imports, ``TYPE_CHECKING`` ones included)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "signalpost"

# Private names of other libraries that have no public accessor, with the reason.
THIRD_PARTY = {
    # OpenTelemetry's MetricExporter keeps the temporality it was given only here; the guard
    # wrapping an exporter must report the same.
    "_preferred_temporality",
    "_preferred_aggregation",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def trees() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text()) for p in sorted(ROOT.rglob("*.py"))}


def defined_private_names(tree: ast.Module) -> set[str]:
    """Private names a module defines itself: functions, classes, attributes it assigns."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            found.add(node.attr)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
    return found


def test_no_private_reach_ins_across_modules() -> None:
    reach_ins = []
    for name, tree in trees().items():
        own = defined_private_names(tree) | THIRD_PARTY
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
                continue
            if node.attr.startswith("__") or node.attr in own:
                continue
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                continue
            reach_ins.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    assert reach_ins == []


def imported_modules(tree: ast.Module, known: set[str]) -> set[str]:
    """Modules of the library ``tree`` imports at module level (not inside functions)."""
    found: set[str] = set()
    body = list(tree.body)
    while body:
        node = body.pop()
        if isinstance(node, ast.If):  # ``if TYPE_CHECKING:`` imports count too
            body.extend(node.body + node.orelse)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if candidate in known else node.module)
    return found & known


def test_no_import_cycle_between_modules() -> None:
    found = trees()
    known = set(found)
    graph = {name: imported_modules(tree, known) - {name} for name, tree in found.items()}
    done: set[str] = set()
    visiting: list[str] = []
    cycles = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycles.append(" -> ".join([*visiting[visiting.index(name) :], name]))
            return
        visiting.append(name)
        for target in sorted(graph[name]):
            visit(target)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
    assert cycles == []


# The layers, lowest first: a folder imports (at module level) only from its own layer and the
# ones below. What runs in the app never imports the SDK set-up, the CLI or the integrations.
IN_APP = ("http", "jobs", "health", "database", "errors", "breaker", "semconv", "serving")
ABOVE_THE_APP = ("sdk", "cli", "lookup", "integrations")
# ``signalpost`` itself offers set-up lazily, ``__main__`` is the CLI, ``signalpost.celery`` and
# ``signalpost.arq`` are the integrations' short names, the alias table names every module.
ENTRY_POINTS = ("", "__main__", "celery", "arq", "_moved")


def folder(module: str) -> str:
    """The feature folder (or core module) of a module: ``signalpost.jobs.run`` -> ``jobs``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_in_app_folders_do_not_import_set_up_cli_or_integrations() -> None:
    found = trees()
    known = set(found)
    wrong = []
    for name, tree in found.items():
        if folder(name) in ABOVE_THE_APP or folder(name) in ENTRY_POINTS:
            continue
        for target in imported_modules(tree, known):
            if folder(target) in ABOVE_THE_APP:
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_every_folder_is_in_the_layout_table() -> None:
    table = (ROOT.parent / "docs" / "layout.md").read_text(encoding="utf-8")
    folders = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file())
    assert set(IN_APP) | set(ABOVE_THE_APP) <= set(folders)
    missing = [f for f in folders if f"`signalpost/{f}/`" not in table]
    assert missing == []

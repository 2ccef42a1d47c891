"""The jobs package keeps one owner of run state: no import cycle (not even behind
TYPE_CHECKING), and no module reaches into another object's private fields."""

from __future__ import annotations

import ast
from pathlib import Path

import signalpost.jobs as jobs_package

PACKAGE = "signalpost.jobs"
ROOT = Path(jobs_package.__file__).parent


def modules() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text()) for path in sorted(ROOT.glob("*.py"))}


def imported_siblings(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(f"{PACKAGE}."):
                found.add(node.module.removeprefix(f"{PACKAGE}.").split(".")[0])
            elif node.module == PACKAGE:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(f"{PACKAGE}."):
                    found.add(alias.name.removeprefix(f"{PACKAGE}.").split(".")[0])
    return found


def test_no_import_cycle_and_no_type_checking_imports() -> None:
    trees = modules()
    for name, tree in trees.items():
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        assert "TYPE_CHECKING" not in names, f"{name}.py imports behind TYPE_CHECKING"
    graph = {
        name: imported_siblings(tree) & set(trees)
        for name, tree in trees.items()
        if name != "__init__"
    }
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        assert name not in visiting, f"import cycle: {' -> '.join([*visiting, name])}"
        visiting.append(name)
        for target in graph[name]:
            visit(target)
        visiting.pop()
        done.add(name)

    for name in graph:
        visit(name)


def private_reach_ins(name: str, tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
        ):
            continue
        owner = ast.unparse(node.value)
        if owner in ("self", "cls"):
            continue
        if name == "attempts" and owner == "self._run":
            continue  # Attempt/Attempts: the run's handles, defined beside AttemptLoop, drive it
        found.append(f"{name}.py:{node.lineno} {owner}.{node.attr}")
    return found


def test_no_module_touches_private_fields_of_another_object() -> None:
    found = [hit for name, tree in modules().items() for hit in private_reach_ins(name, tree)]
    assert found == []

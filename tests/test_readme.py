"""The README's code is real: every Python snippet type-checks under mypy strict and imports
only from the public ``signalpost`` root."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNIPPET = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def _snippets() -> list[str]:
    return SNIPPET.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def test_readme_has_python_snippets() -> None:
    assert _snippets()


def test_readme_snippets_import_only_the_public_root() -> None:
    for code in _snippets():
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("signalpost"):
                assert node.module == "signalpost", node.module
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("signalpost."), alias.name


def test_readme_snippets_pass_mypy_strict(tmp_path: Path) -> None:
    files = []
    for index, code in enumerate(_snippets()):
        path = tmp_path / f"readme_snippet_{index}.py"
        path.write_text(code, encoding="utf-8")
        files.append(str(path))
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--config-file", "/dev/null",
         *files],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr

"""``python -m signalpost``: the help lists every command the dispatcher knows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import signalpost.__main__ as cli

ROOT = Path(__file__).resolve().parents[2]


def test_help_lists_every_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "signalpost", "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    dispatched = re.findall(r'argv\[:1\] == \["([\w-]+)"\]', Path(cli.__file__).read_text())
    assert set(dispatched) >= {"check-config", "config-reference", "metrics-reference", "jobs"}
    listed = re.findall(r"^  ([\w-]+)", done.stdout, re.M)
    assert set(listed) == {*dispatched, "--help"}


def test_unknown_command_prints_the_help_and_fails() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "signalpost", "frobnicate"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == cli.USAGE

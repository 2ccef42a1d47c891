"""Alertmanager knobs a user can write: relative template folders, a chat receiver left off
without its keys, and errors as one line without a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from alertmanager.generate import build_config
from alertmanager.knobs import DEFAULT_KNOBS, DEFAULT_TEMPLATES, KnobsError, load_knobs

ROOT = Path(__file__).resolve().parents[2]


def _knobs(tmp_path: Path, change: dict[str, object] | None = None, chat: object = "keep") -> Path:
    data = yaml.safe_load(DEFAULT_KNOBS.read_text(encoding="utf-8"))
    data.update(change or {})
    if chat != "keep":
        data["receivers"]["chat"] = chat
    folder = tmp_path / "conf"
    folder.mkdir(exist_ok=True)
    path = folder / "knobs.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_relative_templates_dir_resolves_against_the_knobs_file(tmp_path: Path) -> None:
    knobs = load_knobs(_knobs(tmp_path, {"templates_dir": "../templates"}))
    assert knobs.templates_dir == str((tmp_path / "templates").resolve())
    assert build_config(knobs)["templates"] == [f"{tmp_path.resolve()}/templates/*.tmpl"]


def test_without_templates_dir_signalposts_own_templates_are_used(tmp_path: Path) -> None:
    path = _knobs(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["templates_dir"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_knobs(path).templates_dir == str(DEFAULT_TEMPLATES)
    assert list(DEFAULT_TEMPLATES.glob("*.tmpl"))


@pytest.mark.parametrize("chat", [{"enabled": False}, None])
def test_a_disabled_chat_receiver_needs_no_keys(tmp_path: Path, chat: object) -> None:
    knobs = load_knobs(_knobs(tmp_path, chat=chat))
    assert not knobs.chat.enabled
    receivers = {r["name"]: r for r in build_config(knobs)["receivers"]}
    assert "slack_configs" not in receivers["critical"]


def test_an_enabled_chat_receiver_needs_its_keys(tmp_path: Path) -> None:
    with pytest.raises(KnobsError, match=r"receivers\.chat\.api_url_file is required"):
        load_knobs(_knobs(tmp_path, chat={"enabled": True, "channel": "#x"}))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("templates_dir: [a\n", "not valid YAML"),
        ("templates_dir: x\ntiming: {}\nreceivers: {}\n", "timing.group_wait is required"),
    ],
)
def test_bad_knobs_stop_the_generator_with_one_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "knobs.yaml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "alertmanager.generate", "--knobs", str(path), "--output",
         str(tmp_path / "am.yml")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"error: {path}") and message in line, line
    assert not (tmp_path / "am.yml").exists()

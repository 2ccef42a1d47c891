"""The Alertmanager configuration as the Secret the operator's Alertmanager reads."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from alertmanager.generate import build_config
from alertmanager.knobs import DEFAULT_TEMPLATES
from alertmanager.knobs import load_knobs as load_am_knobs
from kubernetes.knobs import DEFAULT_KNOBS, load_knobs
from kubernetes.objects import AM_CONFIG_DIR, alertmanager_secret, secret_files
from tests.kubernetes.shapes import data_problems, manifest, metadata_problems


def test_secret_shape_and_keys() -> None:
    (secret,) = manifest("alertmanager-config.yaml")
    knobs = load_knobs(DEFAULT_KNOBS)
    assert (secret["apiVersion"], secret["kind"], secret["type"]) == ("v1", "Secret", "Opaque")
    assert secret["metadata"]["name"] == knobs.alertmanager.config_secret
    assert secret["metadata"]["namespace"] == knobs.namespace
    assert metadata_problems(secret) == [] and data_problems(secret) == []
    templates = sorted(p.name for p in DEFAULT_TEMPLATES.glob("*.tmpl"))
    assert sorted(secret["stringData"]) == sorted(["alertmanager.yaml", *templates])


def test_same_routing_as_alertmanager_yml_with_the_operator_paths() -> None:
    (secret,) = manifest("alertmanager-config.yaml")
    config = yaml.safe_load(secret["stringData"]["alertmanager.yaml"])
    am = load_am_knobs()
    plain = build_config(am)
    assert config["route"] == plain["route"]
    assert config["inhibit_rules"] == plain["inhibit_rules"]
    assert [r["name"] for r in config["receivers"]] == [r["name"] for r in plain["receivers"]]
    assert config["templates"] == [f"{AM_CONFIG_DIR}/*.tmpl"]
    (password,) = {c["auth_password_file"] for r in config["receivers"]
                   for c in r.get("email_configs", [])}
    assert password == "/etc/alertmanager/secrets/alertmanager-signalpost-secrets/smtp_password"
    assert secret_files(am, load_knobs(DEFAULT_KNOBS)) == ["smtp_password"]


def test_amtool_accepts_the_secret_as_mounted(tmp_path: Path) -> None:
    # Lay the Secret out as the operator mounts it, templates and all, and let amtool read it.
    secret = alertmanager_secret(load_am_knobs(), load_knobs(DEFAULT_KNOBS))
    for key, text in secret["stringData"].items():
        (tmp_path / key).write_text(text)
    config = tmp_path / "alertmanager.yaml"
    config.write_text(config.read_text().replace(AM_CONFIG_DIR, str(tmp_path)))
    done = _check_config(config)
    assert done.returncode == 0, done.stdout + done.stderr
    # amtool parses the templates the glob finds: a broken one next to them fails the check.
    (tmp_path / "broken.tmpl").write_text('{{ define "x" }}{{ end')
    assert _check_config(config).returncode != 0


def _check_config(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["amtool", "check-config", str(config)], capture_output=True, text=True, check=False
    )


def test_a_local_templates_dir_is_the_users_own(tmp_path: Path) -> None:
    (tmp_path / "mine.tmpl").write_text('{{ define "mine" }}hello{{ end }}')
    am = load_am_knobs().with_receivers(templates_dir=str(tmp_path))
    secret = alertmanager_secret(am, load_knobs(DEFAULT_KNOBS))
    assert sorted(secret["stringData"]) == ["alertmanager.yaml", "mine.tmpl"]
    config = yaml.safe_load(secret["stringData"]["alertmanager.yaml"])
    assert config["templates"] == [f"{AM_CONFIG_DIR}/*.tmpl"]

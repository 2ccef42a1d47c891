"""Real Alertmanager processes and notification catchers for the tests.

:class:`AlertmanagerServer` runs ``prometheus-alertmanager`` (installed by
``scripts/bootstrap.sh``) on a free loopback port with clustering off and a temporary storage
path. :class:`WebhookCatcher` is a small HTTP server that records what Alertmanager posts.
:func:`local_knobs` derives the test configuration from the project's knobs: the same routing
tree and inhibition rules, with local addresses and short timings.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import urllib.request
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from alertmanager.knobs import EmailKnobs, Knobs, PagerKnobs, WebhookKnobs, load_knobs
from tests.servers import free_port, wait_answering

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "alertmanager" / "templates"


def local_knobs(
    *,
    pager_url: str,
    history_url: str,
    watchdog_url: str,
    smtp_port: int | None = None,
    chat_url_file: str | None = None,
) -> Knobs:
    """The project's knobs with local receivers and short timings (routing tree unchanged)."""
    knobs = load_knobs()
    email = knobs.email
    if smtp_port is not None:
        email = EmailKnobs(
            to="oncall@example.test",
            from_="alertmanager@example.test",
            smarthost=f"127.0.0.1:{smtp_port}",
            require_tls=False,
        )
    else:  # nothing listens there: notifications to email fail, which these tests ignore
        email = replace(email, smarthost=f"127.0.0.1:{free_port()}", auth_username=None,
                        auth_password_file=None, require_tls=False)
    chat = knobs.chat
    if chat_url_file is not None:
        chat = replace(chat, enabled=True, api_url_file=chat_url_file)
    return knobs.with_receivers(
        chat=chat,
        templates_dir=str(TEMPLATES_DIR),
        timing=replace(knobs.timing, group_wait="1s", group_interval="1s"),
        pager=PagerKnobs(url=pager_url),
        email=email,
        watchdog=WebhookKnobs(url=watchdog_url),
        history=WebhookKnobs(url=history_url),
    )


class AlertmanagerServer:
    """One ``prometheus-alertmanager`` process with the given configuration."""

    def __init__(self, config_text: str) -> None:
        binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
        if binary is None:
            raise RuntimeError("prometheus-alertmanager not found: run scripts/bootstrap.sh")
        self.root = Path(tempfile.mkdtemp(prefix="signalpost-am-"))
        self.config_file = self.root / "alertmanager.yml"
        self.config_file.write_text(config_text, encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = self.root / "alertmanager.log"
        with open(self.log_file, "wb") as log:
            self.process = subprocess.Popen(
                [
                    binary,
                    f"--config.file={self.config_file}",
                    f"--storage.path={self.root / 'data'}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    f"--web.external-url={self.url}",
                    "--cluster.listen-address=",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_answering(self.process, f"{self.url}/-/ready", self.log, what="Alertmanager")
        except BaseException:
            self.stop()
            raise

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        request = urllib.request.Request(
            f"{self.url}/api/v2/alerts",
            data=json.dumps(alerts).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def alerts(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=10) as response:
            result: list[dict[str, Any]] = json.load(response)
            return result

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class WebhookCatcher:
    """Records every JSON body posted to it, by path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[tuple[str, dict[str, Any]]] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                with catcher._lock:
                    catcher._received.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def received(self, path: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for got, body in self._received if got == path]

    def alerts(self, path: str) -> list[dict[str, Any]]:
        """Every alert of every notification posted to ``path``."""
        return [alert for body in self.received(path) for alert in body["alerts"]]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


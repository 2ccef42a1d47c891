"""``python -m signalpost jobs``: the live view driven in a pseudo-terminal (its screen read
through a terminal emulator), ``--once`` output, and the missing-extra message."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator

import pyte
import pytest

from signalpost.cli.jobs_client import RateTracker, Run
from tests.jobs.livejobs import (
    TOKEN,
    live_server,
    new_id,
    progressing,
    release,
    start,
    wait_for,
)
from tests.servers import QUIET_OTEL, REPO, Server

pytestmark = pytest.mark.slow
COLUMNS, LINES = 160, 40
ROW_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with live_server(tmp_path_factory.mktemp("view") / "server.log") as running:
        yield running


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNALPOST_")}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    return {**env, **QUIET_OTEL, "PYTHONPATH": str(REPO), "TERM": "xterm-256color", **extra}


def _own_terminal() -> None:  # runs in the child: the pty becomes its controlling terminal
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    # A user's shell starts the view with Ctrl-C's default disposition; the test process may
    # have inherited or set another (an ignored SIGINT is inherited and Python keeps it).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def _row(screen: pyte.Screen, job_id: str) -> str | None:
    rows = [line for line in screen.display if re.search(rf"\b{re.escape(job_id)}\b", line)]
    assert len(rows) <= 1, f"{job_id} drawn twice: the view must redraw in place\n" + "\n".join(
        screen.display
    )
    return rows[0] if rows else None


def _done(row: str) -> int:
    match = re.search(r"([\d,]+)/1,000", row)
    assert match, row
    return int(match.group(1).replace(",", ""))


def test_live_view_draws_a_bar_per_running_job_and_exits_on_ctrl_c(server: Server) -> None:
    ids = [new_id("view"), new_id("view"), new_id("view")]
    for job_id, job_type, sync in zip(ids, ("import", "export", "match"), ("false", "true", "false"), strict=True):
        start(server, job_id, job_type=job_type, sync=sync)
    wait_for(lambda: progressing(server, *ids))

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "signalpost", "jobs", f"{server.base_url}/jobs", "--interval", "0.3"],
        stdin=slave, stdout=slave, stderr=slave, cwd=REPO, start_new_session=True,
        preexec_fn=_own_terminal, env=_env(SIGNALPOST_METRICS_BEARER_TOKEN=TOKEN),
    )  # fmt: skip
    os.close(slave)
    screen = pyte.Screen(COLUMNS, LINES)
    stream = pyte.ByteStream(screen)

    def pump(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    stream.feed(os.read(master, 65536))
                except OSError:  # the child closed the terminal
                    return

    def rows_complete() -> dict[str, str] | None:
        pump(0.3)
        rows = {job_id: _row(screen, job_id) for job_id in ids}
        if all(row and "━" in row and "/s" in row for row in rows.values()):
            return {k: v for k, v in rows.items() if v}
        return None

    try:
        first = wait_for(rows_complete, ROW_TIMEOUT)
        text = "\n".join(screen.display)
        assert re.search(r"\d+ running job\(s\) · pid \d+ on ", text), text
        for job_id, job_type in zip(ids, ("import", "export", "match"), strict=True):
            row = first[job_id]
            assert job_type in row and "running" in row
            assert re.search(r"\d+%", row) and re.search(r"\d+\.\d/s", row), row
            assert re.search(r"\b\d+:\d\d\b", row), row  # ETA and idle time
        # the view refreshes in place: the same rows, with more done
        def all_advanced() -> dict[str, str] | None:
            rows = rows_complete()
            if rows and all(_done(rows[j]) > _done(first[j]) for j in ids):
                return rows
            return None

        assert set(wait_for(all_advanced, ROW_TIMEOUT)) == set(ids)

        # a finished run leaves the view
        release(server, ids[0])

        def first_gone() -> bool:
            pump(0.3)
            return _row(screen, ids[0]) is None

        wait_for(first_gone, ROW_TIMEOUT)
        assert _row(screen, ids[1]) is not None

        os.write(master, b"\x03")  # Ctrl-C, through the terminal's line discipline
        deadline = time.monotonic() + 20
        while process.poll() is None and time.monotonic() < deadline:
            pump(0.2)
        assert process.poll() == 0
        assert "Traceback" not in "\n".join(screen.display)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        os.close(master)
        for job_id in ids[1:]:
            release(server, job_id)


def test_once_prints_a_table_and_exits(server: Server) -> None:
    ids = [new_id("once"), new_id("once")]
    for job_id in ids:
        start(server, job_id, job_type="report", total=200)

    def a_fifth_done() -> bool:
        runs = progressing(server, *ids)
        return runs is not None and all(runs[j]["progress"]["done"] >= 40 for j in ids)

    wait_for(a_fifth_done)
    done = subprocess.run(
        [sys.executable, "-m", "signalpost", "jobs", f"{server.base_url}/jobs", "--once",
         "--token", TOKEN, "--type", "report"],
        cwd=REPO, env=_env(COLUMNS="200"), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "\x1b[" not in out  # not a terminal: plain text for scripts
    assert re.search(r"\b2 running job\(s\)", out), out
    for job_id in ids:
        (row,) = [line for line in out.splitlines() if job_id in line]
        assert "report" in row and "running" in row and "━" in row, row
        assert re.search(r"\d+%", row) and "/200" in row and "/s" in row, row
        assert "hunter2" not in row
    for job_id in ids:
        release(server, job_id)


def test_once_reports_a_refusal_with_exit_status_1(server: Server) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "signalpost", "jobs", f"{server.base_url}/jobs", "--once",
         "--token", "wrong"],
        cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "HTTP 401" in done.stderr and "--token" in done.stderr
    assert done.stdout == ""


BLOCK_RICH = r"""
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "rich":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
from signalpost.__main__ import main
sys.exit(main(["jobs", "http://127.0.0.1:9/jobs", "--once"]))
"""


def test_without_the_cli_extra_the_command_names_it() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCK_RICH], cwd=REPO, env=_env(), capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "pip install 'signalpost[cli]'" in done.stderr


def _run(done: float, at: float) -> Run:
    return Run(
        job_id="r", job_type="t", state="running", attempt=1, started_at=100.0, age=0.0,
        since_progress=0.0, done=done, total=1000.0, ratio=done / 1000, message=None,
        progress_at=at, cancel_requested=False,
    )  # fmt: skip


def test_rates_come_from_successive_reports_and_give_an_eta() -> None:
    rates = RateTracker()
    first = _run(100.0, 110.0)  # 100 items in the 10 s since the start
    rates.observe([first])
    assert rates.rate(first) == pytest.approx(10.0)
    second = _run(300.0, 114.0)  # then 200 in 4 s
    rates.observe([second])
    assert rates.rate(second) == pytest.approx(50.0)
    assert rates.eta(second) == pytest.approx(14.0)
    rates.observe([])  # gone runs are forgotten
    assert rates.rate(_run(300.0, 114.0)) == pytest.approx(300.0 / 14.0)


def test_a_url_that_is_not_http_is_refused_on_stderr() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "signalpost", "jobs", "ftp://example/jobs", "--once"],
        cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "not an http(s) URL" in done.stderr and done.stdout == ""

"""A local mail sink: an SMTP server that writes every message it receives to a folder.

``python -m demo.mailsink --port 1025 --dir .demo-data/mail`` accepts mail from Alertmanager
without authentication and saves each message as ``<time>-<n>.eml`` (read them with any mail
client or ``cat``). The compose stack uses Mailpit instead, which adds a web UI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import signal
import sys
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

__all__ = ["FolderHandler", "main"]


class FolderHandler:
    """aiosmtpd handler that stores each message's raw bytes as an ``.eml`` file."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{next(self._numbers):05d}.eml"
        content = envelope.original_content or envelope.content
        data = content if isinstance(content, bytes) else str(content).encode()
        (self.folder / name).write_bytes(data)
        return "250 Message accepted for delivery"


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m demo.mailsink``."""
    parser = argparse.ArgumentParser(prog="python -m demo.mailsink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", type=Path, default=Path(".demo-data/mail"))
    args = parser.parse_args(argv)
    controller = Controller(FolderHandler(args.dir), hostname=args.host, port=args.port)
    controller.start()
    print(f"mail sink: smtp://{args.host}:{args.port} -> {args.dir}/", flush=True)

    async def wait() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(wait())
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

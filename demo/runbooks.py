"""Serve the runbooks (``docs/runbooks/*.md``) over HTTP, so alert links open in a browser.

``python -m demo.runbooks --port 8088`` serves each runbook as UTF-8 plain text at
``/<AlertName>.md``: the demo's knobs point ``urls.runbooks`` here, for the local stack and
for compose alike. Anyone else points that knob at wherever their team publishes runbooks.
"""

from __future__ import annotations

import argparse
import functools
import os
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

__all__ = ["RUNBOOKS", "main"]

RUNBOOKS = Path(__file__).resolve().parents[1] / "docs" / "runbooks"


class _Handler(SimpleHTTPRequestHandler):
    def guess_type(self, path: str | os.PathLike[str]) -> str:
        # Browsers download text/markdown instead of showing it.
        if str(path).endswith(".md"):
            return "text/plain; charset=utf-8"
        return super().guess_type(path)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m demo.runbooks``."""
    parser = argparse.ArgumentParser(prog="python -m demo.runbooks", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--dir", type=Path, default=RUNBOOKS, help="folder to serve")
    args = parser.parse_args(argv)
    handler = functools.partial(_Handler, directory=str(args.dir))
    with ThreadingHTTPServer((args.host, args.port), handler) as server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

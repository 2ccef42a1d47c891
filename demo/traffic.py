"""A traffic generator for the demo service: a steady mix of what recruiters and candidates do.

``python -m demo.traffic [--url http://127.0.0.1:8000] [--rate 5]`` sends about ``rate``
requests a second until Ctrl-C: candidate sign-ups (each enqueues a resume-parsing job), profile
views (some for unknown candidates: 404s), new postings and matching runs (each enqueues a
candidate-matching job), and the odd malformed request (422s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import signal
import sys

import httpx

__all__ = ["generate", "main"]

FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret")
SKILLS = ("python", "sql", "fastapi", "kubernetes", "react", "go", "ml", "terraform")


async def _one(client: httpx.AsyncClient, state: dict[str, list[int]]) -> int:
    roll = random.random()
    if roll < 0.35:
        name = f"{random.choice(FIRST)} {random.randint(1, 9999)}"
        resume = " ".join(random.sample(SKILLS, 3)) + " experience"
        response = await client.post(
            "/candidates",
            json={
                "name": name,
                "email": f"{name.split()[0].lower()}@example.com",
                "resume": resume,
            },
        )
        if response.status_code == 201:
            state["candidates"].append(response.json()["id"])
    elif roll < 0.75:
        known = state["candidates"]
        candidate = random.choice(known) if known and random.random() < 0.9 else 10**9
        response = await client.get(f"/candidates/{candidate}")
    elif roll < 0.85:
        response = await client.post(
            "/postings", json={"title": "Backend engineer", "skills": random.sample(SKILLS, 3)}
        )
        if response.status_code == 201:
            state["postings"].append(response.json()["id"])
    elif roll < 0.95 and state["postings"]:
        response = await client.post(f"/postings/{random.choice(state['postings'])}/matching")
    else:
        response = await client.post("/candidates", json={"name": ""})  # 422
    return response.status_code


async def generate(url: str, rate: float, duration: float | None = None) -> dict[int, int]:
    """Send requests at about ``rate`` a second; return the count per status code."""
    counts: dict[int, int] = {}
    state: dict[str, list[int]] = {"candidates": [], "postings": []}
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, stop.set)
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    deadline = None if duration is None else loop.time() + duration
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as client:
        while not stop.is_set() and (deadline is None or loop.time() < deadline):
            try:
                status = await _one(client, state)
            except httpx.HTTPError:
                status = 0  # the service is down or restarting: keep going
            counts[status] = counts.get(status, 0) + 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=random.expovariate(rate))
    return counts


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m demo.traffic``."""
    parser = argparse.ArgumentParser(
        prog="python -m demo.traffic", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--rate", type=float, default=5.0, help="requests per second")
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds (default: until Ctrl-C)"
    )
    args = parser.parse_args(argv)
    counts = asyncio.run(generate(args.url, args.rate, args.duration))
    print("traffic:", ", ".join(f"{k or 'error'}: {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())

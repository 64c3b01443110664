"""What one console costs on PostgreSQL: CPU per poll of the change feed and per refresh.

    .venv/bin/python bench/floor_costs.py [--url URL]

On a throw-away PostgreSQL (unless ``--url``): one agent with five sessions of ten lines
each, its console backend (``tui/backend.py``), then 2,000 polls and 300 refreshes of each
kind, timed three ways: this process's CPU, the CPU of the console's PostgreSQL backend
(``/proc/PID/stat`` of ``pg_backend_pid()``: the server must run on this machine) and wall
time. Prints one JSON object (microseconds per call). ``bench/floor.py`` puts these costs
together for a whole floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

from floor import CHANNEL, seed_agents  # noqa: E402

from agent_console.domain.feed import Interest  # noqa: E402
from agent_console.services import conversations, routing  # noqa: E402
from agent_console.services.runtime import open_ctx  # noqa: E402
from agent_console.tui.backend import ConsoleBackend  # noqa: E402


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed(call: Callable[[], Awaitable[Any]], times: int, pid: int) -> dict[str, float]:
    cpu, wall, server = time.process_time(), time.perf_counter(), cpu_of(pid)
    for _ in range(times):
        await call()
    return {
        "client_cpu_us": round(1e6 * (time.process_time() - cpu) / times),
        "server_cpu_us": round(1e6 * (cpu_of(pid) - server) / times),
        "wall_us": round(1e6 * (time.perf_counter() - wall) / times),
    }


async def measure(url: str) -> dict[str, Any]:
    (name,) = await seed_agents(url, 1)
    ctx = await open_ctx(url)
    for i in range(5):
        await conversations.inbound(ctx, f"c{i}", CHANNEL, "hi")
    await routing.route(ctx)
    for i in range(5):
        for j in range(10):
            await conversations.inbound(ctx, f"c{i}", CHANNEL, f"line {j}")
    backend = await ConsoleBackend.open(url, name)
    async with backend.ctx.db.read() as conn:
        pid = int(await conn.scalar(text("SELECT pg_backend_pid()")) or 0)
    interest = Interest(agent_id=backend.agent_id)
    await backend.poll_changes(interest)
    snap = await backend.snapshot(None, neighbour=0)
    assert snap.detail is not None
    open_id, detail = snap.detail.session.id, snap.detail
    out = {
        "poll": await timed(lambda: backend.poll_changes(interest), 2000, pid),
        "refresh_with_transcript": await timed(
            lambda: backend.snapshot(open_id, neighbour=0), 300, pid
        ),
        "refresh_sessions_only": await timed(
            lambda: backend.snapshot(open_id, neighbour=0, keep=detail), 300, pid
        ),
    }
    await backend.close()
    await ctx.db.dispose()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--url", help="an existing PostgreSQL on this machine")
    args = ap.parse_args()
    import pg_throwaway

    with pg_throwaway.given_or_started(args.url, prefix="floor-costs-pg-") as url:
        print(json.dumps(asyncio.run(measure(url)), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

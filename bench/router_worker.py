"""One router process for bench/run.py: routes until nothing is queued, prints JSON.

    python bench/router_worker.py POSTGRES_URL

Prints ``ready`` once connected, waits for ``go`` on stdin, then calls ``routing.route`` until
no New/Waiting session is left; the last line is ``{"ids": [...], "started": t, "finished": t,
"errors": [...]}`` with wall-clock times (time.time()).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from sqlalchemy import func, select

from agent_console.domain.errors import ConsoleError
from agent_console.services.routing import QUEUED, route
from agent_console.services.runtime import open_ctx
from agent_console.store.models import Session

DEADLINE_S = 240.0


async def main(url: str) -> None:
    ctx = await open_ctx(url)
    ids: list[int] = []
    errors: list[str] = []
    try:
        async with ctx.db.read() as conn:  # warm the pool before the start signal
            await conn.scalar(select(func.count()).select_from(Session))
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return
        started = time.time()
        while time.time() - started < DEADLINE_S:
            try:
                got = await route(ctx)
            except ConsoleError as exc:  # reported, then retried: one error never stops a router
                errors.append(str(exc))
                continue
            ids.extend(a.session_id for a in got)
            if got:
                continue
            async with ctx.db.read() as conn:
                left = await conn.scalar(
                    select(func.count())
                    .select_from(Session)
                    .where(Session.status.in_(QUEUED), Session.owner_id.is_(None))
                )
            if not left:
                break
            await asyncio.sleep(0.002)  # other routers hold the rest; look again
        finished = time.time()
    finally:
        await ctx.db.dispose()
    print(json.dumps({"ids": ids, "started": started, "finished": finished, "errors": errors}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

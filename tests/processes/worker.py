"""A worker process for the multi-process tests: the services, used directly, in a real process.

    PYTHONPATH=src:tests python tests/processes/worker.py <command> <url> [options]

Commands:
  bulk-end  URL --agent A --ids-file F [--chunk N]   bulk End Sessions over the ids (list)
  end-each  URL --agent A --ids-file F [--reverse]   End Chat on each id, one transaction each
  route     URL [--batch N]                          route until nothing more is assigned
  run-bulk  URL --bulk-id N [--chunk N]              resume (or run) a persisted bulk end

With ``--ready R --go G`` the worker opens the database, creates file R, and waits for file G
before it starts, so a test can release several workers at the same moment. ``bulk-end`` prints
``{"bulk_id": N}`` on its own line as soon as the operation exists. The last stdout line is the
result as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

from agent_console.domain.vocab import Surface
from agent_console.services import bulk, ending, routing
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from shared.worker_io import emit, load_list, wait_for_go


async def cmd_bulk_end(ctx: Ctx, args: argparse.Namespace) -> Any:
    bulk_id = await bulk.start_bulk(ctx, args.agent, ids=[int(i) for i in load_list(args.ids_file)])
    emit({"bulk_id": bulk_id})
    return await bulk.run_bulk(ctx, bulk_id, chunk=args.chunk)


async def cmd_end_each(ctx: Ctx, args: argparse.Namespace) -> Any:
    ids = [int(i) for i in load_list(args.ids_file)]
    if args.reverse:
        ids.reverse()
    surface = Surface(args.surface)
    return [await ending.end_session(ctx, args.agent, sid, surface) for sid in ids]


async def cmd_route(ctx: Ctx, args: argparse.Namespace) -> Any:
    out = []
    while True:
        got = await routing.route(ctx, batch=args.batch)
        if not got:
            return out
        out.extend(got)


async def cmd_run_bulk(ctx: Ctx, args: argparse.Namespace) -> Any:
    return await bulk.run_bulk(ctx, args.bulk_id, chunk=args.chunk)


COMMANDS = {
    "bulk-end": cmd_bulk_end,
    "end-each": cmd_end_each,
    "route": cmd_route,
    "run-bulk": cmd_run_bulk,
}


async def main(args: argparse.Namespace) -> None:
    ctx = await open_ctx(args.url)
    try:
        wait_for_go(args, within=60)
        started = time.perf_counter()
        result = await COMMANDS[args.command](ctx, args)
        emit({"result": result, "seconds": round(time.perf_counter() - started, 3)})
    finally:
        await ctx.db.dispose()


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="worker.py")
    p.add_argument("command", choices=sorted(COMMANDS))
    p.add_argument("url")
    p.add_argument("--agent")
    p.add_argument("--ids-file")
    p.add_argument("--chunk", type=int, default=bulk.CHUNK)
    p.add_argument("--reverse", action="store_true")
    p.add_argument("--surface", default=Surface.CONVERSATION.value)
    p.add_argument("--batch", type=int, default=routing.BATCH)
    p.add_argument("--bulk-id", type=int)
    p.add_argument("--ready")
    p.add_argument("--go")
    return p.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse(sys.argv[1:])))

"""A worker process for the reliability suite: the services, used directly, in a real process.

    PYTHONPATH=src:tests python tests/reliability/worker.py <command> <url> [options]

Commands:
  soak        URL --agent A --seed N --ops K --history F   random operations, one history line each
  end-each    URL --agent A --ids-file F [--surface S] [--reverse]   one end per transaction
  bulk-end    URL --agent A --ids-file F [--chunk N]   bulk End Sessions (prints the bulk id first)
  run-bulk    URL --bulk-id N [--chunk N] [--gate DIR]  resume (or run) a persisted bulk end;
              with --gate, each chunk waits for a byte from the FIFO DIR/allowed first, and
              writes one to DIR/committed once it has committed
  logout      URL --agent A                            log out (ends every ongoing session)
  sweep       URL --hours H                            the R7 sweep, pretending it is now + H hours
  inbound     URL --customers-file F --channel C       each customer writes once
  hold-lock   PATH --seconds S                         SQLite: hold the write lock for S seconds
  zygote                                               fork one of the above per stdin line

With ``--ready R --go G`` the worker opens the database, creates file R, and waits for file G
before it starts, so a test can release several workers at the same moment. The last stdout
line is the result as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import func, select

from agent_console.domain.errors import ConsoleError, StoreError
from agent_console.domain.vocab import Presence, Surface
from agent_console.services import (
    automation,
    bulk,
    conversations,
    ending,
    presence,
    routing,
    timers,
)
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from agent_console.services.views import EndResult
from agent_console.store.models import Agent, EndRecord, Session
from shared.worker_io import emit, load_list, wait_for_go

CHANNELS = (
    "standard_sms",
    "enhanced_whatsapp",
    "enhanced_web_chat_v2",
    "standard_facebook_messenger",
)
CUSTOMERS = 48


# ------------------------------------------------------------------------------ the soak


class Soak:
    """One agent doing random operations from every surface; each answer goes to the history.

    A history line: ``{"k": n, "op": name, "answer": "ok" | "refused", "reason": ...,
    ...facts to verify afterwards}``. Anything else than ok/refused (a StoreError, a crash)
    ends the run with exit 1: the test treats it as a failure.
    """

    def __init__(self, ctx: Ctx, agent: str, rng: random.Random, history: Path) -> None:
        self.ctx = ctx
        self.agent = agent
        self.rng = rng
        self.history = history.open("a", encoding="utf-8")
        self.k = 0
        self.me = 0

    async def ids(
        self, *, mine: bool, statuses: tuple[str, ...], tab_open: bool = False
    ) -> list[int]:
        stmt = select(Session.id).where(Session.status.in_(statuses))
        if mine:
            stmt = stmt.where(Session.owner_id == self.me)
        if tab_open:
            stmt = stmt.where(Session.tab_open.is_(True))
        async with self.ctx.db.read() as conn:
            return list((await conn.scalars(stmt.order_by(Session.id.desc()).limit(40))).all())

    def token(self) -> str:
        return f"{self.agent}-op{self.k}-{self.rng.randrange(10**6)}"

    def customer(self) -> str:
        return f"c{self.rng.randrange(CUSTOMERS):02}"

    async def pick(self, **kw: Any) -> int | None:
        found = await self.ids(**kw)
        return self.rng.choice(found) if found else None

    # each op returns the facts to record; Refused/NotFound are answers too
    async def op_inbound(self) -> dict[str, Any]:
        text, customer, ch = self.token(), self.customer(), self.rng.choice(CHANNELS)
        r = await conversations.inbound(self.ctx, customer, ch, text)
        return {
            "session_id": r.session_id,
            "text": text,
            "customer": customer,
            "new": r.new_session,
        }

    async def op_outbound(self) -> dict[str, Any]:
        text, customer, ch = self.token(), self.customer(), self.rng.choice(CHANNELS)
        r = await conversations.outbound(self.ctx, self.agent, customer, ch, text)
        return {"session_id": r.session_id, "text": text}

    async def op_route(self) -> dict[str, Any]:
        got = await routing.route(self.ctx, limit=6)
        return {"assigned": [[a.session_id, a.agent] for a in got]}

    async def op_reply(self) -> dict[str, Any]:
        sid = await self.pick(mine=True, statuses=("Active", "Inactive"))
        if sid is None:
            return {"noop": "no session to reply to"}
        text = self.token()
        mid = await conversations.send(self.ctx, self.agent, sid, text)
        return {"session_id": sid, "message_id": mid, "text": text}

    def ends(self, results: list[EndResult]) -> dict[str, Any]:
        return {"results": [[r.session_id, r.result, r.reason] for r in results]}

    async def op_end_chat(self) -> dict[str, Any]:
        sid = await self.pick(mine=True, statuses=("Active", "Inactive"))
        if sid is None:
            return {"noop": "no session to end"}
        r = await ending.end_session(self.ctx, self.agent, sid, Surface.CONVERSATION)
        return self.ends([r]) | {"surface": "conversation"}

    async def op_end_row(self) -> dict[str, Any]:
        sid = await self.pick(mine=False, statuses=("Active", "Inactive", "Waiting", "Ended"))
        if sid is None:
            return {"noop": "no session"}
        r = await ending.end_session(self.ctx, self.agent, sid, Surface.ROW)
        return self.ends([r]) | {"surface": "row"}

    async def op_bulk(self) -> dict[str, Any]:
        found = await self.ids(mine=False, statuses=("Active", "Inactive", "Waiting", "Ended"))
        if not found:
            return {"noop": "no session"}
        chosen = self.rng.sample(found, min(len(found), self.rng.randint(1, 6)))
        report = await bulk.bulk_end(self.ctx, self.agent, ids=chosen, chunk=2)
        return self.ends(report.results) | {"bulk_id": report.bulk_id, "status": report.status}

    async def op_offline(self) -> dict[str, Any]:
        r = await presence.set_presence(self.ctx, self.agent, Presence.OFFLINE)
        return {"effects": [[e.session_id, e.effect] for e in r.effects]}

    async def op_online(self) -> dict[str, Any]:
        r = await presence.set_presence(self.ctx, self.agent, Presence.ONLINE)
        return {"assigned": [[a.session_id, a.agent] for a in r.rerouted]}

    async def op_logout(self) -> dict[str, Any]:
        r = await presence.logout(self.ctx, self.agent, confirmed=True)
        return self.ends(r.results) | {"tabs_closed": r.tabs_closed}

    async def op_close_tab(self) -> dict[str, Any]:
        sid = await self.pick(mine=True, statuses=("Ended",), tab_open=True)
        if sid is None:
            return {"noop": "no tab to close"}
        r = await conversations.close_tab(self.ctx, self.agent, sid)
        return {"session_id": sid, "units_freed": r.units_freed}

    async def op_inactive(self) -> dict[str, Any]:
        sid = await self.pick(mine=True, statuses=("Active",))
        if sid is None:
            return {"noop": "no active session"}
        r = await conversations.mark_inactive(self.ctx, self.agent, sid)
        return {"session_id": sid, "status": r.status}

    async def op_sweep(self) -> dict[str, Any]:
        at = datetime.now(UTC) + timedelta(hours=25)
        return self.ends(await timers.sweep(self.ctx, now=at))

    async def op_macro(self) -> dict[str, Any]:
        sid = await self.pick(mine=True, statuses=("Active", "Inactive"))
        if sid is None:
            return {"noop": "no session"}
        r = await automation.run_macro(self.ctx, "Resolve and close", sid, as_agent=self.agent)
        return {
            "session_id": sid,
            "steps": [[s.step, s.result, s.reason] for s in r.steps],
        }

    WEIGHTS: ClassVar[dict[str, int]] = {
        "inbound": 24,
        "outbound": 4,
        "route": 10,
        "reply": 14,
        "end_chat": 8,
        "end_row": 5,
        "bulk": 4,
        "offline": 2,
        "online": 5,
        "logout": 1,
        "close_tab": 8,
        "inactive": 3,
        "sweep": 1,
        "macro": 3,
    }

    async def run(self, ops: int) -> dict[str, int]:
        async with self.ctx.db.read() as conn:
            self.me = int(await conn.scalar(select(Agent.id).where(Agent.name == self.agent)) or 0)
        names = list(self.WEIGHTS)
        weights = list(self.WEIGHTS.values())
        counts: dict[str, int] = {}
        for self.k in range(ops):
            name = self.rng.choices(names, weights)[0]
            line: dict[str, Any] = {"k": self.k, "op": name, "agent": self.agent}
            try:
                facts = await getattr(self, f"op_{name}")()
            except StoreError:
                raise  # the database failed us: the test fails on exit 1
            except ConsoleError as exc:  # Refused, NotFound: an answer with its reason
                line |= {"answer": "refused", "reason": str(exc)}
            else:
                line |= {"answer": "ok"} | facts
            counts[line["answer"]] = counts.get(line["answer"], 0) + 1
            self.history.write(json.dumps(line) + "\n")
            self.history.flush()
        self.history.close()
        return counts


async def cmd_soak(ctx: Ctx, args: argparse.Namespace) -> Any:
    soak = Soak(ctx, args.agent, random.Random(args.seed), Path(args.history))
    return await soak.run(args.ops)


# ------------------------------------------------------------------------------ one-shot


async def cmd_end_each(ctx: Ctx, args: argparse.Namespace) -> Any:
    ids = load_list(args.ids_file)
    if args.reverse:
        ids.reverse()
    surface = Surface(args.surface)
    return [await ending.end_session(ctx, args.agent, sid, surface) for sid in ids]


async def cmd_bulk_end(ctx: Ctx, args: argparse.Namespace) -> Any:
    bulk_id = await bulk.start_bulk(ctx, args.agent, ids=load_list(args.ids_file))
    emit({"bulk_id": bulk_id})
    return await bulk.run_bulk(ctx, bulk_id, chunk=args.chunk)


async def cmd_run_bulk(ctx: Ctx, args: argparse.Namespace) -> Any:
    if not args.gate:
        return await bulk.run_bulk(ctx, args.bulk_id, chunk=args.chunk)
    allowed = os.open(Path(args.gate) / "allowed", os.O_RDONLY)
    committed = os.open(Path(args.gate) / "committed", os.O_WRONLY)

    def one_more_chunk() -> bool:
        """Wait (the whole process: nothing else runs here) until the test allows a chunk;
        stop between chunks if it has closed the gate (the test ended without killing us)."""
        return os.read(allowed, 1) == b""

    def tell(_done: int, _total: int) -> None:
        os.write(committed, b"c")  # a chunk has committed

    return await bulk.run_bulk(
        ctx, args.bulk_id, chunk=args.chunk, progress=tell, stop=one_more_chunk
    )


async def cmd_logout(ctx: Ctx, args: argparse.Namespace) -> Any:
    """Log out; with ``--wait-ends N`` only once N sessions have ended (mid-race)."""
    deadline = time.monotonic() + 60
    while args.wait_ends and time.monotonic() < deadline:
        async with ctx.db.read() as conn:
            ended = await conn.scalar(select(func.count()).select_from(EndRecord))
        if (ended or 0) >= args.wait_ends:
            break
        await asyncio.sleep(0.005)
    return await presence.logout(ctx, args.agent, confirmed=True)


async def cmd_sweep(ctx: Ctx, args: argparse.Namespace) -> Any:
    at = datetime.now(UTC) + timedelta(hours=args.hours)
    return await timers.sweep(ctx, now=at, batch=args.chunk)


async def cmd_inbound(ctx: Ctx, args: argparse.Namespace) -> Any:
    return [
        await conversations.inbound(ctx, name, args.channel, f"after the end from {name}")
        for name in load_list(args.customers_file)
    ]


COMMANDS = {
    "soak": cmd_soak,
    "end-each": cmd_end_each,
    "bulk-end": cmd_bulk_end,
    "run-bulk": cmd_run_bulk,
    "logout": cmd_logout,
    "sweep": cmd_sweep,
    "inbound": cmd_inbound,
}


async def main(args: argparse.Namespace) -> None:
    ctx = await open_ctx(args.url)
    try:
        wait_for_go(args, within=90)
        started = time.perf_counter()
        result = await COMMANDS[args.command](ctx, args)
        emit({"result": result, "seconds": round(time.perf_counter() - started, 3)})
    finally:
        await ctx.db.dispose()


def hold_lock(path: str, seconds: float, ready: str | None) -> None:
    """Take SQLite's write lock (BEGIN IMMEDIATE) and keep it ``seconds``, then roll back."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE agents SET capacity = capacity")  # a pending write, never committed
    if ready:
        Path(ready).touch()
    time.sleep(seconds)
    conn.execute("ROLLBACK")
    conn.close()


def zygote() -> None:
    """Fork a worker per stdin line (its argv as a JSON list); print each child's pid.

    The services are imported once, here, so a test that starts and kills many workers does
    not pay the import for each. Children run with stdout on /dev/null and are reaped by the
    kernel (SIGCHLD ignored); they exit 0 when done, and a test may SIGKILL them any time.
    """
    import os
    import signal

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        argv = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            code = 0
            try:
                asyncio.run(main(parse(argv)))
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="worker.py")
    p.add_argument("command", choices=[*sorted(COMMANDS), "hold-lock", "zygote"])
    p.add_argument("url", nargs="?", default="")
    p.add_argument("--agent")
    p.add_argument("--ids-file")
    p.add_argument("--customers-file")
    p.add_argument("--channel", default="standard_sms")
    p.add_argument("--chunk", type=int, default=bulk.CHUNK)
    p.add_argument("--reverse", action="store_true")
    p.add_argument("--surface", default=Surface.CONVERSATION.value)
    p.add_argument("--bulk-id", type=int)
    p.add_argument("--gate")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ops", type=int, default=400)
    p.add_argument("--history")
    p.add_argument("--hours", type=float, default=25)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--wait-ends", type=int, default=0)
    p.add_argument("--ready")
    p.add_argument("--go")
    return p.parse_args(argv)


if __name__ == "__main__":
    parsed = parse(sys.argv[1:])
    if parsed.command == "zygote":
        zygote()
    elif parsed.command == "hold-lock":
        hold_lock(parsed.url, parsed.seconds, parsed.ready)
    else:
        asyncio.run(main(parsed))

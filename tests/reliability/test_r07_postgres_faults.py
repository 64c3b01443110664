"""Row 7 -- PostgreSQL goes away: a backend killed mid-transaction, idle connections reaped,
the server restarted, the server unreachable at start.

Invariant: every failure is reported in one line (or retried without the agent noticing);
nothing is written twice -- one end record and one end line per session, one copy of each
reply; the console reconnects and resyncs what it shows; the password is never printed.

The restart runs on a throw-away server of this test's own (``scripts/pg_throwaway.py``), never
on the shared one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event, func, select, text

from agent_console.cli.main import cli
from agent_console.domain.errors import StoreError
from agent_console.domain.vocab import Presence, Surface
from agent_console.services import agents, conversations, ending, presence, routing
from agent_console.services.changes import ChangeProbe
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from agent_console.store.models import Message
from agent_console.store.url import DatabaseURL
from agent_console.tui.app import make_app
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.screens.error import ErrorScreen
from agent_console.tui.widgets.transcript import Transcript
from conftest import PG_URL, REQUIRE_PG, drop_pg_database, new_pg_database
from shared.pg_throwaway_module import load_pg_throwaway
from shared.pulses import probe_says, pulses

from .support import (
    diff,
    dump,
    end_line_counts,
    end_record_counts,
    finish_with_check,
    record_notifications,
)

pytestmark = [pytest.mark.reliability, pytest.mark.pg]

ALL = ("enhanced_chat_user", "enhanced_chat_rep", "messaging_agent", "end_messaging_session")


def need_pg() -> None:
    if PG_URL is None:
        if REQUIRE_PG:
            pytest.fail("AGENT_CONSOLE_REQUIRE_PG is set but AGENT_CONSOLE_TEST_PG_URL is not")
        pytest.skip("PostgreSQL: set AGENT_CONSOLE_TEST_PG_URL (CI does)")


@pytest.fixture
def pg_url() -> Iterator[str]:
    need_pg()
    url, name = new_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture
async def pg(pg_url: str) -> AsyncIterator[Ctx]:
    ctx = await open_ctx(pg_url)
    try:
        yield ctx
    finally:
        await ctx.db.dispose()


def password_of(url: str) -> str:
    password = DatabaseURL(url).password
    assert password, "the test URLs carry a password"
    return str(password)


async def seed(ctx: Ctx, n: int) -> list[int]:
    await agents.add_agent(ctx, "dana", capacity=50, permissions=ALL)
    await presence.set_presence(ctx, "dana", Presence.ONLINE)
    ids = [
        (await conversations.inbound(ctx, f"cust{i}", "standard_sms", "hello")).session_id
        for i in range(n)
    ]
    assert len(await routing.route(ctx)) == n
    return ids


async def admin_exec(url: str, sql: str) -> Any:
    """Run ``sql`` on a connection of its own (the DBA's psql)."""
    import asyncpg

    dsn = DatabaseURL(url).asyncpg_dsn()
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


# ------------------------------------------------------------------------------ a) killed


class Terminator:
    """Kills this connection's own server process (pg_terminate_backend, exactly what a DBA
    or an idle-session reaper does) just before the Nth statement of the operation."""

    def __init__(self, ctx: Ctx) -> None:
        self.engine = ctx.db.engine.sync_engine
        self.at = 0
        self.count = 0
        self.fired = False

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        if self.count == self.at and not self.fired:
            self.fired = True
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    async def run(self, at: int, work: Any) -> Any:
        self.at, self.count, self.fired = at, 0, False
        event.listen(self.engine, "before_cursor_execute", self)
        try:
            return await work()
        finally:
            event.remove(self.engine, "before_cursor_execute", self)


async def test_backend_killed_mid_transaction_is_reported_and_nothing_doubles(
    pg: Ctx, pg_url: str
) -> None:
    """Invariant: a backend killed at any statement of End Chat or of a reply is one line
    ("cannot reach PostgreSQL ...", no password), writes nothing, and the retry writes once."""
    secret = password_of(pg_url)
    ids = await seed(pg, 30)
    killer = Terminator(pg)
    messages: list[str] = []
    plan: list[tuple[str, int]] = [("end", sid) for sid in ids[:15]] + [
        ("reply", sid) for sid in ids[15:]
    ]
    n = {"end": 0, "reply": 0}
    for what, sid in plan:
        n[what] += 1
        before = await dump(pg)

        async def work(what: str = what, sid: int = sid) -> Any:
            if what == "end":
                return await ending.end_session(pg, "dana", sid, Surface.CONVERSATION)
            return await conversations.send(pg, "dana", sid, f"reply to {sid}")

        try:
            await killer.run(n[what], work)
        except StoreError as exc:
            assert killer.fired
            messages.append(str(exc))
            assert diff(before, await dump(pg)) == [], (what, n[what])
            await work()  # the agent tries again: it goes through, once
        else:
            assert not killer.fired  # past the last statement: nothing to kill
    for message in messages:
        assert message.startswith("lost the connection to PostgreSQL at "), message
        assert "try again" in message and "\n" not in message and secret not in message
    assert len(messages) >= 10, messages
    assert await end_record_counts(pg) == dict.fromkeys(ids[:15], 1)
    assert await end_line_counts(pg) == dict.fromkeys(ids[:15], 1)
    async with pg.db.read() as conn:
        replies = (
            await conn.execute(
                select(Message.text, func.count())
                .where(Message.author_kind == "agent")
                .group_by(Message.text)
            )
        ).all()
    assert {t: c for t, c in replies} == {f"reply to {sid}": 1 for sid in ids[15:]}
    await finish_with_check(pg, pg_url)
    print(f"\nkilled at statements 1..: {messages[0]}")


# ------------------------------------------------------------------------------ b) reaped


async def test_idle_connections_reaped_the_next_call_just_works(pg: Ctx, pg_url: str) -> None:
    """Invariant: killing every idle connection (pool, the LISTEN probe and the pulse
    sender's) costs the agent nothing: the next unit of work succeeds first time, the probe
    reconnects and says "changed" so the console resyncs, and pulses keep coming."""
    ids = await seed(pg, 4)
    probe = ChangeProbe(pg)
    async with pulses(pg):
        await probe.open()
        try:
            # Several idle connections in the pool.
            await asyncio.gather(*(presence.set_presence(pg, "dana", Presence.ONLINE, dry_run=True)
                                   for _ in range(4)))  # fmt: skip
            assert await probe.changed() in (True, False)
            killed = await admin_exec(
                pg_url,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            assert len(killed) >= 3, killed
            await asyncio.sleep(0.2)

            result = await ending.end_session(pg, "dana", ids[0], Surface.CONVERSATION)
            assert result.result == "ended"
            assert await probe.changed() is True  # reconnected: resync
            await probe_says(probe, False, "pulse on the new connection")  # the sender is back
            other = await open_ctx(pg_url)
            try:
                await conversations.inbound(other, "cust1", "standard_sms", "still there?")
            finally:
                await other.db.dispose()
            await probe_says(probe, True, "pulse saying the database changed")
        finally:
            await probe.close()
    await finish_with_check(pg, pg_url)


# ------------------------------------------------------------------------------ c) restarted


@pytest.fixture
def own_server() -> Iterator[Any]:
    """A PostgreSQL server of this test's own, to stop and start at will."""
    need_pg()
    pgt = load_pg_throwaway()
    try:
        cluster = pgt.start()
    except pgt.PgUnavailable as exc:
        if REQUIRE_PG:
            pytest.fail(str(exc))
        pytest.skip(str(exc))

    def pg_ctl(*args: str) -> None:
        pgt._run(
            [pgt._bin(cluster.bindir, "pg_ctl"), "-D", cluster.data_dir, *args],
            run_as=cluster.run_as,
            cwd=cluster.base_dir,
            timeout=60,
        )

    cluster.halt = lambda: pg_ctl("-m", "fast", "-w", "stop")
    cluster.resume = lambda: pg_ctl("-w", "-l", cluster.log_file, "start")
    try:
        yield cluster
    finally:
        cluster.stop()


async def test_server_restart_the_console_reconnects_and_resyncs(
    own_server: Any, tmp_path: Path
) -> None:
    """Invariant: while the server is down every call says "cannot reach PostgreSQL" in one
    line without the password; once it is back the services and the running console carry on
    (no restart of the console), and the console shows what changed meanwhile."""
    url = own_server.url
    secret = password_of(url)
    ctx = await open_ctx(url)
    try:
        ids = await seed(ctx, 2)
        app = make_app(url, "dana", poll_interval=0.2, timezone=UTC)
        recorded = record_notifications(app)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen)
                           and app.screen.loaded)  # fmt: skip
            screen = app.screen
            assert isinstance(screen, ConsoleScreen)

            await asyncio.to_thread(own_server.halt)
            taken = time.monotonic()
            with pytest.raises(StoreError) as down:
                await conversations.send(ctx, "dana", ids[0], "are you there?")
            assert time.monotonic() - taken < 15
            message = str(down.value)
            assert message.startswith("cannot reach PostgreSQL at ") and secret not in message
            await wait_for(pilot, lambda: any("PostgreSQL" in m for _, m in recorded), within=15)

            await asyncio.to_thread(own_server.resume)
            sent = await conversations.send(ctx, "dana", ids[0], "back again")  # first try
            assert sent > 0
            await wait_for(
                pilot,
                lambda: (
                    screen.detail is not None
                    and any(m.text == "back again" for m in screen.detail.messages)
                ),
                within=20,
            )
            assert "back again" in screen.query_one(Transcript).plain_text
            svg = app.export_screenshot()
            assert secret not in svg
        assert all(secret not in m for _, m in recorded), recorded
        async with ctx.db.read() as conn:
            agent_lines = text("SELECT text FROM messages WHERE author_kind = 'agent'")
            sent_texts = (await conn.scalars(agent_lines)).all()
        assert sent_texts == ["back again"]  # the refused one is not there, the other once
        await finish_with_check(ctx, url)
    finally:
        await ctx.db.dispose()


async def wait_for(pilot: Any, predicate: Any, *, within: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {predicate}"
        await pilot.pause(0.05)


# ------------------------------------------------------------------------------ d) unreachable


async def test_unreachable_server_at_start_is_reported_without_the_password() -> None:
    """Invariant: services, CLI and console each say "cannot reach PostgreSQL" in one line,
    within the connect timeout, and never show the password."""
    need_pg()
    secret = "s3cr3t-Pa55word"
    url = f"postgresql+asyncpg://agent:{secret}@127.0.0.1:9/agent_console"
    taken = time.monotonic()
    with pytest.raises(StoreError) as exc:
        await open_ctx(url)
    assert time.monotonic() - taken < 12
    message = str(exc.value)
    assert message.startswith("cannot reach PostgreSQL at ") and secret not in message
    assert "***" in message and "\n" not in message

    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, cli, ["--db", url, "check"])
    assert result.exit_code == 1 and "cannot reach PostgreSQL" in result.stderr
    assert secret not in result.stdout + result.stderr

    app = make_app(url, "dana", timezone=UTC)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ErrorScreen), within=20)
        assert "cannot reach PostgreSQL" in app.screen.message  # type: ignore[attr-defined]
        assert secret not in app.export_screenshot()

"""The console's first read without SQLAlchemy (``services.first_screen``) shows exactly what
the services show: the agent, the policy, the tabs and their needs, equal to
``agents.get_agent``, ``settings.get_policy``, ``tabs.agent_tabs`` and
``reading.session_needs`` on the same file. And it steps aside (``None``)
whenever the file is not what it expects, so the usual path can say what is wrong. (That it
loads no SQLAlchemy is checked with the console's own modules, ``tests/tui/test_startup.py``.)

SQLite only: the first read is for the embedded database.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent_console.demo.seed import seed
from agent_console.domain.vocab import Presence
from agent_console.services import (
    agents,
    conversations,
    ending,
    presence,
    reading,
    routing,
    settings,
    tabs,
)
from agent_console.services.context import Ctx
from agent_console.services.first_screen import FirstScreen, first_screen
from agent_console.services.runtime import open_ctx
from agent_console.store.first_read import BUSY_TIMEOUT_S
from conftest import FakeClock, new_sqlite_database

HOSTILE = "\x1b[31mEve\x1b[0m [bold]red[/] \u202e"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    target = tmp_path / "console.db"
    new_sqlite_database(target)
    return target


@pytest.fixture
async def ctx(path: Path, clock: FakeClock) -> AsyncIterator[Ctx]:
    c = await open_ctx(f"sqlite+aiosqlite:///{path}", clock=clock)
    try:
        yield c
    finally:
        await c.db.dispose()


async def services_screen(
    ctx: Ctx, agent: str, *, live_window: int = 500, ended_window: int = 200
) -> FirstScreen:
    view = await agents.get_agent(ctx, agent)
    rows = await tabs.agent_tabs(ctx, view.id, live_window=live_window, ended_window=ended_window)
    needs = await reading.session_needs(ctx, agent, [row.id for row in rows])
    return FirstScreen(view, await settings.get_policy(ctx), rows, needs)


async def test_every_agent_of_the_demo_sees_what_the_services_show(ctx: Ctx, path: Path) -> None:
    await seed(ctx, agents=8, sessions=400, seed=3, live=0.4)
    names = [a.name for a in await agents.list_agents(ctx)]
    assert len(names) == 8
    shown = 0
    for name in names:
        expected = await services_screen(ctx, name)
        assert first_screen(path, name) == expected
        shown += len(expected.sessions)
    assert shown > 20  # the seed gave the agents tabs to compare


async def test_the_windows_and_every_kind_of_tab_match(
    ctx: Ctx, path: Path, clock: FakeClock
) -> None:
    """Live sessions, ended ones with their tab open and closed, a hostile customer name,
    a supervisor's presence with a note, and settings other than the defaults; the needs: a
    session read, one answered, one with a long hostile last line, ended ones."""
    await agents.add_agent(
        ctx, "dana", capacity=9, permissions=["messaging_agent", "end_messaging_session"]
    )
    await agents.add_agent(ctx, "root", capacity=1, is_admin=True)
    await settings.set_setting(ctx, "timezone", "Europe/Paris", admin="root")
    await settings.set_setting(ctx, "presence.away_reasons", "Lunch, Coaching", admin="root")
    await settings.set_setting(ctx, "capacity_model", "status-based", admin="root")
    await presence.set_presence(ctx, "dana", Presence.ONLINE)
    ids = []
    for n in range(7):
        name = HOSTILE if n == 3 else f"Customer {n}"
        opened = await conversations.inbound(ctx, name, "standard_sms", f"line {n}")
        ids.append(opened.session_id)
        clock.advance(seconds=60)
    assigned = await routing.route(ctx)
    assert {a.session_id for a in assigned} >= set(ids[:4])
    await conversations.send(ctx, "dana", ids[4], "On it")  # answered: nobody waiting
    clock.advance(seconds=0.25)  # a stamp with a fraction of a second
    await conversations.inbound(ctx, "Customer 5", "standard_sms", HOSTILE * 40)  # > 200
    await conversations.inbound(ctx, "Customer 5", "standard_sms", "and?")
    await reading.mark_read(ctx, "dana", ids[6])
    await conversations.inbound(ctx, "Customer 6", "standard_sms", "one more")  # 1 unread
    for sid in ids[:3]:
        await ending.end_session(ctx, "dana", sid)
    await conversations.close_tab(ctx, "dana", ids[0])
    await presence.set_presence(
        ctx, "dana", Presence.BUSY, reason="Coaching", by="root", note="1:1 at ten"
    )

    full = await services_screen(ctx, "dana")
    assert {r.status.value for r in full.sessions} >= {"Ended", "Active"}
    needs = full.needs
    assert needs[ids[4]].customer_waiting is False and needs[ids[3]].customer_waiting
    assert needs[ids[6]].unread == 1 and needs[ids[5]].unread == 3
    assert needs[ids[1]].ended_by_me and needs[ids[1]].end_actor == "dana"
    assert HOSTILE in {r.customer for r in full.sessions}
    assert full.agent.presence_note == "1:1 at ten"
    assert full.policy.timezone == "Europe/Paris"
    assert first_screen(path, "dana") == full
    narrow = await services_screen(ctx, "dana", live_window=2, ended_window=1)
    assert len(narrow.sessions) == 3
    assert first_screen(path, "dana", live_window=2, ended_window=1) == narrow
    assert first_screen(path, "root") == await services_screen(ctx, "root")


async def test_it_steps_aside_when_the_file_is_not_as_expected(
    ctx: Ctx, path: Path, tmp_path: Path
) -> None:
    await agents.add_agent(ctx, "dana")
    assert first_screen(path, "dana") is not None
    assert first_screen(path, "nobody") is None
    assert first_screen(path, "da\x00na") is None  # no such name can be stored
    assert first_screen(tmp_path / "missing.db", "dana") is None
    assert not (tmp_path / "missing.db").exists()  # and it made no file
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 100)
    assert first_screen(garbage, "dana") is None
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    assert first_screen(empty, "dana") is None  # no schema: the usual path creates it

    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0010'")
    assert first_screen(path, "dana") is None  # the usual path says to upgrade it


async def test_a_locked_file_is_left_to_the_usual_path(ctx: Ctx, path: Path) -> None:
    await agents.add_agent(ctx, "dana")
    await ctx.db.dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("PRAGMA journal_mode=DELETE")  # a writer then locks readers out
        holder.execute("BEGIN EXCLUSIVE")
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await asyncio.to_thread(first_screen, path, "dana") is None
        assert loop.time() - started < BUSY_TIMEOUT_S + 2.0
    finally:
        holder.close()

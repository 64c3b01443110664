"""Issue 14: a console refreshes only what a change touched. A message in another agent's
session costs this console one poll and nothing more; one in its own session refreshes it;
the list reloads when a loaded row or its count changes, and only checks otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event

from agent_console.domain.feed import ChangeKind
from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, presence, routing
from agent_console.services.changes import current_cursor
from agent_console.services.context import Ctx
from agent_console.tui.app import AgentConsoleApp
from agent_console.tui.widgets.filter_choice import FilterChoice
from shared.pulses import heard_through, pulses

from .conftest import AGENT, ALL_PERMISSIONS, SIZE, Seeded, console_ready, until
from .list_support import World, build_world, open_list, row_ids, title_text

OTHER = "erin"


@dataclass
class Calls:
    """How often a backend method was called, and the SQL statements the backend ran."""

    calls: dict[str, int] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.calls.clear()
        self.statements.clear()


@contextmanager
def watching(app: AgentConsoleApp, *names: str) -> Iterator[Calls]:
    backend = app.backend
    assert backend is not None
    seen = Calls()
    for name in names:
        real = getattr(backend, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kw: Any) -> Any:
            seen.calls[_name] = seen.calls.get(_name, 0) + 1
            return _real(*args, **kw)

        setattr(backend, name, spy)
    engine = backend.ctx.db.engine.sync_engine

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.startswith("BEGIN"):  # SQLite's BEGIN DEFERRED is not a query
            seen.statements.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        for name in names:
            delattr(backend, name)


async def others_session(ctx: Ctx) -> int:
    """A session routing gives to erin (dana is Busy meanwhile, then Online again)."""
    await agents.add_agent(ctx, OTHER, capacity=5, permissions=ALL_PERMISSIONS)
    await presence.set_presence(ctx, AGENT, Presence.BUSY)
    await presence.set_presence(ctx, OTHER, Presence.ONLINE)
    r = await conversations.inbound(ctx, "Fay", "standard_sms", "Hi erin")
    assert [a.agent for a in await routing.route(ctx)] == [OTHER]
    await presence.set_presence(ctx, AGENT, Presence.ONLINE)
    return r.session_id


async def test_another_agents_session_costs_one_poll_and_no_refresh(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    theirs = await others_session(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        await app.workers.wait_for_complete()  # what the first snapshot started (mark read)
        with watching(app, "snapshot") as seen:
            await conversations.inbound(ctx, "Fay", "standard_sms", "Hello again")
            news = await app.poll_changes()
            await pilot.pause()
            assert not news
            assert seen.calls == {}
            # Nothing but the poll (on PostgreSQL it goes to the driver, unseen here).
            assert [q for q in seen.statements if "FROM changes" not in q] == []
            assert theirs not in [row.id for row in console.rows]

            seen.reset()
            await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", "Are you there?")
            news = await app.poll_changes()
            assert [(t.kind, t.session_id) for t in news.touches] == [
                (ChangeKind.MESSAGE, seeded.alice)
            ]
            await until(
                pilot,
                lambda: console.needs[seeded.alice].last_customer_text == "Are you there?",
                what="dana's console to show Alice's second line",
            )
            assert seen.calls == {"snapshot": 1}


async def test_the_open_session_of_another_agent_refreshes_when_it_changes(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    theirs = await others_session(ctx)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        console.selected_id = theirs  # as if opened from the list (it is not dana's)
        with watching(app, "snapshot") as seen:
            await conversations.inbound(ctx, "Fay", "standard_sms", "Anyone?")
            assert [t.session_id for t in (await app.poll_changes()).touches] == [theirs]
            await until(pilot, lambda: seen.calls.get("snapshot") == 1, what="a refresh")


@pytest.fixture
async def world(ctx: Ctx, seeded: Seeded) -> World:
    return await build_world(ctx, seeded)


async def test_the_list_reloads_for_a_loaded_row_or_a_new_match_and_only_counts_otherwise(
    world: World, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(world.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_list(pilot)
        screen.query_one("#filter-status", FilterChoice).value = "Waiting"
        await until(
            pilot,
            lambda: (
                set(row_ids(screen)) == {world.cara, world.dov}
                and "2 matching" in title_text(screen)
            ),
            what="the Waiting sessions",
        )
        with watching(app, "list_page", "count_among", "snapshot") as seen:
            # dana's Active session: not loaded, not Waiting: one check, no reload.
            await conversations.inbound(ctx, "Bob", "standard_sms", "me again")
            await app.poll_changes()
            await until(pilot, lambda: seen.calls.get("count_among") == 1, what="the check")
            await pilot.pause()
            assert "list_page" not in seen.calls
            assert seen.calls.get("snapshot") == 1  # the console below: Bob is dana's

            # A loaded row changes: the rows in view reload.
            seen.reset()
            await conversations.inbound(ctx, "Cara", "byoc", "still waiting")
            await app.poll_changes()
            await until(pilot, lambda: seen.calls.get("list_page") == 1, what="a reload")
            assert "count_among" not in seen.calls

            # A new Waiting session: not loaded, but it matches: the list reloads and shows it.
            seen.reset()
            new = await conversations.inbound(ctx, "Gil", "standard_sms", "hello")
            await app.poll_changes()
            await until(
                pilot,
                lambda: new.session_id in row_ids(screen) and "3 matching" in title_text(screen),
                what="the new Waiting session in the list",
            )
            assert seen.calls.get("count_among") == 1
            await pilot.pause()  # the console below has read the news too
            await app.workers.wait_for_complete()
            assert "snapshot" not in seen.calls  # a queued session is nobody's yet


async def test_the_open_sessions_detail_is_read_again_only_when_it_was_touched(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        assert console.selected_id == seeded.alice
        await app.workers.wait_for_complete()
        with watching(app, "snapshot", "session") as seen:
            # Bob's session is dana's but not open: the list part only.
            await conversations.inbound(ctx, "Bob", "standard_sms", "hello?")
            await app.poll_changes()
            await until(
                pilot,
                lambda: console.needs[seeded.bob].last_customer_text == "hello?",
                what="Bob's line in the list",
            )
            assert seen.calls == {"snapshot": 1}
            # The refresh: settings, the agent, their tabs, deliveries, and the needs (unread
            # and newest lines in one pass, the last lines' text; no tab has ended, so no
            # end records).
            refresh = [s for s in seen.statements if "FROM changes" not in s]
            assert len(refresh) == 6, refresh
            # Alice's is open: its detail too.
            seen.reset()
            await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", "my order?")
            await app.poll_changes()
            await until(
                pilot,
                lambda: (
                    console.detail is not None and console.detail.messages[-1].text == "my order?"
                ),
                what="Alice's line in the open conversation",
            )
            assert seen.calls == {"snapshot": 1, "session": 1}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_poll_tick_the_pulses_answer_starts_no_worker(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    """On PostgreSQL with pulses coming, a tick whose pulses say nothing shown changed starts
    no poll worker (four ticks a second, all day, on every console); one that concerns the
    console polls and the screen shows the change."""
    app = app_factory(seeded.url)
    async with pulses(ctx), app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        await app.workers.wait_for_complete()
        assert app.backend is not None
        feed = app.backend.feed
        await heard_through(feed, await current_cursor(ctx))
        app._poll_tick()  # what the pulses summed up before the console opened: maybe a read
        await app.workers.wait_for_complete()
        first = app._poll_worker
        for _ in range(3):
            app._poll_tick()
            assert app._poll_worker is first  # no new worker
        await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", "still there?")
        await heard_through(feed, await current_cursor(ctx))
        app._poll_tick()
        assert app._poll_worker is not first
        await until(
            pilot,
            lambda: (
                console.detail is not None and console.detail.messages[-1].text == "still there?"
            ),
            what="Alice's line in the open conversation",
        )

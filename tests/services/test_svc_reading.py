"""Read markers and what needs the agent (issue 11): unread customer messages after the
agent's marker, the newest customer line, who is waiting, and whose end it was; on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from svc_support import ALL, STANDARD, add, assigned

from agent_console.domain.errors import NotFound
from agent_console.domain.vocab import Surface
from agent_console.services import agents, conversations, ending, listing, reading
from agent_console.services.context import Ctx
from agent_console.store.models import ReadMarker
from conftest import FakeClock


async def _newest(ctx: Ctx, sid: int) -> int:
    return (await listing.show_session(ctx, sid)).messages[-1].id


async def test_unread_counts_customer_messages_after_the_marker(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD, customer="cara")
    needs = await reading.session_needs(ctx, "dana", [sid])
    assert needs[sid].unread == 1  # "hello from cara", never opened
    assert needs[sid].customer_waiting
    assert needs[sid].last_customer_text == "hello from cara"

    await reading.mark_read(ctx, "dana", sid, await _newest(ctx, sid))
    assert (await reading.session_needs(ctx, "dana", [sid]))[sid].unread == 0

    clock.advance(minutes=1)
    await conversations.inbound(ctx, "cara", STANDARD, "are you there?")
    clock.advance(minutes=1)
    await conversations.inbound(ctx, "cara", STANDARD, "hello??")
    needs = await reading.session_needs(ctx, "dana", [sid])
    assert needs[sid].unread == 2
    assert needs[sid].last_customer_text == "hello??"
    assert needs[sid].last_customer_at == clock.now

    # The agent's own reply is never unread, and answers the wait.
    await conversations.send(ctx, "dana", sid, "Yes, here")
    needs = await reading.session_needs(ctx, "dana", [sid])
    assert needs[sid].unread == 2
    assert not needs[sid].customer_waiting


async def test_markers_are_per_agent_and_only_move_forward(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    await agents.add_agent(ctx, "sam", permissions=ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await conversations.inbound(ctx, "cara", STANDARD, "second")
    newest = await _newest(ctx, sid)
    assert await reading.mark_read(ctx, "dana", sid) == newest  # None: up to the newest
    assert await reading.mark_read(ctx, "dana", sid, newest - 1) == newest  # never back
    assert await reading.read_marker(ctx, "dana", sid) == newest
    assert await reading.read_marker(ctx, "sam", sid) == 0
    assert (await reading.session_needs(ctx, "sam", [sid]))[sid].unread == 2
    assert (await reading.session_needs(ctx, "dana", [sid]))[sid].unread == 0
    # A marker past the newest message is held at the newest.
    assert await reading.mark_read(ctx, "sam", sid, newest + 1000) == newest
    async with ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(ReadMarker)) == 2


async def test_marking_an_unknown_session_or_agent_is_refused(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    with pytest.raises(NotFound, match="no session S-999999"):
        await reading.mark_read(ctx, "dana", 999_999)
    with pytest.raises(NotFound, match="unknown agent"):
        await reading.mark_read(ctx, "nobody", sid)


async def test_needs_of_many_sessions_in_one_read(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL, capacity_=10)
    sids = [await assigned(ctx, "dana", STANDARD, customer=f"c{i}") for i in range(6)]
    await reading.mark_read(ctx, "dana", sids[0])
    needs = await reading.session_needs(ctx, "dana", [*sids, 999_999])
    assert [needs[s].unread for s in sids] == [0, 1, 1, 1, 1, 1]
    assert needs[999_999] == reading.SessionNeeds(999_999)  # no such session: nothing needed
    assert await reading.session_needs(ctx, "dana", []) == {}


async def test_a_long_or_hostile_last_line_is_loaded_raw_and_bounded(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    hostile = "\x1b[2J[@click=app.quit]x[/] " + "é" * 500
    await conversations.inbound(ctx, "cara", STANDARD, hostile)
    text = (await reading.session_needs(ctx, "dana", [sid]))[sid].last_customer_text
    assert text == hostile[: reading.LAST_LINE_CHARS]


async def test_ended_by_me_names_only_this_agents_own_end(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    await add(ctx, "sam", ALL)
    mine = await assigned(ctx, "dana", STANDARD, customer="a")
    theirs = await assigned(ctx, "sam", STANDARD, customer="b")
    await ending.end_session(ctx, "dana", mine, Surface.CONVERSATION)
    await ending.end_session(ctx, "sam", theirs, Surface.CONVERSATION)
    needs = await reading.session_needs(ctx, "dana", [mine, theirs])
    assert needs[mine].ended_by_me
    assert not needs[theirs].ended_by_me
    assert (needs[theirs].end_actor_kind, needs[theirs].end_actor) == ("agent", "sam")
    assert needs[mine].end_actor == "dana"


async def test_agent_initiated_session_has_no_customer_line_until_they_answer(
    ctx: Ctx,
) -> None:
    await add(ctx, "dana", ALL)
    sid = (await conversations.outbound(ctx, "dana", "olga", STANDARD, "Your parcel")).session_id
    needs = (await reading.session_needs(ctx, "dana", [sid]))[sid]
    assert (needs.unread, needs.last_customer_text, needs.customer_waiting) == (0, None, False)

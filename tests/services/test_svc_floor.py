"""The supervisor board (issue 14): services/floor.py on both backends.

Every agent's state, capacity, live sessions and longest customer wait; each channel's queue
(New and Waiting); the totals; sort and filter; admins only; and the board's cost: the same
few statements whatever the number of agents.

``customer_waiting_since`` is set here with an UPDATE: the writes that keep it are another
change (this branch's writes leave it None).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update
from svc_support import (
    ADMIN,
    ENHANCED_MSG,
    MSG,
    STANDARD,
    STANDARD_FB,
    add,
    admin,
    assigned,
    setting,
    statements,
)

from agent_console.domain.errors import NotFound, Refused
from agent_console.domain.floor import FloorFilter, FloorSort, FloorState
from agent_console.domain.vocab import Presence
from agent_console.services import conversations, ending, presence, routing
from agent_console.services.context import Ctx
from agent_console.services.floor import floor
from agent_console.services.views import FloorAgent, FloorView
from agent_console.store.models import Session
from conftest import T0, FakeClock

ON, BUSY, OFF, OUT = FloorState.ONLINE, FloorState.BUSY, FloorState.OFFLINE, FloorState.LOGGED_OUT


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def set_session(ctx: Ctx, sid: int, **values: Any) -> None:
    """Columns no service writes yet in this branch (the wait) or ever (status New)."""
    async with ctx.db.write() as conn:
        await conn.execute(update(Session).where(Session.id == sid).values(**values))


async def make_floor(ctx: Ctx, clock: FakeClock) -> dict[str, int]:
    """root (admin, never signed in); dana Busy with 2 Active + 1 Inactive (+1 Ended); amir
    Away: Lunch with 1 Active; lee Offline; olga Online; ghost never signed in. Queues:
    standard_sms 1 Waiting, enhanced_whatsapp 2 Waiting, standard_facebook_messenger 1 New.
    The clock ends at T0 + 20 min."""
    await admin(ctx)
    await setting(ctx, "capacity_model", "status-based")
    await add(ctx, "dana")
    s = {n: await assigned(ctx, "dana", STANDARD, n) for n in ("ana", "bo", "cy", "eve")}
    await conversations.send(ctx, "dana", s["cy"], "Anything else?")  # cy is not waiting
    await conversations.mark_inactive(ctx, "dana", s["cy"])
    await ending.end_session(ctx, "dana", s["eve"])
    clock.advance(minutes=1)
    await presence.set_presence(ctx, "dana", Presence.BUSY)  # since T0 + 1
    await add(ctx, "amir", MSG, capacity_=2)
    s["di"] = await assigned(ctx, "amir", ENHANCED_MSG, "di")
    clock.advance(minutes=1)
    await presence.set_presence(ctx, "amir", Presence.BUSY, reason="Lunch")  # since T0 + 2
    await add(ctx, "lee", MSG)
    clock.advance(minutes=1)
    await presence.set_presence(ctx, "lee", Presence.OFFLINE)  # since T0 + 3
    await add(ctx, "ghost", MSG, online=False)
    clock.advance(minutes=1)
    await add(ctx, "olga", MSG)  # Online since T0 + 4; nothing routes from here on
    for name, channel in (("ed", STANDARD), ("fa", ENHANCED_MSG), ("gil", ENHANCED_MSG),
                          ("hal", STANDARD_FB)):  # fmt: skip
        clock.advance(minutes=1)  # created at T0 + 5, 6, 7, 8
        s[name] = (await conversations.inbound(ctx, name, channel, "hello")).session_id
    await set_session(ctx, s["hal"], status="New")
    # The customers' oldest unanswered lines.
    await set_session(ctx, s["ana"], customer_waiting_since=at(10))
    await set_session(ctx, s["bo"], customer_waiting_since=at(15))
    await set_session(ctx, s["di"], customer_waiting_since=at(12))
    await set_session(ctx, s["eve"], customer_waiting_since=at(0.5))  # Ended: not counted
    await set_session(ctx, s["fa"], customer_waiting_since=at(9))  # wins over its creation
    clock.now = at(20)
    return s


def rows(view: FloorView) -> dict[str, FloorAgent]:
    return {a.name: a for a in view.agents}


def names(view: FloorView) -> list[str]:
    return [a.name for a in view.agents]


async def test_each_agents_state_capacity_sessions_and_longest_wait(
    ctx: Ctx, clock: FakeClock
) -> None:
    await make_floor(ctx, clock)
    view = await floor(ctx, ADMIN)

    assert view.at == at(20)
    got = {
        a.name: (a.state, a.presence, a.away_reason, a.presence_since, a.used, a.capacity,
                 a.active, a.inactive, a.customers_waiting, a.longest_wait_since)
        for a in view.agents
    }  # fmt: skip
    assert got == {
        "dana": (BUSY, Presence.BUSY, None, at(1), 2, 5, 2, 1, 2, at(10)),
        "amir": (BUSY, Presence.BUSY, "Lunch", at(2), 1, 2, 1, 0, 1, at(12)),
        "lee": (OFF, Presence.OFFLINE, None, at(3), 0, 5, 0, 0, 0, None),
        "olga": (ON, Presence.ONLINE, None, at(4), 0, 5, 0, 0, 0, None),
        "ghost": (OUT, Presence.OFFLINE, None, None, 0, 5, 0, 0, 0, None),
        ADMIN: (OUT, Presence.OFFLINE, None, None, 0, 5, 0, 0, 0, None),
    }
    assert rows(view)["dana"].live_sessions == 3
    assert rows(view)[ADMIN].is_admin and not rows(view)["dana"].is_admin
    assert all(a.presence_by is None and a.presence_note is None for a in view.agents)


async def test_the_queues_per_channel_count_new_and_waiting(ctx: Ctx, clock: FakeClock) -> None:
    await make_floor(ctx, clock)
    view = await floor(ctx, ADMIN)

    busy = [(q.channel, q.channel_name, q.waiting, q.oldest_since) for q in view.queues[:3]]
    assert busy == [
        # The most waiting first, then the oldest wait; coalesce(waiting since, created).
        ("enhanced_whatsapp", "Enhanced WhatsApp", 2, at(7)),
        ("standard_sms", "Standard SMS", 1, at(5)),
        ("standard_facebook_messenger", "Standard Facebook Messenger", 1, at(8)),
    ]
    assert len(view.queues) == 11  # every channel, an empty queue too
    assert all((q.waiting, q.oldest_since) == (0, None) for q in view.queues[3:])
    empty = [q.channel_name for q in view.queues[3:]]
    assert empty == sorted(empty)


async def test_the_totals_are_the_whole_floor_whatever_the_filter(
    ctx: Ctx, clock: FakeClock
) -> None:
    await make_floor(ctx, clock)
    for flt in (FloorFilter(), FloorFilter(frozenset({ON}), "ol")):
        t = (await floor(ctx, ADMIN, flt=flt)).totals
        assert t.agents == 6
        assert t.by_state == {ON: 1, BUSY: 2, OFF: 1, OUT: 2}
        assert (t.used, t.capacity, t.active, t.inactive) == (3, 5 + 5 + 2 + 5 + 5 + 5, 3, 1)
        assert (t.waiting, t.customers_waiting, t.longest_wait_since) == (4, 3, at(10))


async def test_a_queued_session_leaves_the_queue_for_its_owners_row(
    ctx: Ctx, clock: FakeClock
) -> None:
    s = await make_floor(ctx, clock)
    await set_session(ctx, s["ed"], customer_waiting_since=at(6))
    got = await routing.route(ctx)  # olga is Online: she gets the whole queue she may take
    assert {a.agent for a in got} == {"olga"}
    view = await floor(ctx, ADMIN)
    olga = rows(view)["olga"]
    assert olga.active == len(got) and olga.longest_wait_since == at(6)
    assert view.totals.waiting == 4 - len(got)
    assert view.totals.longest_wait_since == at(6)


async def test_sort_reverse_and_filter(ctx: Ctx, clock: FakeClock) -> None:
    await make_floor(ctx, clock)

    async def order(**kw: Any) -> list[str]:
        view = await floor(ctx, ADMIN, **kw)
        assert (view.sort, view.reverse) == (kw.get("sort", FloorSort.STATE),
                                             kw.get("reverse", False))  # fmt: skip
        return names(view)

    assert await order() == ["olga", "dana", "amir", "lee", "ghost", ADMIN]
    assert await order(sort=FloorSort.NAME) == ["amir", "dana", "ghost", "lee", "olga", ADMIN]
    assert await order(sort=FloorSort.TIME) == ["dana", "amir", "lee", "olga", "ghost", ADMIN]
    assert await order(sort=FloorSort.LOAD) == ["amir", "dana", "ghost", "lee", "olga", ADMIN]
    assert await order(sort=FloorSort.SESSIONS) == ["dana", "amir", "ghost", "lee", "olga",
                                                    ADMIN]  # fmt: skip
    assert await order(sort=FloorSort.WAIT) == ["dana", "amir", "ghost", "lee", "olga", ADMIN]
    assert await order(sort=FloorSort.WAIT, reverse=True) == [ADMIN, "olga", "lee", "ghost",
                                                              "amir", "dana"]  # fmt: skip
    assert await order(flt=FloorFilter(frozenset({BUSY, OFF}))) == ["dana", "amir", "lee"]
    assert await order(flt=FloorFilter(frozenset({OUT}))) == ["ghost", ADMIN]
    assert await order(flt=FloorFilter(text="O")) == ["olga", "ghost", ADMIN]
    assert await order(flt=FloorFilter(frozenset({ON}), "zz")) == []
    flt = FloorFilter(frozenset({BUSY}), "a")
    assert (await floor(ctx, ADMIN, flt=flt)).filter == flt


async def test_only_an_admin_sees_the_board(ctx: Ctx, clock: FakeClock) -> None:
    await make_floor(ctx, clock)
    with pytest.raises(Refused, match="only admins can open the supervisor board: dana is not"):
        await floor(ctx, "dana")
    with pytest.raises(NotFound, match="unknown agent 'nobody'"):
        await floor(ctx, "nobody")


# ------------------------------------------------------------------------------ the cost


async def test_the_board_is_three_statements_whatever_the_number_of_agents(
    ctx: Ctx, clock: FakeClock
) -> None:
    await make_floor(ctx, clock)
    await floor(ctx, ADMIN)  # a warm connection (PostgreSQL asks for its version once)
    with statements(ctx) as few:
        small = await floor(ctx, ADMIN)

    for i in range(40):  # 40 more agents, each with a session
        await add(ctx, f"agent{i:02d}", MSG)
        await conversations.inbound(ctx, f"cust{i:02d}", STANDARD, "hi")
    await routing.route(ctx)
    with statements(ctx) as many:
        big = await floor(ctx, ADMIN)

    assert len(small.agents) == 6 and len(big.agents) == 46
    assert big.totals.active == small.totals.active + 40 + small.totals.waiting
    # The viewer's admin right is read from their row among the agents: no fourth statement.
    assert len(many) == len(few) == 3, many
    assert sum("GROUP BY" in s for s in many) == 2
    assert not any("WHERE agents.name" in s for s in many)

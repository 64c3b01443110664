"""R2 (capacity after ending), R5 (going Offline), routing, and what a customer message does
after the end (a new session) or to an Inactive session (reactivation)."""

from __future__ import annotations

import pytest
from svc_support import (
    ALL,
    EC,
    ENHANCED_CHAT,
    ENHANCED_MSG,
    LIST,
    MSG,
    STANDARD,
    STANDARD_FB,
    action,
    add,
    admin,
    assigned,
    consistent,
    ledger_ids,
    setting,
    show,
    statuses,
    used,
)

from agent_console.domain.errors import Refused
from agent_console.domain.policy import SettingError
from agent_console.domain.vocab import Presence, Surface
from agent_console.services import (
    agents,
    capacity,
    conversations,
    ending,
    listing,
    presence,
    routing,
)
from agent_console.services.context import Ctx
from agent_console.services.listing import SessionFilter
from agent_console.services.presence import REQUEUED, STAYS, STAYS_INACTIVE
from agent_console.services.views import ActionId
from conftest import FakeClock

# R2 ------------------------------------------------------------------------------------------


async def test_r2_tab_based_end_keeps_units_until_the_tab_is_closed(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL, capacity_=1)
    sid = await assigned(ctx, "dana", STANDARD)

    with pytest.raises(Refused) as exc:
        await conversations.close_tab(ctx, "dana", sid)
    assert str(exc.value) == f"end the chat before closing its tab: S-{sid} is Active"
    assert (await show(ctx, sid)).session.tab_open is True
    assert await used(ctx, "dana") == 1

    res = await ending.end_session(ctx, "dana", sid)
    assert res.result == "ended"
    assert res.reason == "ended; close the tab to free capacity (1 unit held)"
    led = await capacity.ledger(ctx, "dana")
    assert (led.used, led.capacity) == (1, 1)
    assert [(i.session_id, i.units, i.status) for i in led.items] == [(sid, 1, "Ended")]
    assert "close the tab to free capacity" in led.items[0].why
    assert (await agents.get_agent(ctx, "dana")).used == 1
    allowed, why = action(await show(ctx, sid), ActionId.CLOSE_TAB)
    assert allowed and why == "frees 1 unit"

    # The held unit is real: new work is not routed to dana while the tab is open.
    waiting = (await conversations.inbound(ctx, "carl", STANDARD, "hi")).session_id
    assert await routing.route(ctx) == []
    assert await statuses(ctx, waiting) == ["Waiting"]
    await consistent(ctx)

    closed = await conversations.close_tab(ctx, "dana", sid)
    assert (closed.units_freed, closed.used, closed.capacity) == (1, 0, 1)
    assert await used(ctx, "dana") == 0 and await ledger_ids(ctx, "dana") == []
    assert (await show(ctx, sid)).session.tab_open is False
    assert [(a.session_id, a.agent) for a in await routing.route(ctx)] == [(waiting, "dana")]
    await consistent(ctx)


async def test_r2_close_tab_twice_or_by_someone_else_refused(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await add(ctx, "erin", ALL, online=False)
    await ending.end_session(ctx, "dana", sid)
    with pytest.raises(Refused) as exc:
        await conversations.close_tab(ctx, "erin", sid)
    assert str(exc.value) == f"not your tab: S-{sid} is not assigned to erin"
    assert await used(ctx, "dana") == 1
    await conversations.close_tab(ctx, "dana", sid)
    with pytest.raises(Refused) as exc:
        await conversations.close_tab(ctx, "dana", sid)
    assert str(exc.value) == f"the tab of S-{sid} is already closed"
    assert await used(ctx, "dana") == 0
    await consistent(ctx)


async def test_r2_status_based_end_frees_units_at_once(ctx: Ctx) -> None:
    await admin(ctx)
    await setting(ctx, "capacity_model", "status-based")
    await setting(ctx, f"channel.{STANDARD}.units", "2")
    await add(ctx, "dana", ALL, capacity_=2)
    sid = await assigned(ctx, "dana", STANDARD)
    assert await used(ctx, "dana") == 2

    res = await ending.end_session(ctx, "dana", sid)

    assert (res.result, res.reason) == ("ended", "ended; 2 units freed")
    assert "close the tab" not in res.reason
    led = await capacity.ledger(ctx, "dana")
    assert (led.used, led.items) == (0, [])
    assert (await show(ctx, sid)).session.units_held == 0
    # Freed at once: the next session is routed to dana without closing any tab.
    nxt = await assigned(ctx, "dana", STANDARD, "carl")
    assert await ledger_ids(ctx, "dana") == [nxt]
    await consistent(ctx)


# R5 ------------------------------------------------------------------------------------------

FAMILIES = [
    # (channel, perms of a rep who may NOT take it, perms of the rep who may)
    pytest.param(ENHANCED_CHAT, ("messaging_agent", "enhanced_chat_user"), EC, id="enhanced-chat"),
    pytest.param(STANDARD, EC, MSG, id="standard-messaging"),
    pytest.param(ENHANCED_MSG, (*EC, *LIST), MSG, id="enhanced-msg"),
]  # fmt: skip


@pytest.mark.parametrize(("channel", "wrong", "right"), FAMILIES)
async def test_r5_offline_tab_based_requeues_unowned_and_frees_units(
    ctx: Ctx, channel: str, wrong: tuple[str, ...], right: tuple[str, ...]
) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", channel)
    await add(ctx, "frank", wrong)  # Online, free capacity, wrong permissions
    await add(ctx, "gina", right, online=False)

    res = await presence.set_presence(ctx, "dana", Presence.OFFLINE)

    assert [(e.session_id, e.effect) for e in res.effects] == [(sid, REQUEUED)]
    assert res.rerouted == []  # nobody Online may take it: frank lacks the permissions
    d = await show(ctx, sid)
    assert (d.session.status, d.session.owner, d.session.tab_open, d.session.units_held) == (
        "Waiting",
        None,
        False,
        0,
    )
    assert d.end is None
    hidden = [m for m in d.messages if m.author_kind == "system"]
    assert [(m.text, m.visible_to_customer) for m in hidden] == [
        ("dana went offline; waiting for another rep", False)
    ]
    assert await used(ctx, "dana") == 0
    assert (await agents.get_agent(ctx, "dana")).presence == "Offline"
    await consistent(ctx)

    back = await presence.set_presence(ctx, "gina", Presence.ONLINE)

    assert [(a.session_id, a.agent) for a in back.rerouted] == [(sid, "gina")]
    d = await show(ctx, sid)
    assert (d.session.status, d.session.owner, d.session.tab_open) == ("Active", "gina", True)
    assert await used(ctx, "gina") == 1 and await used(ctx, "frank") == 0
    await consistent(ctx)


async def test_r5_offline_tab_based_routes_to_another_online_rep_at_once(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    s1 = await assigned(ctx, "dana", STANDARD, "c1")
    s2 = await assigned(ctx, "dana", ENHANCED_CHAT, "c2")
    await add(ctx, "erin", ALL)

    res = await presence.set_presence(ctx, "dana", Presence.OFFLINE)

    assert sorted((e.session_id, e.effect) for e in res.effects) == [(s1, REQUEUED), (s2, REQUEUED)]
    assert sorted((a.session_id, a.agent) for a in res.rerouted) == [(s1, "erin"), (s2, "erin")]
    for sid in (s1, s2):
        d = await show(ctx, sid)
        assert (d.session.status, d.session.owner) == ("Active", "erin")
    assert await used(ctx, "dana") == 0 and await used(ctx, "erin") == 2
    await consistent(ctx)


async def test_r5_offline_agent_gets_no_new_work(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    await presence.set_presence(ctx, "dana", Presence.OFFLINE)
    sid = (await conversations.inbound(ctx, "cara", STANDARD, "hi")).session_id
    assert await routing.route(ctx) == []
    assert await statuses(ctx, sid) == ["Waiting"]
    await consistent(ctx)


async def test_r5_offline_status_based_stays_active_with_the_same_owner(ctx: Ctx) -> None:
    await admin(ctx)
    await setting(ctx, "capacity_model", "status-based")
    await add(ctx, "dana", ALL)
    active = await assigned(ctx, "dana", STANDARD, "c1")
    quiet = await assigned(ctx, "dana", ENHANCED_MSG, "c2")
    await conversations.mark_inactive(ctx, "dana", quiet)
    await add(ctx, "erin", ALL)

    res = await presence.set_presence(ctx, "dana", Presence.OFFLINE)

    assert [(e.session_id, e.effect) for e in res.effects] == [
        (active, STAYS),
        (quiet, STAYS_INACTIVE),
    ]
    assert res.rerouted == []
    a, q = await show(ctx, active), await show(ctx, quiet)
    assert (a.session.status, a.session.owner, a.session.units_held) == ("Active", "dana", 1)
    assert (q.session.status, q.session.owner, q.session.units_held) == ("Inactive", "dana", 0)
    assert await used(ctx, "dana") == 1 and await used(ctx, "erin") == 0
    assert (await agents.get_agent(ctx, "dana")).presence == "Offline"
    await consistent(ctx)


async def test_r5_offline_dry_run_lists_effects_and_changes_nothing(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    s1 = await assigned(ctx, "dana", STANDARD, "c1")
    s2 = await assigned(ctx, "dana", ENHANCED_MSG, "c2")
    await add(ctx, "erin", ALL)
    before = [await show(ctx, s) for s in (s1, s2)]

    res = await presence.set_presence(ctx, "dana", Presence.OFFLINE, dry_run=True)

    assert res.dry_run is True and (res.before, res.after) == ("Online", "Offline")
    assert [(e.session_id, e.effect) for e in res.effects] == [(s1, REQUEUED), (s2, REQUEUED)]
    assert res.rerouted == []
    assert [await show(ctx, s) for s in (s1, s2)] == before
    assert (await agents.get_agent(ctx, "dana")).presence == "Online"
    assert await used(ctx, "dana") == 2 and await used(ctx, "erin") == 0
    await consistent(ctx)


async def test_r5_busy_keeps_sessions_and_gets_no_new_work(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    res = await presence.set_presence(ctx, "dana", Presence.BUSY)
    assert res.effects == []
    nxt = (await conversations.inbound(ctx, "carl", STANDARD, "hi")).session_id
    assert await routing.route(ctx) == []
    assert await statuses(ctx, sid, nxt) == ["Active", "Waiting"]
    await consistent(ctx)


# Routing -------------------------------------------------------------------------------------


async def test_routing_never_over_capacity(ctx: Ctx) -> None:
    await admin(ctx)
    await setting(ctx, f"channel.{STANDARD}.units", "2")
    await add(ctx, "dana", ALL, capacity_=3)
    std = [(await conversations.inbound(ctx, f"c{i}", STANDARD, "hi")).session_id for i in range(3)]
    got = await routing.route(ctx)
    assert [(a.session_id, a.agent) for a in got] == [(std[0], "dana")]
    assert await used(ctx, "dana") == 2  # one free unit: a 2-unit session does not fit

    small = (await conversations.inbound(ctx, "c9", ENHANCED_MSG, "hi")).session_id
    assert [(a.session_id, a.agent) for a in await routing.route(ctx)] == [(small, "dana")]
    assert await used(ctx, "dana") == 3
    assert await routing.route(ctx) == []
    assert await statuses(ctx, *std[1:]) == ["Waiting", "Waiting"]
    agent = await agents.get_agent(ctx, "dana")
    assert agent.used <= agent.capacity
    await consistent(ctx)


async def test_routing_many_sessions_many_agents_never_over_capacity(ctx: Ctx) -> None:
    for name, cap in (("a1", 2), ("a2", 3), ("a3", 1)):
        await add(ctx, name, MSG, capacity_=cap)
    for i in range(10):
        await conversations.inbound(ctx, f"c{i}", STANDARD, "hi")
    got = await routing.route(ctx, batch=3)
    assert len(got) == 6
    for name, cap in (("a1", 2), ("a2", 3), ("a3", 1)):
        assert await used(ctx, name) == cap
    assert await listing.count_sessions(ctx, SessionFilter(statuses=("Waiting",))) == 4
    await consistent(ctx)


async def test_routing_respects_permissions_per_family(ctx: Ctx) -> None:
    # The enhanced-chat rep has the least free capacity but is the only one who may take chat.
    await add(ctx, "licence_only", ("enhanced_chat_user", "messaging_agent"), capacity_=10)
    await add(ctx, "msg", MSG, capacity_=9)
    await add(ctx, "chat", EC, capacity_=1)
    await add(ctx, "lister", LIST, capacity_=20)

    chat = (await conversations.inbound(ctx, "c1", ENHANCED_CHAT, "hi")).session_id
    std = (await conversations.inbound(ctx, "c2", STANDARD, "hi")).session_id
    enh = (await conversations.inbound(ctx, "c3", ENHANCED_MSG, "hi")).session_id
    chat2 = (await conversations.inbound(ctx, "c4", "enhanced_in_app_chat", "hi")).session_id
    got = {a.session_id: a.agent for a in await routing.route(ctx)}

    assert got[chat] == "chat"
    assert got[std] in ("licence_only", "msg") and got[enh] in ("licence_only", "msg")
    assert chat2 not in got  # the only rep allowed is full
    assert await statuses(ctx, chat2) == ["Waiting"]
    assert await used(ctx, "lister") == 0
    await consistent(ctx)


async def test_routing_finds_the_one_qualified_agent_outside_the_first_agents_looked_at(
    ctx: Ctx,
) -> None:
    # On PostgreSQL a batch first locks only the few agents with the most free capacity
    # (routing.AGENTS_FIRST); a session none of them may take must still reach the one rep
    # who may, even though she has the least free capacity of all.
    for i in range(routing.AGENTS_FIRST + 4):
        await add(ctx, f"msg{i:02d}", MSG, capacity_=10)
    await add(ctx, "chat", EC, capacity_=1)

    chat = (await conversations.inbound(ctx, "c1", ENHANCED_CHAT, "hi")).session_id
    std = (await conversations.inbound(ctx, "c2", STANDARD, "hi")).session_id
    got = {a.session_id: a.agent for a in await routing.route(ctx)}

    assert got[chat] == "chat"
    assert got[std].startswith("msg")
    await consistent(ctx)


async def test_routing_oldest_first(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", MSG, capacity_=1, online=False)
    ids = []
    for i in range(3):
        ids.append((await conversations.inbound(ctx, f"c{i}", STANDARD, "hi")).session_id)
        clock.advance(minutes=1)
    res = await presence.set_presence(ctx, "dana", Presence.ONLINE)
    assert [(a.session_id, a.agent) for a in res.rerouted] == [(ids[0], "dana")]
    await ending.end_session(ctx, "dana", ids[0])
    await conversations.close_tab(ctx, "dana", ids[0])
    assert [a.session_id for a in await routing.route(ctx)] == [ids[1]]
    await consistent(ctx)


async def test_routing_oldest_by_arrival_not_by_id(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", MSG, capacity_=1, online=False)
    t0 = clock.now
    clock.advance(minutes=5)
    later = (await conversations.inbound(ctx, "c1", STANDARD, "hi")).session_id
    clock.now = t0  # a second console whose clock is behind records an older arrival
    earlier = (await conversations.inbound(ctx, "c2", STANDARD, "hi")).session_id
    assert earlier > later
    clock.advance(minutes=10)
    res = await presence.set_presence(ctx, "dana", Presence.ONLINE)
    assert [a.session_id for a in res.rerouted] == [earlier]
    assert await statuses(ctx, earlier, later) == ["Active", "Waiting"]
    await consistent(ctx)


async def test_routing_priority_puts_a_channels_work_first(ctx: Ctx, clock: FakeClock) -> None:
    """``channel.<id>.priority``: lower numbers are assigned first, oldest first within one."""
    await admin(ctx)
    await add(ctx, "dana", MSG, capacity_=2, online=False)
    old_sms = (await conversations.inbound(ctx, "c1", STANDARD, "hi")).session_id
    clock.advance(minutes=1)
    old_fb = (await conversations.inbound(ctx, "c2", STANDARD_FB, "hi")).session_id
    clock.advance(minutes=1)
    new_wa = (await conversations.inbound(ctx, "c3", ENHANCED_MSG, "hi")).session_id
    await setting(ctx, f"channel.{ENHANCED_MSG}.priority", "1")
    await setting(ctx, f"channel.{STANDARD}.priority", "9")
    res = await presence.set_presence(ctx, "dana", Presence.ONLINE)
    assert [a.session_id for a in res.rerouted] == [new_wa, old_fb]
    assert await statuses(ctx, old_sms) == ["Waiting"]
    await consistent(ctx)
    with pytest.raises(SettingError, match="from 1 \\(first\\) to 10"):
        await setting(ctx, f"channel.{STANDARD}.priority", "0")


# After the end / Inactive --------------------------------------------------------------------


async def test_inbound_after_end_starts_a_new_session_old_stays_ended(
    ctx: Ctx, clock: FakeClock
) -> None:
    await add(ctx, "dana", ALL)
    old = await assigned(ctx, "dana", STANDARD)
    await ending.end_session(ctx, "dana", old)
    ended_before = await show(ctx, old)
    clock.advance(minutes=5)

    res = await conversations.inbound(ctx, "cara", STANDARD, "one more thing")

    assert res.new_session is True and res.session_id != old
    assert res.status == "Waiting"
    ended_after = await show(ctx, old)
    assert ended_after == ended_before  # never reopened, nothing appended
    new = await show(ctx, res.session_id)
    assert [m.text for m in new.messages] == ["one more thing"]
    with pytest.raises(Refused) as exc:
        await conversations.send(ctx, "dana", old, "are you there?")
    assert str(exc.value) == f"S-{old} has ended; a new message needs a new session"
    assert await show(ctx, old) == ended_before
    page = await listing.list_sessions(ctx, SessionFilter(customer="cara"), order="oldest")
    assert [(r.id, r.status) for r in page.rows] == [(old, "Ended"), (res.session_id, "Waiting")]
    await consistent(ctx)


async def test_inbound_on_another_channel_is_another_session(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    s1 = await assigned(ctx, "dana", STANDARD)
    res = await conversations.inbound(ctx, "cara", ENHANCED_MSG, "hi there")
    assert res.new_session and res.session_id != s1
    same = await conversations.inbound(ctx, "cara", STANDARD, "and here")
    assert (same.session_id, same.new_session) == (s1, False)
    await consistent(ctx)


async def test_inactive_reactivates_on_customer_message_and_takes_units_back(ctx: Ctx) -> None:
    await admin(ctx)
    await setting(ctx, "capacity_model", "status-based")
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await conversations.mark_inactive(ctx, "dana", sid)
    assert await used(ctx, "dana") == 0 and await ledger_ids(ctx, "dana") == []

    res = await conversations.inbound(ctx, "cara", STANDARD, "I'm back")

    assert (res.session_id, res.new_session, res.status) == (sid, False, "Active")
    d = await show(ctx, sid)
    assert (d.session.status, d.session.owner, d.session.units_held) == ("Active", "dana", 1)
    assert d.messages[-1].text == "I'm back"
    assert await used(ctx, "dana") == 1 and await ledger_ids(ctx, "dana") == [sid]
    await consistent(ctx)


async def test_ended_session_is_unchanged_by_every_later_action(ctx: Ctx) -> None:
    await admin(ctx)
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await ending.end_session(ctx, "dana", sid)
    before = await show(ctx, sid)
    with pytest.raises(Refused):
        await conversations.mark_inactive(ctx, "dana", sid)
    for surface in (Surface.CONVERSATION, Surface.ROW):
        assert (await ending.end_session(ctx, "dana", sid, surface)).result == "skipped"
    await presence.set_presence(ctx, "dana", Presence.OFFLINE)
    assert await show(ctx, sid) == before
    await consistent(ctx)

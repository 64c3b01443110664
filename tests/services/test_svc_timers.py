"""R7: agent-initiated sessions the customer never answered end by themselves -- after 24 h on
standard channels, 48 h on enhanced ones -- counted from the agent's first message; a reply
cancels the timer; the end is automatic, so R8 does not stop it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from svc_support import (
    ALL,
    ENHANCED_MSG,
    SETTING_OFF,
    STANDARD,
    STANDARD_FB,
    add,
    admin,
    assert_ended_once,
    assert_not_ended,
    assigned,
    consistent,
    ledger_ids,
    setting,
    show,
)

from agent_console.services import conversations, ending, timers
from agent_console.services.context import Ctx
from conftest import FakeClock

TIMER_LINE = "Session ended by the system (no reply from the customer) at {:%H:%M} UTC"
ENHANCED = [ENHANCED_MSG, "enhanced_sms", "byoc", "enhanced_line", "enhanced_web_chat_v1"]


async def _outbound(ctx: Ctx, channel: str, customer: str = "cara") -> int:
    res = await conversations.outbound(ctx, "dana", customer, channel, "Your order shipped")
    assert (res.new_session, res.status) == (True, "Active")
    return res.session_id


@pytest.mark.parametrize("channel", [STANDARD, STANDARD_FB])
async def test_r7_standard_outbound_ends_after_24h_not_before(
    ctx: Ctx, clock: FakeClock, channel: str
) -> None:
    await add(ctx, "dana", ALL)
    t0 = clock.now
    sid = await _outbound(ctx, channel)
    assert (await show(ctx, sid)).session.auto_end_at == t0 + timedelta(hours=24)

    clock.advance(hours=23, minutes=59)
    assert await timers.sweep(ctx) == []
    await assert_not_ended(ctx, sid, owner="dana")

    clock.advance(minutes=1)
    res = await timers.sweep(ctx)

    assert [(r.session_id, r.result) for r in res] == [(sid, "ended")]
    d = await assert_ended_once(
        ctx, sid, actor_kind="timer", actor="timer", surface="timer", at=clock.now,
        line=TIMER_LINE.format(clock.now),
    )  # fmt: skip
    assert d.end is not None
    assert d.end.reason == "the customer did not reply within 24 h of an agent-initiated session"
    assert d.session.auto_end_at is None
    # Tab-based: the timer ended it, dana's tab still holds the unit.
    assert await ledger_ids(ctx, "dana") == [sid]
    assert await timers.sweep(ctx) == []  # nothing ends twice
    await consistent(ctx)


@pytest.mark.parametrize("channel", ENHANCED)
async def test_r7_enhanced_outbound_ends_after_48h_not_at_47h(
    ctx: Ctx, clock: FakeClock, channel: str
) -> None:
    await add(ctx, "dana", ALL)
    t0 = clock.now
    sid = await _outbound(ctx, channel)
    assert (await show(ctx, sid)).session.auto_end_at == t0 + timedelta(hours=48)

    clock.advance(hours=47)
    assert await timers.sweep(ctx) == []
    clock.advance(minutes=59)
    assert await timers.sweep(ctx) == []
    await assert_not_ended(ctx, sid, owner="dana")

    clock.advance(minutes=1)
    res = await timers.sweep(ctx)

    assert [(r.session_id, r.result) for r in res] == [(sid, "ended")]
    d = await assert_ended_once(
        ctx, sid, actor_kind="timer", actor="timer", surface="timer", at=clock.now,
        line=TIMER_LINE.format(clock.now),
    )  # fmt: skip
    assert d.end is not None
    assert d.end.reason == "the customer did not reply within 48-54 h of an agent-initiated session"
    await consistent(ctx)


async def test_r7_sweep_late_still_ends_within_the_window(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    std = await _outbound(ctx, STANDARD, "c1")
    enh = await _outbound(ctx, ENHANCED_MSG, "c2")
    at = clock.now + timedelta(hours=54)
    res = await timers.sweep(ctx, now=at)
    assert sorted((r.session_id, r.result) for r in res) == [(std, "ended"), (enh, "ended")]
    for sid in (std, enh):
        d = await show(ctx, sid)
        assert d.end is not None and d.end.at == at and d.session.status == "Ended"
    await consistent(ctx)


@pytest.mark.parametrize("channel", [STANDARD, ENHANCED_MSG])
async def test_r7_customer_reply_cancels_the_timer(
    ctx: Ctx, clock: FakeClock, channel: str
) -> None:
    await add(ctx, "dana", ALL)
    sid = await _outbound(ctx, channel)
    clock.advance(hours=1)

    reply = await conversations.inbound(ctx, "cara", channel, "thanks!")

    assert (reply.session_id, reply.new_session, reply.status) == (sid, False, "Active")
    assert (await show(ctx, sid)).session.auto_end_at is None
    clock.advance(hours=100)
    assert await timers.sweep(ctx) == []
    await assert_not_ended(ctx, sid, owner="dana")
    assert await timers.next_due(ctx) is None
    await consistent(ctx)


async def test_r7_only_the_unanswered_session_ends(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    quiet = await _outbound(ctx, STANDARD, "c1")
    answered = await _outbound(ctx, STANDARD, "c2")
    await conversations.inbound(ctx, "c2", STANDARD, "yes?")
    clock.advance(hours=24)
    res = await timers.sweep(ctx)
    assert [(r.session_id, r.result) for r in res] == [(quiet, "ended")]
    await assert_not_ended(ctx, answered, owner="dana")
    await consistent(ctx)


async def test_r7_customer_initiated_session_never_times_out(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await conversations.send(ctx, "dana", sid, "How can I help?")
    clock.advance(hours=200)
    assert await timers.sweep(ctx) == []
    await assert_not_ended(ctx, sid, owner="dana")
    await consistent(ctx)


async def test_r7_timer_ends_even_when_agents_may_not_end(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    await admin(ctx)
    sid = await _outbound(ctx, STANDARD)
    await setting(ctx, "agents_can_end", "off")
    assert (await ending.end_session(ctx, "dana", sid)).reason == SETTING_OFF
    clock.advance(hours=24)

    res = await timers.sweep(ctx)

    assert [(r.session_id, r.result) for r in res] == [(sid, "ended")]
    d = await show(ctx, sid)
    assert d.end is not None and (d.end.actor_kind, d.end.surface) == ("timer", "timer")
    await consistent(ctx)


async def test_r7_timer_skips_a_session_ended_by_hand(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    sid = await _outbound(ctx, STANDARD)
    clock.advance(hours=3)
    await ending.end_session(ctx, "dana", sid)
    clock.advance(hours=30)
    assert await timers.sweep(ctx) == []
    d = await show(ctx, sid)
    assert d.end is not None and d.end.actor_kind == "agent"
    await consistent(ctx)

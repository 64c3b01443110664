"""R9: with the admin setting on, a CSAT survey request is recorded once when an agent ends a
session -- never when the setting is off, never for timer/trigger/system ends, never twice."""

from __future__ import annotations

import asyncio

import pytest
from svc_support import (
    ALL,
    LIST,
    STANDARD,
    action,
    add,
    admin,
    assigned,
    consistent,
    setting,
    show,
)

from agent_console.domain.vocab import Surface
from agent_console.services import automation, bulk, conversations, ending, timers
from agent_console.services.context import Ctx
from agent_console.services.views import ActionId
from conftest import FakeClock


async def _setup(ctx: Ctx, csat: str) -> int:
    await admin(ctx)
    await setting(ctx, "csat_on_agent_end", csat)
    await add(ctx, "dana", ALL)
    return await assigned(ctx, "dana", STANDARD)


async def test_r9_csat_requested_once_when_an_agent_ends(ctx: Ctx, clock: FakeClock) -> None:
    sid = await _setup(ctx, "on")
    await add(ctx, "sam", LIST, online=False)
    assert action(await show(ctx, sid), ActionId.CSAT_ON_END) == (
        True,
        "a CSAT survey will be sent to the customer",
    )

    first = await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)
    clock.advance(minutes=3)
    again = await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)
    row = await ending.end_session(ctx, "sam", sid, Surface.ROW)
    listed = await bulk.bulk_end(ctx, "sam", ids=[sid])
    fired = await automation.fire_trigger(ctx, "escalated", sid)

    assert first.result == "ended"
    assert [again.result, row.result, listed.results[0].result, fired[0].result] == ["skipped"] * 4
    d = await show(ctx, sid)
    ended_at = d.session.ended_at
    assert [(c.requested_at, c.requested_by) for c in d.csat_requests] == [(ended_at, "dana")]
    await consistent(ctx)


async def test_r9_no_csat_when_the_setting_is_off(ctx: Ctx) -> None:
    sid = await _setup(ctx, "off")
    assert action(await show(ctx, sid), ActionId.CSAT_ON_END) == (
        False,
        "no CSAT survey: the CSAT-on-agent-end setting is off",
    )
    assert (await ending.end_session(ctx, "dana", sid)).result == "ended"
    assert (await show(ctx, sid)).csat_requests == []
    await consistent(ctx)


async def test_r9_no_csat_is_the_default(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await ending.end_session(ctx, "dana", sid)
    assert (await show(ctx, sid)).csat_requests == []
    await consistent(ctx)


@pytest.mark.parametrize("surface", [Surface.ROW, Surface.LIST])
async def test_r9_csat_when_an_agent_ends_from_the_list(ctx: Ctx, surface: Surface) -> None:
    sid = await _setup(ctx, "on")
    await add(ctx, "sam", LIST, online=False)
    if surface is Surface.ROW:
        assert (await ending.end_session(ctx, "sam", sid, Surface.ROW)).result == "ended"
    else:
        assert (await bulk.bulk_end(ctx, "sam", ids=[sid])).ended == 1
    assert [c.requested_by for c in (await show(ctx, sid)).csat_requests] == ["sam"]
    await consistent(ctx)


async def test_r9_no_csat_for_a_timer_end(ctx: Ctx, clock: FakeClock) -> None:
    await _setup(ctx, "on")
    sid = (await conversations.outbound(ctx, "dana", "carl", STANDARD, "hi")).session_id
    clock.advance(hours=24)
    assert [r.result for r in await timers.sweep(ctx)] == ["ended"]
    assert (await show(ctx, sid)).csat_requests == []
    await consistent(ctx)


async def test_r9_no_csat_for_a_trigger_end(ctx: Ctx) -> None:
    sid = await _setup(ctx, "on")
    assert [r.result for r in await automation.fire_trigger(ctx, "escalated", sid)] == ["ended"]
    assert (await show(ctx, sid)).csat_requests == []
    await consistent(ctx)


async def test_r9_no_csat_for_a_system_macro_but_one_for_an_agent_macro(ctx: Ctx) -> None:
    sid = await _setup(ctx, "on")
    other = await assigned(ctx, "dana", STANDARD, "carl")
    await automation.run_macro(ctx, "Resolve and close", sid, as_agent=None)
    await automation.run_macro(ctx, "Resolve and close", other, as_agent="dana")
    assert (await show(ctx, sid)).csat_requests == []
    assert [c.requested_by for c in (await show(ctx, other)).csat_requests] == [
        "macro Resolve and close, run by dana"
    ]
    await consistent(ctx)


async def test_r9_concurrent_ends_make_one_csat_request(ctx: Ctx) -> None:
    sid = await _setup(ctx, "on")
    await add(ctx, "sam", LIST, online=False)
    results = await asyncio.gather(
        ending.end_session(ctx, "dana", sid, Surface.CONVERSATION),
        ending.end_session(ctx, "sam", sid, Surface.ROW),
        ending.end_session(ctx, "dana", sid, Surface.CONVERSATION),
    )
    assert sorted(r.result for r in results) == ["ended", "skipped", "skipped"]
    d = await show(ctx, sid)
    assert len(d.csat_requests) == 1
    assert d.end is not None and d.csat_requests[0].requested_by == d.end.actor
    await consistent(ctx)

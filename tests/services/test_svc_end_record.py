"""R12: every end records who, when and from which surface, and the transcript gets exactly one
system line "Session ended by ... at HH:MM" that the customer sees -- for every surface."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from svc_support import (
    ALL,
    LIST,
    STANDARD,
    add,
    admin,
    assert_ended_once,
    assigned,
    consistent,
    end_lines,
    setting,
    show,
)

from agent_console.domain.vocab import Presence, Surface
from agent_console.services import automation, bulk, conversations, ending, presence, timers
from agent_console.services.context import Ctx
from conftest import FakeClock


@dataclass
class Expected:
    actor_kind: str
    actor: str
    surface: str
    line: str
    bulk_id: int | None = None


def _at_1042(clock: FakeClock) -> None:
    clock.now = clock.now.replace(hour=10, minute=42)


async def _conversation(ctx: Ctx, clock: FakeClock, sid: int) -> Expected:
    _at_1042(clock)
    assert (await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)).result == "ended"
    return Expected("agent", "dana", "conversation", "Session ended by dana at 10:42 UTC")


async def _row(ctx: Ctx, clock: FakeClock, sid: int) -> Expected:
    await add(ctx, "sam", LIST, online=False)
    _at_1042(clock)
    assert (await ending.end_session(ctx, "sam", sid, Surface.ROW)).result == "ended"
    return Expected("agent", "sam", "row", "Session ended by sam at 10:42 UTC")


async def _list(ctx: Ctx, clock: FakeClock, sid: int) -> Expected:
    await add(ctx, "sam", LIST, online=False)
    _at_1042(clock)
    report = await bulk.bulk_end(ctx, "sam", ids=[sid])
    assert report.ended == 1
    return Expected("agent", "sam", "list", "Session ended by sam at 10:42 UTC", report.bulk_id)


async def _logout(ctx: Ctx, clock: FakeClock, sid: int) -> Expected:
    _at_1042(clock)
    res = await presence.logout(ctx, "dana", confirmed=True)
    assert [r.result for r in res.results] == ["ended"]
    return Expected("logout", "dana", "logout", "Session ended by dana (logout) at 10:42 UTC")


async def _macro(ctx: Ctx, clock: FakeClock, sid: int) -> Expected:
    _at_1042(clock)
    res = await automation.run_macro(ctx, "Escalate to Tier 2", sid, as_agent="dana")
    assert res.steps[-1].result == "done"
    return Expected(
        "macro",
        "Escalate to Tier 2",
        "macro",
        "Session ended by macro Escalate to Tier 2, run by dana at 10:42 UTC",
    )


async def _system_macro(ctx: Ctx, clock: FakeClock, sid: int) -> Expected:
    _at_1042(clock)
    res = await automation.run_macro(ctx, "Resolve and close", sid, as_agent=None)
    assert res.steps[-1].result == "done"
    return Expected(
        "macro",
        "Resolve and close",
        "macro",
        "Session ended by macro Resolve and close at 10:42 UTC",
    )


async def _trigger(ctx: Ctx, clock: FakeClock, sid: int) -> Expected:
    _at_1042(clock)
    assert [r.result for r in await automation.fire_trigger(ctx, "escalated", sid)] == ["ended"]
    name = "End messaging session when escalated"
    return Expected("trigger", name, "trigger", f"Session ended by trigger {name} at 10:42 UTC")


Scenario = Callable[[Ctx, FakeClock, int], Awaitable[Expected]]
SCENARIOS: dict[str, Scenario] = {
    "conversation": _conversation,
    "row": _row,
    "list": _list,
    "logout": _logout,
    "macro": _macro,
    "system-macro": _system_macro,
    "trigger": _trigger,
}


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_r12_end_record_and_one_customer_visible_line(
    ctx: Ctx, clock: FakeClock, name: str
) -> None:
    await admin(ctx)
    await setting(ctx, "csat_on_agent_end", "on")
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)

    want = await SCENARIOS[name](ctx, clock, sid)

    d = await assert_ended_once(
        ctx,
        sid,
        actor_kind=want.actor_kind,
        actor=want.actor,
        surface=want.surface,
        at=clock.now,
        line=want.line,
        bulk_id=want.bulk_id,
    )
    # The customer's side of the transcript: their message, then the end line -- nothing else.
    customer_view = [m.text for m in d.messages if m.visible_to_customer]
    assert customer_view == ["hello from cara", want.line]
    await consistent(ctx)


async def test_r12_timer_end_record_and_line(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    sid = (await conversations.outbound(ctx, "dana", "cara", STANDARD, "Hi Cara")).session_id
    clock.advance(hours=24)
    _at_1042(clock)
    assert [r.result for r in await timers.sweep(ctx)] == ["ended"]
    line = "Session ended by the system (no reply from the customer) at 10:42 UTC"
    d = await assert_ended_once(
        ctx, sid, actor_kind="timer", actor="timer", surface="timer", at=clock.now, line=line,
    )  # fmt: skip
    assert [m.text for m in d.messages if m.visible_to_customer] == ["Hi Cara", line]
    await consistent(ctx)


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_r12_later_attempts_add_no_second_record_or_line(
    ctx: Ctx, clock: FakeClock, name: str
) -> None:
    await admin(ctx)
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await SCENARIOS[name](ctx, clock, sid)
    if name == "logout":
        await presence.set_presence(ctx, "dana", Presence.ONLINE)
    if name not in ("row", "list"):
        await add(ctx, "sam", LIST, online=False)
    first = await show(ctx, sid)
    clock.advance(minutes=30)

    attempts = [
        await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION),
        await ending.end_session(ctx, "sam", sid, Surface.ROW),
        *(await bulk.bulk_end(ctx, "sam", ids=[sid])).results,
        *(await automation.fire_trigger(ctx, "escalated", sid)),
        *(await timers.sweep(ctx, now=clock.now + timedelta(days=3))),
    ]
    macro = await automation.run_macro(ctx, "Resolve and close", sid, as_agent=None)

    assert {r.result for r in attempts} == {"skipped"}
    assert all(r.reason.startswith("already ended by ") for r in attempts)
    assert macro.steps[-1].result == "skipped"
    after = await show(ctx, sid)
    assert after.end == first.end
    assert after.messages == first.messages
    assert len(end_lines(after)) == 1
    await consistent(ctx)


async def test_r12_exact_already_ended_text_from_the_list(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    _at_1042(clock)
    await bulk.bulk_end(ctx, "dana", ids=[sid])
    clock.advance(hours=1)
    res = await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)
    assert (res.result, res.reason) == (
        "skipped",
        "already ended by dana on 23 Nov 2026 at 10:42 UTC from the list",
    )
    await consistent(ctx)

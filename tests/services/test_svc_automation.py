"""R10: the "Escalate to Tier 2" macro (note, transfer, end) and the trigger "End messaging
session when escalated" end sessions; R8 stops the agent's macro end but not the trigger."""

from __future__ import annotations

import pytest
from svc_support import (
    ALL,
    SETTING_OFF,
    STANDARD,
    add,
    admin,
    assert_ended_once,
    assert_not_ended,
    assigned,
    consistent,
    setting,
    show,
)

from agent_console.domain.errors import NotFound, Refused
from agent_console.services import automation, ending
from agent_console.services.context import Ctx
from conftest import FakeClock

ESCALATE = "Escalate to Tier 2"
TRIGGER = "End messaging session when escalated"


async def test_r10_escalate_macro_adds_note_transfers_and_ends(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    now = clock.now

    res = await automation.run_macro(ctx, ESCALATE, sid, as_agent="dana")

    assert [(s.step, s.result) for s in res.steps] == [
        ("note", "done"),
        ("transfer", "done"),
        ("end", "done"),
    ]
    # The transfer fires "escalated"; its trigger finds the session already ended.
    assert [(r.session_id, r.result, r.reason) for r in res.triggers] == [
        (
            sid,
            "skipped",
            f"already ended by macro {ESCALATE} on {now.day} {now:%b %Y} at {now:%H:%M} UTC",
        )
    ]
    d = await assert_ended_once(
        ctx, sid, actor_kind="macro", actor=ESCALATE, surface="macro", at=now,
        line=f"Session ended by macro {ESCALATE}, run by dana at {now:%H:%M} UTC",
    )  # fmt: skip
    assert d.escalated_to == "Tier 2"
    assert d.end is not None and d.end.reason == f"macro {ESCALATE}"
    internal = [(m.text, m.visible_to_customer) for m in d.messages if m.author == "dana"]
    assert internal == [
        ("Note by dana: Escalated to Tier 2", False),
        ("Case transferred to Tier 2 by dana", False),
    ]
    await consistent(ctx)


async def test_r10_trigger_escalated_ends_the_session(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    assert (TRIGGER, "escalated", True) in await automation.list_triggers(ctx)
    now = clock.now

    res = await automation.fire_trigger(ctx, "escalated", sid)

    assert [(r.session_id, r.result) for r in res] == [(sid, "ended")]
    d = await assert_ended_once(
        ctx, sid, actor_kind="trigger", actor=TRIGGER, surface="trigger", at=now,
        line=f"Session ended by trigger {TRIGGER} at {now:%H:%M} UTC",
    )  # fmt: skip
    assert d.end is not None and d.end.reason == "event escalated"
    clock.advance(minutes=5)
    again = await automation.fire_trigger(ctx, "escalated", sid)
    assert [(r.result, r.reason) for r in again] == [
        (
            "skipped",
            f"already ended by trigger {TRIGGER} on {now.day} {now:%b %Y} at {now:%H:%M} UTC",
        )
    ]
    await consistent(ctx)


async def test_r10_disabled_trigger_ends_nothing(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    await admin(ctx)
    sid = await assigned(ctx, "dana", STANDARD)
    await automation.set_trigger_enabled(ctx, TRIGGER, False, admin="root")
    assert await automation.fire_trigger(ctx, "escalated", sid) == []
    await assert_not_ended(ctx, sid, owner="dana")
    await consistent(ctx)


async def test_r10_trigger_on_unknown_session_or_event(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    with pytest.raises(NotFound):
        await automation.fire_trigger(ctx, "escalated", 424242)
    with pytest.raises(ValueError):
        await automation.fire_trigger(ctx, "exploded", sid)
    await assert_not_ended(ctx, sid, owner="dana")
    await consistent(ctx)


async def test_r10_macro_by_a_non_owner_is_refused_and_changes_nothing(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await add(ctx, "erin", ALL, online=False)
    before = await show(ctx, sid)

    with pytest.raises(Refused) as exc:
        await automation.run_macro(ctx, ESCALATE, sid, as_agent="erin")

    assert str(exc.value) == f"not the owner: S-{sid} is owned by dana"
    after = await assert_not_ended(ctx, sid, owner="dana")
    assert after == before
    assert after.escalated_to is None
    await consistent(ctx)


async def test_r10_setting_off_skips_the_macro_end_but_the_trigger_ends(
    ctx: Ctx, clock: FakeClock
) -> None:
    await add(ctx, "dana", ALL)
    await admin(ctx)
    sid = await assigned(ctx, "dana", STANDARD)
    await setting(ctx, "agents_can_end", "off")
    now = clock.now

    res = await automation.run_macro(ctx, ESCALATE, sid, as_agent="dana")

    assert [(s.step, s.result, s.reason) for s in res.steps][1:] == [
        ("transfer", "done", "case transferred to Tier 2"),
        ("end", "skipped", SETTING_OFF),
    ]
    assert [(r.session_id, r.result) for r in res.triggers] == [(sid, "ended")]
    d = await assert_ended_once(
        ctx, sid, actor_kind="trigger", actor=TRIGGER, surface="trigger", at=now,
        line=f"Session ended by trigger {TRIGGER} at {now:%H:%M} UTC",
    )  # fmt: skip
    assert d.escalated_to == "Tier 2"
    await consistent(ctx)


async def test_r10_setting_off_and_trigger_disabled_leaves_the_session(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    await admin(ctx)
    sid = await assigned(ctx, "dana", STANDARD)
    await setting(ctx, "agents_can_end", "off")
    await automation.set_trigger_enabled(ctx, TRIGGER, False, admin="root")
    res = await automation.run_macro(ctx, ESCALATE, sid, as_agent="dana")
    assert res.steps[-1].result == "skipped" and res.triggers == []
    d = await assert_not_ended(ctx, sid, owner="dana")
    assert d.escalated_to == "Tier 2"
    await consistent(ctx)


async def test_r10_system_macro_ends_without_an_owner_check(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    now = clock.now
    res = await automation.run_macro(ctx, ESCALATE, sid, as_agent=None)
    assert res.steps[-1].result == "done"
    await assert_ended_once(
        ctx, sid, actor_kind="macro", actor=ESCALATE, surface="macro", at=now,
        line=f"Session ended by macro {ESCALATE} at {now:%H:%M} UTC",
    )  # fmt: skip
    await consistent(ctx)


async def test_r10_macro_on_an_ended_session_changes_nothing(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await ending.end_session(ctx, "dana", sid)
    before = await show(ctx, sid)
    res = await automation.run_macro(ctx, ESCALATE, sid, as_agent="dana")
    assert [s.result for s in res.steps] == ["skipped", "skipped", "skipped"]
    after = await show(ctx, sid)
    assert (after.end, after.messages, after.escalated_to) == (
        before.end,
        before.messages,
        before.escalated_to,
    )
    await consistent(ctx)


async def test_r10_unknown_macro(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    with pytest.raises(NotFound) as exc:
        await automation.run_macro(ctx, "Explode", sid, as_agent="dana")
    assert ESCALATE in str(exc.value)
    await assert_not_ended(ctx, sid, owner="dana")
    await consistent(ctx)

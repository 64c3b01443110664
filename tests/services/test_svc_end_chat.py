"""R1 (End Chat: permissions and ownership) and R8 (the "agents can end" admin setting).

Every test runs on SQLite and PostgreSQL (the ``ctx`` fixture) and reads the database back
through the services afterwards: a refused end must leave status, end record, transcript,
CSAT and capacity exactly as they were.
"""

from __future__ import annotations

import pytest
from svc_support import (
    ALL,
    EC,
    ENHANCED_CHAT,
    ENHANCED_MSG,
    LIST,
    MSG,
    SETTING_OFF,
    STANDARD,
    STANDARD_FB,
    action,
    add,
    admin,
    assert_ended_once,
    assert_not_ended,
    assigned,
    consistent,
    setting,
    show,
    used,
)

from agent_console.domain.errors import Refused
from agent_console.domain.vocab import Surface
from agent_console.services import agents, automation, bulk, conversations, ending, settings, timers
from agent_console.services.context import Ctx
from agent_console.services.runtime import upgrade_db
from agent_console.services.views import ActionId
from conftest import FakeClock

EC_CHANNELS = ["enhanced_in_app_chat", "enhanced_web_chat_v1", "enhanced_web_chat_v2"]
MSG_CHANNELS = [STANDARD, STANDARD_FB, ENHANCED_MSG, "enhanced_sms", "byoc"]


# R1: enhanced chat ---------------------------------------------------------------------------


@pytest.mark.parametrize("channel", EC_CHANNELS)
@pytest.mark.parametrize("missing", ["enhanced_chat_user", "enhanced_chat_rep"])
async def test_r1_enhanced_chat_end_refused_without_each_permission(
    ctx: Ctx, channel: str, missing: str
) -> None:
    await add(ctx, "dana", ALL)
    await admin(ctx)
    await setting(ctx, "csat_on_agent_end", "on")  # a wrong end would also leave a CSAT request
    sid = await assigned(ctx, "dana", channel)
    await agents.set_agent(ctx, "dana", revoke=[missing])
    before = await show(ctx, sid)

    res = await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)

    assert (res.session_id, res.result, res.reason) == (
        sid,
        "skipped",
        f"missing permission {missing}",
    )
    after = await assert_not_ended(ctx, sid, owner="dana")
    assert after.messages_total == before.messages_total
    assert action(after, ActionId.END_CHAT) == (False, f"missing permission {missing}")
    assert await used(ctx, "dana") == 1
    await consistent(ctx)


async def test_r1_missing_enhanced_chat_rep_text(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", ENHANCED_CHAT)
    await agents.set_agent(ctx, "dana", revoke=["enhanced_chat_rep"])
    res = await ending.end_session(ctx, "dana", sid)
    assert res.reason == "missing permission enhanced_chat_rep"
    await assert_not_ended(ctx, sid, owner="dana")
    await consistent(ctx)


@pytest.mark.parametrize("channel", EC_CHANNELS)
async def test_r1_enhanced_chat_end_refused_for_non_owner(ctx: Ctx, channel: str) -> None:
    await add(ctx, "dana", EC)
    sid = await assigned(ctx, "dana", channel)
    await add(ctx, "erin", ALL, online=False)

    res = await ending.end_session(ctx, "erin", sid, Surface.CONVERSATION)

    assert (res.result, res.reason) == ("skipped", f"not the owner: S-{sid} is owned by dana")
    d = await assert_not_ended(ctx, sid, owner="dana")
    assert action(await show(ctx, sid, "erin"), ActionId.END_CHAT) == (False, res.reason)
    assert action(d, ActionId.END_CHAT) == (True, "")
    await consistent(ctx)


@pytest.mark.parametrize("channel", EC_CHANNELS)
async def test_r1_enhanced_chat_owner_with_licence_and_rep_ends(
    ctx: Ctx, clock: FakeClock, channel: str
) -> None:
    # No messaging_agent and no end_messaging_session: enhanced chat needs exactly EC's two.
    await add(ctx, "dana", EC)
    sid = await assigned(ctx, "dana", channel)

    res = await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)

    assert res.result == "ended"
    now = clock()
    await assert_ended_once(
        ctx,
        sid,
        actor_kind="agent",
        actor="dana",
        surface="conversation",
        at=now,
        line=f"Session ended by dana at {now:%H:%M} UTC",
    )
    await consistent(ctx)


# R1: messaging (standard and enhanced) --------------------------------------------------------


@pytest.mark.parametrize("channel", MSG_CHANNELS)
async def test_r1_messaging_end_refused_without_messaging_agent(ctx: Ctx, channel: str) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", channel)
    await agents.set_agent(ctx, "dana", revoke=["messaging_agent"])
    before = await show(ctx, sid)

    res = await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)

    assert (res.result, res.reason) == ("skipped", "missing permission messaging_agent")
    after = await assert_not_ended(ctx, sid, owner="dana")
    assert after.messages_total == before.messages_total
    assert action(after, ActionId.END_CHAT) == (False, "missing permission messaging_agent")
    assert await used(ctx, "dana") == 1
    await consistent(ctx)


@pytest.mark.parametrize("channel", MSG_CHANNELS)
async def test_r1_messaging_end_refused_for_non_owner(ctx: Ctx, channel: str) -> None:
    await add(ctx, "dana", MSG)
    sid = await assigned(ctx, "dana", channel)
    await add(ctx, "erin", ALL, online=False)

    res = await ending.end_session(ctx, "erin", sid, Surface.CONVERSATION)

    assert (res.result, res.reason) == ("skipped", f"not the owner: S-{sid} is owned by dana")
    await assert_not_ended(ctx, sid, owner="dana")
    assert await used(ctx, "dana") == 1
    await consistent(ctx)


@pytest.mark.parametrize("channel", MSG_CHANNELS)
async def test_r1_messaging_owner_with_messaging_agent_ends(ctx: Ctx, channel: str) -> None:
    # Enhanced-chat permissions are not needed for messaging, nor the list permission.
    await add(ctx, "dana", MSG)
    sid = await assigned(ctx, "dana", channel)
    res = await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)
    assert res.result == "ended"
    d = await show(ctx, sid)
    assert d.session.status == "Ended" and d.end is not None and d.end.actor == "dana"
    await consistent(ctx)


async def test_r1_enhanced_chat_perms_do_not_end_messaging(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", ENHANCED_MSG)
    await agents.set_agent(ctx, "dana", revoke=["messaging_agent"])
    assert (await agents.get_agent(ctx, "dana")).permissions == sorted([*EC, *LIST])
    res = await ending.end_session(ctx, "dana", sid)
    assert res.reason == "missing permission messaging_agent"
    await assert_not_ended(ctx, sid, owner="dana")
    await consistent(ctx)


async def test_r1_end_chat_refused_on_a_waiting_session(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL, online=False)
    r = await conversations.inbound(ctx, "cara", STANDARD, "hello?")
    res = await ending.end_session(ctx, "dana", r.session_id, Surface.CONVERSATION)
    assert (res.result, res.reason) == (
        "skipped",
        "session is Waiting: End Chat needs an Active session",
    )
    await assert_not_ended(ctx, r.session_id, status="Waiting")
    await consistent(ctx)


async def test_r1_end_chat_unknown_session_is_reported(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    res = await ending.end_session(ctx, "dana", 987654, Surface.CONVERSATION)
    assert (res.result, res.reason) == ("skipped", "no session S-987654")
    await consistent(ctx)


# R8: "Agents can end messaging sessions at any time" -------------------------------------------


async def test_r8_setting_off_refuses_end_chat_row_and_list(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    await admin(ctx)
    s1 = await assigned(ctx, "dana", STANDARD, "c1")
    s2 = await assigned(ctx, "dana", STANDARD, "c2")
    s3 = await assigned(ctx, "dana", ENHANCED_MSG, "c3")
    await setting(ctx, "agents_can_end", "off")
    assert (await settings.get_policy(ctx)).agents_can_end is False

    conv = await ending.end_session(ctx, "dana", s1, Surface.CONVERSATION)
    row = await ending.end_session(ctx, "dana", s2, Surface.ROW)
    report = await bulk.bulk_end(ctx, "dana", ids=[s1, s2, s3])

    assert (conv.result, conv.reason) == ("skipped", SETTING_OFF)
    assert (row.result, row.reason) == ("skipped", SETTING_OFF)
    assert [(r.session_id, r.result, r.reason) for r in report.results] == [
        (s1, "skipped", SETTING_OFF),
        (s2, "skipped", SETTING_OFF),
        (s3, "skipped", SETTING_OFF),
    ]
    assert (report.ended, report.skipped) == (0, 3)
    for sid in (s1, s2, s3):
        d = await assert_not_ended(ctx, sid, owner="dana")
        for end in (ActionId.END_CHAT, ActionId.END_ROW, ActionId.END_LIST):
            assert action(d, end) == (False, SETTING_OFF)
    assert await used(ctx, "dana") == 3
    await consistent(ctx)


async def test_r8_setting_off_automatic_ends_still_happen(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    await admin(ctx)
    via_trigger = await assigned(ctx, "dana", STANDARD, "c1")
    via_macro = await assigned(ctx, "dana", ENHANCED_MSG, "c2")
    via_timer = (await conversations.outbound(ctx, "dana", "c3", STANDARD, "hi")).session_id
    await setting(ctx, "agents_can_end", "off")

    fired = await automation.fire_trigger(ctx, "escalated", via_trigger)
    ran = await automation.run_macro(ctx, "Resolve and close", via_macro, as_agent=None)
    clock.advance(hours=24)
    swept = await timers.sweep(ctx)

    assert [(r.session_id, r.result) for r in fired] == [(via_trigger, "ended")]
    assert [(s.step, s.result) for s in ran.steps] == [("note", "done"), ("end", "done")]
    assert [(r.session_id, r.result) for r in swept] == [(via_timer, "ended")]
    kinds = {}
    for sid in (via_trigger, via_macro, via_timer):
        d = await show(ctx, sid)
        assert d.session.status == "Ended" and d.end is not None
        kinds[sid] = (d.end.actor_kind, d.end.surface)
    assert kinds == {
        via_trigger: ("trigger", "trigger"),
        via_macro: ("macro", "macro"),
        via_timer: ("timer", "timer"),
    }
    await consistent(ctx)


async def test_r8_setting_off_blocks_agent_run_macro_end_step(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    await admin(ctx)
    sid = await assigned(ctx, "dana", STANDARD)
    await setting(ctx, "agents_can_end", "off")
    ran = await automation.run_macro(ctx, "Resolve and close", sid, as_agent="dana")
    assert [(s.step, s.result, s.reason) for s in ran.steps][-1] == ("end", "skipped", SETTING_OFF)
    await assert_not_ended(ctx, sid, owner="dana")
    await consistent(ctx)


async def test_r8_legacy_upgrade_makes_default_off(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    await admin(ctx)
    sid = await assigned(ctx, "dana", STANDARD)
    assert (await settings.get_policy(ctx)).agents_can_end is True  # a new deployment: on

    await upgrade_db(ctx, legacy_messaging=True)

    policy = await settings.get_policy(ctx)
    assert (policy.agents_can_end, policy.messaging_legacy, policy.agents_can_end_explicit) == (
        False,
        True,
        False,
    )
    view = {s.key: s for s in await settings.list_settings(ctx)}["agents_can_end"]
    assert (view.value, view.default, view.explicit) == ("off", "off", False)
    res = await ending.end_session(ctx, "dana", sid)
    assert (res.result, res.reason) == ("skipped", SETTING_OFF)
    await assert_not_ended(ctx, sid, owner="dana")
    await consistent(ctx)


async def test_r8_explicit_admin_setting_wins_over_legacy_default(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    await admin(ctx)
    sid = await assigned(ctx, "dana", STANDARD)
    await upgrade_db(ctx, legacy_messaging=True)
    await setting(ctx, "agents_can_end", "on")

    policy = await settings.get_policy(ctx)
    assert (policy.agents_can_end, policy.agents_can_end_explicit) == (True, True)
    assert (await ending.end_session(ctx, "dana", sid)).result == "ended"

    # "default" removes the explicit value: the legacy default (off) applies again.
    await setting(ctx, "agents_can_end", "default")
    assert (await settings.get_policy(ctx)).agents_can_end is False
    s2 = await assigned(ctx, "dana", STANDARD, "carl")
    assert (await ending.end_session(ctx, "dana", s2)).reason == SETTING_OFF
    await consistent(ctx)


async def test_r8_explicit_off_survives_a_plain_upgrade(ctx: Ctx) -> None:
    await admin(ctx)
    await setting(ctx, "agents_can_end", "off")
    await upgrade_db(ctx)
    assert (await settings.get_policy(ctx)).agents_can_end is False
    await consistent(ctx)


@pytest.mark.parametrize("key", ["agents_can_end", "csat_on_agent_end", "capacity_model"])
async def test_r8_non_admin_set_setting_refused(ctx: Ctx, key: str) -> None:
    await add(ctx, "dana", ALL)
    before = await settings.list_settings(ctx)
    value = "status-based" if key == "capacity_model" else "off"
    with pytest.raises(Refused) as exc:
        await settings.set_setting(ctx, key, value, admin="dana")
    assert str(exc.value) == "only admins can change settings: dana is not an admin"
    assert await settings.list_settings(ctx) == before
    assert (await settings.get_policy(ctx)).agents_can_end is True
    await consistent(ctx)

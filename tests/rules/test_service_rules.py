"""R1-R12 through the services, on SQLite and PostgreSQL (the ``ctx`` fixture runs both).

Each test cites its rule and asserts on the database afterwards, so removing the protection
makes it fail.
"""

from __future__ import annotations

from agent_console.domain.errors import Refused
from agent_console.domain.vocab import Presence, Surface
from agent_console.services import (
    agents,
    automation,
    bulk,
    capacity,
    check,
    conversations,
    ending,
    listing,
    presence,
    routing,
    settings,
    timers,
)
from agent_console.services.context import Ctx
from agent_console.services.runtime import upgrade_db

ALL = ["enhanced_chat_user", "enhanced_chat_rep", "messaging_agent", "end_messaging_session"]
CONSOLE = Surface.CONVERSATION


async def online(ctx: Ctx, name: str, perms: list[str], capacity_: int = 5, admin: bool = False):
    await agents.add_agent(ctx, name, capacity=capacity_, permissions=perms, is_admin=admin)
    await presence.set_presence(ctx, name, Presence.ONLINE)


async def session_for(ctx: Ctx, agent: str, channel: str, customer: str = "cara") -> int:
    """A customer writes in and ``agent`` (the only Online one with room) gets the session."""
    r = await conversations.inbound(ctx, customer, channel, "hello")
    assigned = await routing.route(ctx)
    assert [(a.session_id, a.agent) for a in assigned] == [(r.session_id, agent)]
    return r.session_id


async def status_of(ctx: Ctx, sid: int) -> str:
    return (await listing.show_session(ctx, sid)).session.status


async def assert_untouched(ctx: Ctx, sid: int) -> None:
    detail = await listing.show_session(ctx, sid)
    assert detail.session.status == "Active"
    assert detail.end is None
    assert not [m for m in detail.messages if m.text.startswith("Session ended by")]


async def assert_consistent(ctx: Ctx) -> None:
    assert await check.check(ctx) == []


# R1 ---------------------------------------------------------------------------------------


async def test_r1_enhanced_chat_needs_licence_rep_and_ownership(ctx: Ctx) -> None:
    await online(ctx, "dana", ["enhanced_chat_user", "messaging_agent"])
    # dana lacks enhanced_chat_rep, so routing cannot give her enhanced chat: grant, route, revoke.
    await agents.set_agent(ctx, "dana", grant=["enhanced_chat_rep"])
    sid = await session_for(ctx, "dana", "enhanced_web_chat_v2")
    await agents.set_agent(ctx, "dana", revoke=["enhanced_chat_rep"])
    res = await ending.end_session(ctx, "dana", sid, CONSOLE)
    assert (res.result, res.reason) == ("skipped", "missing permission enhanced_chat_rep")
    await assert_untouched(ctx, sid)

    await agents.set_agent(ctx, "dana", grant=["enhanced_chat_rep"], revoke=["enhanced_chat_user"])
    res = await ending.end_session(ctx, "dana", sid, CONSOLE)
    assert res.reason == "missing permission enhanced_chat_user"

    await agents.add_agent(ctx, "erin", permissions=ALL)
    res = await ending.end_session(ctx, "erin", sid, CONSOLE)
    assert res.reason == f"not the owner: S-{sid} is owned by dana"
    await assert_untouched(ctx, sid)

    await agents.set_agent(ctx, "dana", grant=["enhanced_chat_user"])
    res = await ending.end_session(ctx, "dana", sid, CONSOLE)
    assert res.result == "ended"
    assert await status_of(ctx, sid) == "Ended"
    await assert_consistent(ctx)


async def test_r1_messaging_needs_messaging_agent_and_ownership(ctx: Ctx) -> None:
    await online(ctx, "dana", ["messaging_agent"])
    std = await session_for(ctx, "dana", "standard_sms", "cara")
    enh = await session_for(ctx, "dana", "enhanced_whatsapp", "carl")
    await agents.set_agent(ctx, "dana", revoke=["messaging_agent"])
    for sid in (std, enh):
        res = await ending.end_session(ctx, "dana", sid, CONSOLE)
        assert res.reason == "missing permission messaging_agent"
        await assert_untouched(ctx, sid)
    await agents.set_agent(ctx, "dana", grant=["messaging_agent"])
    assert [r.result for r in await ending.end_sessions(ctx, "dana", [std, enh], CONSOLE)] == [
        "ended",
        "ended",
    ]
    await assert_consistent(ctx)


# R2 ---------------------------------------------------------------------------------------


async def test_r2_tab_based_keeps_units_until_the_tab_is_closed(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL, capacity_=2)
    sid = await session_for(ctx, "dana", "standard_sms")
    try:
        await conversations.close_tab(ctx, "dana", sid)
        raise AssertionError("closing the tab of a live session must be refused")
    except Refused as exc:
        assert "end the chat before closing its tab" in str(exc)
    res = await ending.end_session(ctx, "dana", sid, CONSOLE)
    assert "close the tab to free capacity" in res.reason
    ledger = await capacity.ledger(ctx, "dana")
    assert ledger.used == 1 and [i.session_id for i in ledger.items] == [sid]
    assert "close the tab" in ledger.items[0].why
    closed = await conversations.close_tab(ctx, "dana", sid)
    assert closed.units_freed == 1 and (await capacity.ledger(ctx, "dana")).used == 0
    await assert_consistent(ctx)


async def test_r2_status_based_frees_units_at_once(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL, admin=True)
    await settings.set_setting(ctx, "capacity_model", "status-based", admin="dana")
    sid = await session_for(ctx, "dana", "standard_sms")
    assert (await capacity.ledger(ctx, "dana")).used == 1
    res = await ending.end_session(ctx, "dana", sid, CONSOLE)
    assert "freed" in res.reason
    assert (await capacity.ledger(ctx, "dana")).used == 0
    await assert_consistent(ctx)


# R3 / R4 ----------------------------------------------------------------------------------


async def test_r3_list_needs_end_messaging_session_not_ownership(ctx: Ctx) -> None:
    await online(ctx, "dana", ["messaging_agent"])
    sid = await session_for(ctx, "dana", "standard_sms")
    await agents.add_agent(ctx, "sam", permissions=["messaging_agent"])
    report = await bulk.bulk_end(ctx, "sam", ids=[sid])
    assert [(r.result, r.reason) for r in report.results] == [
        ("skipped", "missing permission end_messaging_session")
    ]
    await assert_untouched(ctx, sid)
    await agents.set_agent(ctx, "sam", grant=["end_messaging_session"])
    report = await bulk.bulk_end(ctx, "sam", ids=[sid])
    assert report.results[0].result == "ended" and report.status == "completed"
    assert (await listing.show_session(ctx, sid)).end.surface == "list"
    await assert_consistent(ctx)


async def test_r3_row_end_session_is_for_standard_channels_only(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL)
    enh = await session_for(ctx, "dana", "enhanced_sms", "cara")
    std = await session_for(ctx, "dana", "standard_facebook_messenger", "carl")
    res = await ending.end_session(ctx, "dana", enh, Surface.ROW)
    assert res.reason == "row End Session is for standard channels only"
    await assert_untouched(ctx, enh)
    assert (await ending.end_session(ctx, "dana", std, Surface.ROW)).result == "ended"
    await assert_consistent(ctx)


async def test_r4_inactive_under_status_based_cannot_be_ended_from_the_list(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL, admin=True)
    await settings.set_setting(ctx, "capacity_model", "status-based", admin="dana")
    sid = await session_for(ctx, "dana", "standard_sms")
    await conversations.mark_inactive(ctx, "dana", sid)
    reason = "Inactive sessions cannot be ended from the list under status-based capacity"
    assert (await ending.end_session(ctx, "dana", sid, Surface.ROW)).reason == reason
    report = await bulk.bulk_end(ctx, "dana", ids=[sid])
    assert report.results[0].reason == reason
    assert await status_of(ctx, sid) == "Inactive"
    # From the conversation, the owner still can.
    assert (await ending.end_session(ctx, "dana", sid, CONSOLE)).result == "ended"
    await assert_consistent(ctx)


async def test_r4_tab_based_has_no_inactive(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL)
    sid = await session_for(ctx, "dana", "standard_sms")
    try:
        await conversations.mark_inactive(ctx, "dana", sid)
        raise AssertionError("tab-based sessions cannot go Inactive")
    except Refused as exc:
        assert "only under status-based" in str(exc)
    assert await status_of(ctx, sid) == "Active"


# R5 ---------------------------------------------------------------------------------------


async def test_r5_offline_tab_based_requeues_and_reroutes(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL)
    sid = await session_for(ctx, "dana", "standard_sms")
    await online(ctx, "erin", ["messaging_agent"])
    preview = await presence.set_presence(ctx, "dana", Presence.OFFLINE, dry_run=True)
    assert [e.session_id for e in preview.effects] == [sid]
    assert "back to Waiting" in preview.effects[0].effect
    assert (await listing.show_session(ctx, sid)).session.owner == "dana"  # dry run: nothing
    result = await presence.set_presence(ctx, "dana", Presence.OFFLINE)
    assert [(a.session_id, a.agent) for a in result.rerouted] == [(sid, "erin")]
    row = (await listing.show_session(ctx, sid)).session
    assert (row.status, row.owner) == ("Active", "erin")
    assert (await capacity.ledger(ctx, "dana")).used == 0
    await assert_consistent(ctx)


async def test_r5_offline_status_based_keeps_sessions(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL, admin=True)
    await settings.set_setting(ctx, "capacity_model", "status-based", admin="dana")
    sid = await session_for(ctx, "dana", "standard_sms")
    await online(ctx, "erin", ["messaging_agent"])
    result = await presence.set_presence(ctx, "dana", Presence.OFFLINE)
    assert "stays Active" in result.effects[0].effect and result.rerouted == []
    row = (await listing.show_session(ctx, sid)).session
    assert (row.status, row.owner) == ("Active", "dana")
    await assert_consistent(ctx)


# R6 ---------------------------------------------------------------------------------------


async def test_r6_logout_warns_then_ends_everything(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL, admin=True)
    await settings.set_setting(ctx, "csat_on_agent_end", "on", admin="dana")
    a = await session_for(ctx, "dana", "standard_sms", "cara")
    b = await session_for(ctx, "dana", "enhanced_web_chat_v1", "carl")
    warning = await presence.logout_preview(ctx, "dana")
    assert [s.id for s in warning.sessions] == [
        a,
        b,
    ] and "ends 2 ongoing sessions" in warning.warning
    try:
        await presence.logout(ctx, "dana", confirmed=False)
        raise AssertionError("an unconfirmed logout must be refused")
    except Refused:
        pass
    await assert_untouched(ctx, a)
    result = await presence.logout(ctx, "dana", confirmed=True)
    assert [r.result for r in result.results] == ["ended", "ended"]
    for sid in (a, b):
        d = await listing.show_session(ctx, sid)
        assert (d.end.actor_kind, d.end.surface) == ("logout", "logout")
        assert len(d.csat_requests) == 1
    me = await agents.get_agent(ctx, "dana")
    assert (me.presence, me.logged_in, me.used) == ("Offline", False, 0)
    await assert_consistent(ctx)


# R7 ---------------------------------------------------------------------------------------


async def test_r7_unanswered_outbound_ends_after_24h_standard_48h_enhanced(ctx: Ctx, clock) -> None:
    await online(ctx, "dana", ALL, admin=True)
    await settings.set_setting(ctx, "agents_can_end", "off", admin="dana")  # timers ignore R8
    std = (await conversations.outbound(ctx, "dana", "cara", "standard_sms", "hi")).session_id
    enh = (await conversations.outbound(ctx, "dana", "carl", "enhanced_whatsapp", "hi")).session_id
    replied = (await conversations.outbound(ctx, "dana", "cleo", "standard_sms", "hi")).session_id
    await conversations.inbound(ctx, "cleo", "standard_sms", "thanks!")
    clock.advance(hours=23, minutes=59)
    assert await timers.sweep(ctx) == []
    clock.advance(minutes=1)
    assert [(r.session_id, r.result) for r in await timers.sweep(ctx)] == [(std, "ended")]
    clock.advance(hours=23)  # 47 h
    assert await timers.sweep(ctx) == []
    clock.advance(hours=1)  # 48 h
    assert [r.session_id for r in await timers.sweep(ctx)] == [enh]
    assert (await listing.show_session(ctx, std)).end.actor_kind == "timer"
    assert await status_of(ctx, replied) == "Active"
    await assert_consistent(ctx)


# R8 ---------------------------------------------------------------------------------------


async def test_r8_setting_off_refuses_agents_but_not_automation(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL, admin=True)
    sid = await session_for(ctx, "dana", "standard_sms")
    await settings.set_setting(ctx, "agents_can_end", "off", admin="dana")
    reason = "agents may not end sessions: setting is off"
    for surface in (CONSOLE, Surface.ROW):
        assert (await ending.end_session(ctx, "dana", sid, surface)).reason == reason
    assert (await bulk.bulk_end(ctx, "dana", ids=[sid])).results[0].reason == reason
    await assert_untouched(ctx, sid)
    fired = await automation.fire_trigger(ctx, "escalated", sid)
    assert [r.result for r in fired] == ["ended"]
    await assert_consistent(ctx)


async def test_r8_legacy_deployment_defaults_off_unless_an_admin_sets_it(ctx: Ctx) -> None:
    await upgrade_db(ctx, legacy_messaging=True)
    assert not (await settings.get_policy(ctx)).agents_can_end
    await agents.add_agent(ctx, "dana", permissions=ALL, is_admin=True)
    await agents.add_agent(ctx, "erin", permissions=ALL)
    try:
        await settings.set_setting(ctx, "agents_can_end", "on", admin="erin")
        raise AssertionError("a non-admin must not change settings")
    except Refused as exc:
        assert "only admins" in str(exc)
    assert not (await settings.get_policy(ctx)).agents_can_end
    await settings.set_setting(ctx, "agents_can_end", "on", admin="dana")
    assert (await settings.get_policy(ctx)).agents_can_end


# R9 ---------------------------------------------------------------------------------------


async def test_r9_csat_once_when_an_agent_ends_and_the_setting_is_on(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL, admin=True)
    off = await session_for(ctx, "dana", "standard_sms", "cara")
    await ending.end_session(ctx, "dana", off, CONSOLE)
    assert (await listing.show_session(ctx, off)).csat_requests == []
    await settings.set_setting(ctx, "csat_on_agent_end", "on", admin="dana")
    on = await session_for(ctx, "dana", "standard_sms", "carl")
    await ending.end_session(ctx, "dana", on, CONSOLE)
    await ending.end_session(ctx, "dana", on, CONSOLE)
    await bulk.bulk_end(ctx, "dana", ids=[on])
    assert len((await listing.show_session(ctx, on)).csat_requests) == 1
    auto = await session_for(ctx, "dana", "standard_sms", "cleo")
    await automation.fire_trigger(ctx, "escalated", auto)
    assert (await listing.show_session(ctx, auto)).csat_requests == []
    await assert_consistent(ctx)


# R10 --------------------------------------------------------------------------------------


async def test_r10_escalate_macro_notes_transfers_and_ends(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL)
    sid = await session_for(ctx, "dana", "standard_sms")
    result = await automation.run_macro(ctx, "Escalate to Tier 2", sid, as_agent="dana")
    assert [(s.step, s.result) for s in result.steps] == [
        ("note", "done"),
        ("transfer", "done"),
        ("end", "done"),
    ]
    assert result.triggers[0].reason.startswith("already ended by macro Escalate to Tier 2")
    d = await listing.show_session(ctx, sid)
    assert d.escalated_to == "Tier 2" and d.end.actor_kind == "macro"
    await assert_consistent(ctx)


async def test_r10_trigger_ends_when_the_macro_may_not(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL, admin=True)
    sid = await session_for(ctx, "dana", "standard_sms")
    await agents.add_agent(ctx, "erin", permissions=ALL)
    try:
        await automation.run_macro(ctx, "Escalate to Tier 2", sid, as_agent="erin")
        raise AssertionError("a macro on someone else's session must be refused")
    except Refused as exc:
        assert "not the owner" in str(exc)
    await settings.set_setting(ctx, "agents_can_end", "off", admin="dana")
    result = await automation.run_macro(ctx, "Escalate to Tier 2", sid, as_agent="dana")
    assert result.steps[-1].result == "skipped"
    assert result.steps[-1].reason == "agents may not end sessions: setting is off"
    assert [r.result for r in result.triggers] == ["ended"]
    d = await listing.show_session(ctx, sid)
    assert (d.end.actor_kind, d.end.actor) == ("trigger", "End messaging session when escalated")
    await assert_consistent(ctx)


# R11 --------------------------------------------------------------------------------------


async def test_r11_bulk_reports_every_row_and_never_ends_twice(ctx: Ctx, clock) -> None:
    await online(ctx, "dana", ALL, capacity_=10, admin=True)
    await settings.set_setting(
        ctx, "channel.standard_sms.capacity_model", "status-based", admin="dana"
    )
    ok = await session_for(ctx, "dana", "standard_facebook_messenger", "cara")
    inactive = await session_for(ctx, "dana", "standard_sms", "carl")
    await conversations.mark_inactive(ctx, "dana", inactive)
    gone = await session_for(ctx, "dana", "enhanced_sms", "cleo")
    clock.now = clock.now.replace(hour=10, minute=42)
    await bulk.bulk_end(ctx, "dana", ids=[gone])
    preview = await bulk.preview_bulk(ctx, "dana", ids=[ok, inactive, gone, 999999])
    assert [r.will for r in preview.rows] == ["end", "skip", "skip", "skip"]
    report = await bulk.bulk_end(ctx, "dana", ids=[ok, inactive, gone, 999999])
    assert [(r.result, r.reason.split(":")[0]) for r in report.results] == [
        ("ended", ["ended; close the tab to free capacity (1 unit held)"][0]),
        ("skipped", "Inactive sessions cannot be ended from the list under status-based capacity"),
        ("skipped", "already ended by dana on 23 Nov 2026 at 10"),
        ("skipped", "no session S-999999"),
    ]
    assert (
        report.results[2].reason
        == "already ended by dana on 23 Nov 2026 at 10:42 UTC from the list"
    )
    again = await bulk.run_bulk(ctx, report.bulk_id)
    assert (again.ended, again.skipped, again.pending) == (1, 3, 0)
    await assert_consistent(ctx)


async def test_r11_start_then_resume_finishes_the_operation(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL, capacity_=20)
    ids = [
        (await conversations.inbound(ctx, f"c{i}", "standard_sms", "hi")).session_id
        for i in range(12)
    ]
    op = await bulk.start_bulk(ctx, "dana", flt=listing.SessionFilter(statuses=("Waiting",)))
    half = await bulk.bulk_report(ctx, op)
    assert (half.total, half.pending, half.ended) == (12, 12, 0)
    done = await bulk.run_bulk(ctx, op, chunk=5)
    assert (done.ended, done.pending, done.status) == (12, 0, "completed")
    assert {r.session_id for r in done.results} == set(ids)
    await assert_consistent(ctx)


# R12 --------------------------------------------------------------------------------------


async def test_r12_every_end_records_who_when_where_and_one_line(ctx: Ctx, clock) -> None:
    await online(ctx, "dana", ALL, capacity_=10)
    clock.now = clock.now.replace(hour=10, minute=42)
    sid = await session_for(ctx, "dana", "standard_sms")
    await ending.end_session(ctx, "dana", sid, CONSOLE)
    await ending.end_session(ctx, "dana", sid, CONSOLE)
    d = await listing.show_session(ctx, sid)
    assert (d.end.actor_kind, d.end.actor, d.end.surface) == ("agent", "dana", "conversation")
    assert d.end.at == clock.now
    lines = [m for m in d.messages if m.author_kind == "system"]
    assert [(m.text, m.visible_to_customer) for m in lines] == [
        ("Session ended by dana at 10:42 UTC", True)
    ]
    await assert_consistent(ctx)


# Sessions are never reopened --------------------------------------------------------------


async def test_a_message_after_the_end_starts_a_new_session(ctx: Ctx) -> None:
    await online(ctx, "dana", ALL)
    sid = await session_for(ctx, "dana", "standard_sms")
    await ending.end_session(ctx, "dana", sid, CONSOLE)
    again = await conversations.inbound(ctx, "cara", "standard_sms", "one more thing")
    assert again.new_session and again.session_id != sid
    assert await status_of(ctx, sid) == "Ended"
    await assert_consistent(ctx)

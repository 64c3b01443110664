"""Issue 11, defect 9: what the product says of ends, presence and logout is true and reads
well -- who ("the R7 timer", not "timer timer"), when (a date for an old end, the zone of a
customer-facing time), and counts that agree with what happened."""

from __future__ import annotations

import pytest
from svc_support import ALL, add, admin, setting

from agent_console.domain.ending import EndFacts, already_ended_reason, end_account
from agent_console.domain.policy import SettingError
from agent_console.domain.vocab import ActorKind, Presence, Surface
from agent_console.services import (
    conversations,
    ending,
    listing,
    presence,
    routing,
    timers,
    wording,
)
from agent_console.services.context import Ctx
from agent_console.services.views import PresenceEffect, PresenceResult
from conftest import T0, FakeClock

SMS = "standard_sms"


def test_who_ended_a_session_reads_as_a_person_would_say_it() -> None:
    timer = EndFacts(ActorKind.TIMER, "timer", Surface.TIMER, T0)
    assert end_account(timer) == (
        "the R7 timer (the customer never answered) on 23 Nov 2026 at 09:00 UTC"
    )
    dana = EndFacts(ActorKind.AGENT, "dana", Surface.CONVERSATION, T0)
    assert already_ended_reason(dana) == (
        "already ended by dana on 23 Nov 2026 at 09:00 UTC from the conversation"
    )
    logout = EndFacts(ActorKind.LOGOUT, "dana", Surface.LOGOUT, T0)
    assert end_account(logout).startswith("dana (logging out) on 23 Nov 2026")
    assert "timer timer" not in end_account(timer) and "from timer" not in end_account(timer)


async def test_the_end_line_names_the_deployments_time_zone(ctx: Ctx, clock: FakeClock) -> None:
    await admin(ctx)
    await add(ctx, "dana", ALL)
    first = (await conversations.inbound(ctx, "Ann", SMS, "hi")).session_id
    await routing.route(ctx)
    await ending.end_session(ctx, "dana", first)
    assert (await listing.show_session(ctx, first)).messages[-1].text == (
        "Session ended by dana at 09:00 UTC"
    )
    await setting(ctx, "timezone", "Europe/Paris")
    second = (await conversations.inbound(ctx, "Bo", SMS, "hi")).session_id
    await routing.route(ctx)
    await ending.end_session(ctx, "dana", second)
    assert (await listing.show_session(ctx, second)).messages[-1].text == (
        "Session ended by dana at 10:00 CET"
    )
    again = await ending.end_session(ctx, "dana", first)
    assert again.reason == "already ended by dana on 23 Nov 2026 at 10:00 CET from the conversation"
    with pytest.raises(SettingError, match="not a time zone"):
        await setting(ctx, "timezone", "Mars/Olympus_Mons")


async def test_an_r7_end_says_the_timer_ended_it(ctx: Ctx, clock: FakeClock) -> None:
    await admin(ctx)
    await add(ctx, "dana", ALL)
    sid = (await conversations.outbound(ctx, "dana", "Cy", SMS, "still there?")).session_id
    clock.advance(hours=25)
    await timers.sweep(ctx, now=clock.now)
    tried = await ending.end_session(ctx, "dana", sid)
    assert tried.reason.startswith("already ended by the R7 timer (the customer never answered)")
    assert "timer timer" not in tried.reason


def test_offline_counts_agree_with_what_moved() -> None:
    effects = [
        PresenceEffect(1, wording.REQUEUED),
        *(PresenceEffect(i, presence.STAYS) for i in (2, 3)),
        *(PresenceEffect(i, presence.STAYS_INACTIVE) for i in (4, 5)),
    ]
    summary = wording.summarize_effects(effects)
    assert summary.startswith("5 sessions: 1 goes back to Waiting")
    assert "2 stay Active with you" in summary and "2 stay Inactive with you" in summary
    assert "stays Inactive" not in summary
    result = PresenceResult("dana", "Online", "Offline", False, effects)
    assert wording.presence_outcome(result) == (
        "You are Offline: 1 session went back to the queue, 4 stay with you"
    )
    alone = PresenceResult("dana", "Online", "Offline", False, effects[1:2])
    assert wording.presence_outcome(alone) == "You are Offline: 1 stays with you"


async def test_logout_warns_of_the_tab_it_closes_and_counts_every_unit_it_frees(
    ctx: Ctx, clock: FakeClock
) -> None:
    await admin(ctx)
    await add(ctx, "dana", ALL)
    await setting(ctx, f"channel.{SMS}.capacity_model", "status-based")
    live = []
    for name in ("Ann", "Bo", "Cy"):
        live.append((await conversations.inbound(ctx, name, SMS, "hi")).session_id)
    tab = (await conversations.inbound(ctx, "Di", "enhanced_whatsapp", "hi")).session_id
    await routing.route(ctx)
    await ending.end_session(ctx, "dana", tab)  # tab-based: its unit stays held, its tab open
    preview = await presence.logout_preview(ctx, "dana")
    assert [t.id for t in preview.tabs] == [tab]
    assert preview.warning == (
        "Logging out ends 3 ongoing sessions and closes 1 tab of an ended session; "
        "all 4 units you use are freed."
    )
    clock.advance(minutes=1)
    result = await presence.logout(ctx, "dana", confirmed=True)
    # Every tab closes: the one ended before and the three logging out ended.
    assert (result.tabs_closed, result.units_freed, result.used) == (4, 4, 0)
    assert {r.session_id for r in result.results} == set(live)
    assert (await presence.set_presence(ctx, "dana", Presence.OFFLINE, dry_run=True)).effects == []


def test_the_logout_warning_agrees_in_number_and_names_the_agent_to_a_supervisor() -> None:
    from agent_console.services.presence import logout_warning

    assert (
        logout_warning(1, 0, 1)
        == "Logging out ends 1 ongoing session; the 1 unit you use is freed."
    )
    assert logout_warning(2, 0, 2, who="erin") == (
        "Logging erin out ends 2 ongoing sessions; all 2 units erin uses are freed."
    )
    assert logout_warning(0, 0, 0, who="erin") == (
        "erin has no ongoing sessions or open tabs; logging them out ends nothing."
    )

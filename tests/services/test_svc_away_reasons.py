"""Presence: Away reasons (Busy with a reason: Break, Lunch, Training, set by an admin) and the
time an agent has been in their presence. Away is Busy: the agent keeps their sessions and
gets no new work (routing sends work to Online agents only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from svc_support import STANDARD, add, admin, assigned, setting, show

from agent_console.domain.errors import Refused
from agent_console.domain.policy import SettingError
from agent_console.domain.presence import presence_label, time_in_status
from agent_console.domain.vocab import Presence
from agent_console.services import (
    agents,
    conversations,
    listing,
    presence,
    routing,
    settings,
    wording,
)
from agent_console.services.context import Ctx
from agent_console.services.views import SessionRow
from conftest import FakeClock


async def test_busy_with_a_reason_is_stored_with_the_time_it_began(
    ctx: Ctx, clock: FakeClock
) -> None:
    await add(ctx, "dana")
    clock.advance(minutes=5)
    result = await presence.set_presence(ctx, "dana", Presence.BUSY, reason="lunch")

    assert (result.before, result.after, result.reason_after) == ("Online", "Busy", "Lunch")
    assert wording.presence_outcome(result) == "You are Away: Lunch"
    dana = await agents.get_agent(ctx, "dana")
    assert (dana.presence, dana.away_reason) == ("Busy", "Lunch")
    assert dana.presence_since == clock.now
    clock.advance(minutes=12)
    assert presence_label(dana.presence, dana.away_reason) == "Away: Lunch"
    assert time_in_status(clock.now - dana.presence_since) == "12m"


async def test_the_time_restarts_when_presence_or_reason_changes_and_not_otherwise(
    ctx: Ctx, clock: FakeClock
) -> None:
    await add(ctx, "dana", online=False)
    # Never signed in: no time to show (the status bar shows none) until a presence is set.
    assert (await agents.get_agent(ctx, "dana")).presence_since is None
    clock.advance(minutes=1)
    await presence.set_presence(ctx, "dana", Presence.BUSY, reason="Break")
    began = clock.now
    clock.advance(minutes=3)
    await presence.set_presence(ctx, "dana", Presence.BUSY, reason="Break")  # the same again
    assert (await agents.get_agent(ctx, "dana")).presence_since == began
    clock.advance(minutes=3)
    await presence.set_presence(ctx, "dana", Presence.BUSY, reason="Training")
    assert (await agents.get_agent(ctx, "dana")).presence_since == clock.now
    clock.advance(minutes=3)
    await presence.set_presence(ctx, "dana", Presence.BUSY)  # Busy, no reason any more
    dana = await agents.get_agent(ctx, "dana")
    assert (dana.away_reason, dana.presence_since) == (None, clock.now)
    clock.advance(minutes=3)
    await presence.set_presence(ctx, "dana", Presence.ONLINE)
    dana = await agents.get_agent(ctx, "dana")
    assert (dana.presence, dana.away_reason, dana.presence_since) == ("Online", None, clock.now)


async def test_logging_out_clears_the_reason_and_restarts_the_time(
    ctx: Ctx, clock: FakeClock
) -> None:
    await add(ctx, "dana")
    await presence.set_presence(ctx, "dana", Presence.BUSY, reason="Lunch")
    clock.advance(minutes=30)
    await presence.logout(ctx, "dana", confirmed=True)
    dana = await agents.get_agent(ctx, "dana")
    assert (dana.presence, dana.logged_in, dana.away_reason) == ("Offline", False, None)
    assert dana.presence_since == clock.now


async def test_an_unknown_reason_is_refused_with_the_valid_ones_and_nothing_changes(
    ctx: Ctx, clock: FakeClock
) -> None:
    await add(ctx, "dana")
    before = await agents.get_agent(ctx, "dana")
    clock.advance(minutes=1)
    valid = "unknown away reason 'Nap'; the reasons are: Break, Lunch, Training"
    with pytest.raises(Refused, match=valid):
        await presence.set_presence(ctx, "dana", Presence.BUSY, reason="Nap")
    with pytest.raises(Refused, match="unknown away reason 'Nap'"):
        await presence.set_presence(ctx, "dana", Presence.BUSY, reason="Nap", dry_run=True)
    with pytest.raises(Refused, match="an away reason goes with Busy, not Online"):
        await presence.set_presence(ctx, "dana", Presence.ONLINE, reason="Lunch")
    assert await agents.get_agent(ctx, "dana") == before


async def test_away_is_busy_no_new_work_and_the_sessions_stay(ctx: Ctx) -> None:
    await add(ctx, "dana")
    sid = await assigned(ctx, "dana", STANDARD)
    result = await presence.set_presence(ctx, "dana", Presence.BUSY, reason="Lunch")
    assert result.effects == [] and result.rerouted == []
    assert (await agents.get_agent(ctx, "dana")).used == 1
    await conversations.inbound(ctx, "bob", STANDARD, "hello?")
    assert await routing.route(ctx) == []  # nobody Online: the work waits
    kept = await show(ctx, sid)
    assert (kept.session.status, kept.session.owner) == ("Active", "dana")
    back = await presence.set_presence(ctx, "dana", Presence.ONLINE)
    assert [a.agent for a in back.rerouted] == ["dana"]  # Online again: the work comes


async def test_an_admin_sets_the_reasons_and_the_new_list_is_what_is_accepted(
    ctx: Ctx,
) -> None:
    await admin(ctx)
    await add(ctx, "dana")
    await setting(ctx, "presence.away_reasons", " Coaching ,Lunch,  Meeting")
    view = await settings.set_setting(
        ctx, "presence.away_reasons", "Coaching, Lunch, Meeting", admin="root"
    )
    assert (view.value, view.explicit) == ("Coaching, Lunch, Meeting", True)
    assert (await settings.get_policy(ctx)).away_reasons == ("Coaching", "Lunch", "Meeting")
    await presence.set_presence(ctx, "dana", Presence.BUSY, reason="meeting")
    assert (await agents.get_agent(ctx, "dana")).away_reason == "Meeting"
    with pytest.raises(Refused, match="the reasons are: Coaching, Lunch, Meeting"):
        await presence.set_presence(ctx, "dana", Presence.BUSY, reason="Break")
    # "default" brings back Break, Lunch, Training.
    view = await settings.set_setting(ctx, "presence.away_reasons", "default", admin="root")
    assert (view.value, view.explicit) == ("Break, Lunch, Training", False)
    # No reasons at all: Busy stays possible, without one.
    await setting(ctx, "presence.away_reasons", "")
    with pytest.raises(Refused, match="this deployment offers none"):
        await presence.set_presence(ctx, "dana", Presence.BUSY, reason="Lunch")
    await presence.set_presence(ctx, "dana", Presence.BUSY)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("Lunch, lunch", "'lunch' is given twice"),
        ("Break, " + "x" * 25, "a reason is at most 24 characters"),
        (", ".join(f"R{i}" for i in range(13)), "at most 12 reasons, got 13"),
        ("Break, Tea\x1b[31m", "a reason is printable text"),
    ],
)
async def test_settings_refuse_a_bad_list_of_reasons(ctx: Ctx, value: str, error: str) -> None:
    await admin(ctx)
    with pytest.raises(SettingError, match=error):
        await settings.set_setting(ctx, "presence.away_reasons", value, admin="root")
    assert (await settings.get_policy(ctx)).away_reasons == ("Break", "Lunch", "Training")


async def test_only_an_admin_sets_the_reasons(ctx: Ctx) -> None:
    await add(ctx, "dana")
    with pytest.raises(Refused, match="only admins"):
        await settings.set_setting(ctx, "presence.away_reasons", "Nap", admin="dana")


async def test_default_resets_settings_that_are_not_on_off_or_models(ctx: Ctx) -> None:
    """``settings set KEY default`` works for every key (it refused the time zone and the
    priorities before: it checked them against "tab-based")."""
    await admin(ctx)
    await setting(ctx, "timezone", "Europe/Paris")
    await setting(ctx, f"channel.{STANDARD}.priority", "2")
    assert (await settings.set_setting(ctx, "timezone", "default", admin="root")).value == "UTC"
    view = await settings.set_setting(ctx, f"channel.{STANDARD}.priority", "default", admin="root")
    assert (view.value, view.explicit) == ("5", False)
    with pytest.raises(SettingError, match="unknown setting"):
        await settings.set_setting(ctx, "nope", "default", admin="root")


async def test_a_capacity_model_change_applies_to_new_sessions_only_and_says_so(
    ctx: Ctx,
) -> None:
    """Defect 3 (issue 11): the model is stamped on a session when it is created; a change
    leaves the ongoing ones as they were, and the answer says so."""
    await admin(ctx)
    await add(ctx, "dana")
    old = await assigned(ctx, "dana", STANDARD)
    view = await settings.set_setting(ctx, "capacity_model", "status-based", admin="root")
    assert view.note == (
        "The capacity model applies to new sessions only; 1 ongoing session keeps the model "
        "it started with."
    )
    new = await assigned(ctx, "dana", STANDARD, "bob")
    shown = {r.id: r.capacity_model for r in (await listing_rows(ctx))}
    assert (shown[old], shown[new]) == ("tab-based", "status-based")
    # Back to tab-based: the old session has it already; the new one keeps status-based.
    view = await settings.set_setting(ctx, "capacity_model", "tab-based", admin="root")
    assert "; 1 ongoing session keeps the model it started with." in view.note
    # A channel with no ongoing session; then one whose model the change does not touch.
    await setting(ctx, "channel.byoc.capacity_model", "status-based")
    view = await settings.set_setting(ctx, "channel.byoc.capacity_model", "default", admin="root")
    assert view.note == "The capacity model applies to new sessions only."
    await setting(ctx, "channel.byoc.capacity_model", "tab-based")
    view = await settings.set_setting(ctx, "capacity_model", "tab-based", admin="root")
    assert view.note == ""  # nothing changed
    assert (await settings.set_setting(ctx, "timezone", "UTC", admin="root")).note == ""


async def listing_rows(ctx: Ctx) -> list[SessionRow]:
    return (await listing.list_sessions(ctx, listing.SessionFilter(), limit=50)).rows


def test_time_in_status_reads_minutes_hours_and_days() -> None:
    assert time_in_status(timedelta(seconds=59)) == "0m"
    assert time_in_status(timedelta(minutes=12, seconds=30)) == "12m"
    assert time_in_status(timedelta(hours=1, minutes=5)) == "1h 5m"
    assert time_in_status(timedelta(days=2, hours=3, minutes=9)) == "2d 3h"
    assert time_in_status(timedelta(seconds=-5)) == "0m"  # a clock a little behind

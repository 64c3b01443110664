"""R6: logging out warns with every ongoing session, ends them on confirmation (R1/R9/R12
effects), closes every tab and goes Offline; cancelling changes nothing."""

from __future__ import annotations

import pytest
from svc_support import (
    ALL,
    ENHANCED_CHAT,
    ENHANCED_MSG,
    STANDARD,
    STANDARD_FB,
    add,
    admin,
    assert_ended_once,
    assigned,
    consistent,
    ledger_ids,
    setting,
    show,
    statuses,
    used,
)

from agent_console.domain.errors import Refused
from agent_console.services import agents, conversations, ending, presence
from agent_console.services.context import Ctx
from conftest import FakeClock


async def _workload(ctx: Ctx) -> dict[str, int]:
    """dana: Active (status-based), Inactive (status-based), Active (tab-based), Active
    enhanced chat, and one already ended whose tab is still open; erin: one of her own."""
    await admin(ctx)
    await setting(ctx, f"channel.{STANDARD_FB}.capacity_model", "status-based")
    await add(ctx, "dana", ALL, capacity_=10)
    s = {
        "active_sb": await assigned(ctx, "dana", STANDARD_FB, "c1"),
        "inactive_sb": await assigned(ctx, "dana", STANDARD_FB, "c2"),
        "active_tab": await assigned(ctx, "dana", STANDARD, "c3"),
        "chat_tab": await assigned(ctx, "dana", ENHANCED_CHAT, "c4"),
        "ended_tab": await assigned(ctx, "dana", ENHANCED_MSG, "c5"),
    }
    await conversations.mark_inactive(ctx, "dana", s["inactive_sb"])
    await ending.end_session(ctx, "dana", s["ended_tab"])
    await add(ctx, "erin", ALL, capacity_=10)
    s["erins"] = await assigned(ctx, "erin", STANDARD, "c6")
    return s


ONGOING = ("active_sb", "inactive_sb", "active_tab", "chat_tab")


async def test_r6_logout_preview_lists_every_ongoing_session(ctx: Ctx) -> None:
    s = await _workload(ctx)
    before = {k: await show(ctx, v) for k, v in s.items()}

    preview = await presence.logout_preview(ctx, "dana")

    assert preview.agent == "dana"
    assert [r.id for r in preview.sessions] == sorted(s[k] for k in ONGOING)
    assert {r.status for r in preview.sessions} == {"Active", "Inactive"}
    assert preview.warning == (
        "Logging out ends 4 ongoing sessions and closes 1 tab of an ended session; "
        "all 4 units you use are freed."
    )
    assert preview.csat == "no CSAT survey: the CSAT-on-agent-end setting is off"
    assert {k: await show(ctx, v) for k, v in s.items()} == before
    await consistent(ctx)


async def test_r6_logout_preview_with_nothing_ongoing(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    preview = await presence.logout_preview(ctx, "dana")
    assert (preview.sessions, preview.warning) == (
        [],
        "You have no ongoing sessions or open tabs; logging out ends nothing.",
    )
    await consistent(ctx)


async def test_r6_logout_not_confirmed_changes_nothing(ctx: Ctx) -> None:
    s = await _workload(ctx)
    before = {k: await show(ctx, v) for k, v in s.items()}
    agent_before = await agents.get_agent(ctx, "dana")

    with pytest.raises(Refused) as exc:
        await presence.logout(ctx, "dana", confirmed=False)

    assert "confirm" in str(exc.value)
    assert {k: await show(ctx, v) for k, v in s.items()} == before
    assert await agents.get_agent(ctx, "dana") == agent_before
    assert agent_before.presence == "Online" and agent_before.logged_in is True
    await consistent(ctx)


@pytest.mark.parametrize("csat", ["on", "off"])
async def test_r6_logout_confirmed_ends_all_closes_tabs_goes_offline(
    ctx: Ctx, clock: FakeClock, csat: str
) -> None:
    s = await _workload(ctx)
    await setting(ctx, "csat_on_agent_end", csat)
    ended_before = await show(ctx, s["ended_tab"])
    erins_before = await show(ctx, s["erins"])
    clock.advance(minutes=42)
    now = clock()

    res = await presence.logout(ctx, "dana", confirmed=True)

    assert sorted((r.session_id, r.result) for r in res.results) == sorted(
        (s[k], "ended") for k in ONGOING
    )
    # Open tabs: the four ongoing ones plus the one ended earlier; held units: the two
    # tab-based ongoing ones, the ended tab-based one, and the Active status-based one.
    assert res.tabs_closed == 5
    for k in ONGOING:
        d = await assert_ended_once(
            ctx, s[k], actor_kind="logout", actor="dana", surface="logout", at=now,
            line=f"Session ended by dana (logout) at {now:%H:%M} UTC",
        )  # fmt: skip
        assert d.session.tab_open is False and d.session.units_held == 0
        if csat == "on":
            assert [(c.requested_at, c.requested_by) for c in d.csat_requests] == [
                (now, "dana (logout)")
            ]
        else:
            assert d.csat_requests == []
    ended_after = await show(ctx, s["ended_tab"])
    assert ended_after.end == ended_before.end and ended_after.messages == ended_before.messages
    assert ended_after.session.tab_open is False
    assert await show(ctx, s["erins"]) == erins_before
    agent = await agents.get_agent(ctx, "dana")
    assert (agent.presence, agent.logged_in, agent.used) == ("Offline", False, 0)
    assert await ledger_ids(ctx, "dana") == [] and await used(ctx, "erin") == 1
    assert (await presence.logout_preview(ctx, "dana")).sessions == []
    await consistent(ctx)


async def test_r6_logout_then_customer_writes_starts_new_waiting_session(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await presence.logout(ctx, "dana", confirmed=True)
    res = await conversations.inbound(ctx, "cara", STANDARD, "hello again")
    assert res.new_session and res.session_id != sid
    assert await statuses(ctx, sid, res.session_id) == ["Ended", "Waiting"]
    await consistent(ctx)

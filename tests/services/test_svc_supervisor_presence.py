"""A supervisor (an admin) sets another agent's presence or logs them out, with a note the
agent sees: stored with the presence in the same write, cleared by the agent's own change; a
non-admin is refused and nothing changes; a supervisor's logout needs a reason, ends every
session exactly as the agent's own logout does (R6/R9/R12: actor the agent, surface logout)
and its end records say who and why."""

from __future__ import annotations

import pytest
from svc_support import (
    ADMIN,
    ALL,
    STANDARD,
    STANDARD_FB,
    add,
    admin,
    assert_ended_once,
    assigned,
    consistent,
    setting,
    show,
)

from agent_console.domain.errors import NotFound, Refused
from agent_console.domain.feed import Interest
from agent_console.domain.presence import (
    LOGOUT_NEEDS_NOTE,
    MAX_NOTE_LENGTH,
    PresenceAuthor,
    presence_author,
)
from agent_console.domain.vocab import Presence
from agent_console.services import agents, ending, presence
from agent_console.services.change_feed import ChangeFeed
from agent_console.services.context import Ctx
from agent_console.services.views import AgentView, SessionDetail
from conftest import FakeClock

NOT_ADMIN = "amir"


async def _floor(ctx: Ctx) -> None:
    """root (an admin, Offline), dana (Online) and amir (Online, not an admin)."""
    await admin(ctx)
    await add(ctx, "dana")
    await add(ctx, NOT_ADMIN)


async def _dana(ctx: Ctx) -> AgentView:
    return await agents.get_agent(ctx, "dana")


# ---------------------------------------------------------------------------- the rule


def test_the_rule_only_an_admin_acts_on_someone_else() -> None:
    author = presence_author("dana", ADMIN, " Coaching ", by_is_admin=True, logout=False)
    assert author == PresenceAuthor(ADMIN, "Coaching")
    with pytest.raises(Refused, match="only admins can set another agent's presence: amir"):
        presence_author("dana", NOT_ADMIN, None, by_is_admin=False, logout=False)
    with pytest.raises(Refused, match="only admins can log out another agent: amir"):
        presence_author("dana", NOT_ADMIN, "x", by_is_admin=False, logout=True)
    # The agent themself needs no admin flag, and records no one.
    assert presence_author("dana", "dana", None, by_is_admin=False, logout=True) == (
        PresenceAuthor()
    )
    assert presence_author("dana", None, None, by_is_admin=False, logout=False) == (
        PresenceAuthor()
    )


def test_the_rule_what_a_note_must_be() -> None:
    def sup(note: str | None, *, logout: bool = False) -> PresenceAuthor:
        return presence_author("dana", ADMIN, note, by_is_admin=True, logout=logout)

    assert sup(None) == sup("   ") == PresenceAuthor(ADMIN, None)  # optional for a presence
    with pytest.raises(Refused, match=LOGOUT_NEEDS_NOTE):
        sup(None, logout=True)
    with pytest.raises(Refused, match=LOGOUT_NEEDS_NOTE):
        sup(" \t ", logout=True)
    assert sup("x" * MAX_NOTE_LENGTH).note == "x" * MAX_NOTE_LENGTH
    with pytest.raises(Refused, match="at most 200 characters, this one has 201"):
        sup("x" * (MAX_NOTE_LENGTH + 1))
    for bad, cp in (("a\x1b[31mred", "001B"), ("two\nlines", "000A"), ("rtl\u202e", "202E")):
        with pytest.raises(Refused, match=rf"one line of plain text: it contains U\+{cp}"):
            sup(bad)
    with pytest.raises(Refused, match="NUL"):
        sup("a\x00b")
    assert sup("[b]not markup[/b] ✓ café").note == "[b]not markup[/b] ✓ café"  # stored as is
    with pytest.raises(Refused, match="a note goes with a supervisor's change"):
        presence_author("dana", "dana", "mine", by_is_admin=True, logout=False)


# ---------------------------------------------------------------------------- presence


async def test_an_admin_sets_busy_with_a_note_and_the_agents_own_change_clears_it(
    ctx: Ctx, clock: FakeClock
) -> None:
    await _floor(ctx)
    sid = await assigned(ctx, "dana", STANDARD)
    clock.advance(minutes=3)

    result = await presence.set_presence(ctx, "dana", Presence.BUSY, by=ADMIN, note="Coaching")

    assert (result.before, result.after, result.by, result.note) == (
        "Online",
        "Busy",
        ADMIN,
        "Coaching",
    )
    dana = await _dana(ctx)
    assert (dana.presence, dana.presence_by, dana.presence_note) == ("Busy", ADMIN, "Coaching")
    assert (dana.logged_in, dana.presence_since) == (True, clock.now)
    assert (await show(ctx, sid)).session.owner == "dana"  # Busy: she keeps her session

    # Another supervisor change without a note: who is kept, the old note is not.
    await presence.set_presence(ctx, "dana", Presence.BUSY, reason="Training", by=ADMIN)
    assert ((await _dana(ctx)).presence_by, (await _dana(ctx)).presence_note) == (ADMIN, None)

    clock.advance(minutes=5)
    mine = await presence.set_presence(ctx, "dana", Presence.ONLINE)
    assert (mine.by, mine.note) == (None, None)
    dana = await _dana(ctx)
    assert (dana.presence, dana.presence_by, dana.presence_note) == ("Online", None, None)

    # "by" naming the agent herself is her own change: it clears as well.
    await presence.set_presence(ctx, "dana", Presence.BUSY, by=ADMIN, note="Meeting")
    await presence.set_presence(ctx, "dana", Presence.BUSY, by="dana")
    assert ((await _dana(ctx)).presence_by, (await _dana(ctx)).presence_note) == (None, None)
    await consistent(ctx)


async def test_a_supervisors_change_reaches_the_agents_console_through_the_feed(
    ctx: Ctx,
) -> None:
    await _floor(ctx)
    dana = await _dana(ctx)
    feed = ChangeFeed(ctx)
    try:
        await feed.poll(Interest())
        await presence.set_presence(ctx, "dana", Presence.BUSY, by=ADMIN, note="Coaching")
        assert (await feed.poll(Interest(agent_id=dana.id))).concerns(Interest(agent_id=dana.id))
        await presence.logout(ctx, "dana", confirmed=True, by=ADMIN, note="End of shift")
        news = await feed.poll(Interest(agent_id=dana.id))
        assert any(t.agent_id == dana.id for t in news.touches)
    finally:
        await feed.close()


async def test_a_dry_run_says_who_and_changes_nothing(ctx: Ctx) -> None:
    await _floor(ctx)
    before = await _dana(ctx)
    preview = await presence.set_presence(
        ctx, "dana", Presence.OFFLINE, by=ADMIN, note="Coaching", dry_run=True
    )
    assert (preview.dry_run, preview.by, preview.note) == (True, ADMIN, "Coaching")
    assert await _dana(ctx) == before
    with pytest.raises(Refused, match="only admins"):
        await presence.set_presence(ctx, "dana", Presence.OFFLINE, by=NOT_ADMIN, dry_run=True)


async def test_a_non_admin_is_refused_and_nothing_changes(ctx: Ctx) -> None:
    await _floor(ctx)
    sid = await assigned(ctx, "dana", STANDARD)
    await presence.set_presence(ctx, "dana", Presence.BUSY, by=ADMIN, note="Coaching")
    before, session = await _dana(ctx), await show(ctx, sid)

    with pytest.raises(Refused) as exc:
        await presence.set_presence(ctx, "dana", Presence.OFFLINE, by=NOT_ADMIN, note="x")
    assert str(exc.value) == ("only admins can set another agent's presence: amir is not an admin")
    with pytest.raises(Refused, match="only admins can log out another agent: amir is not"):
        await presence.logout(ctx, "dana", confirmed=True, by=NOT_ADMIN, note="x")
    with pytest.raises(Refused, match="only admins can log out another agent"):
        await presence.logout_preview(ctx, "dana", by=NOT_ADMIN)
    with pytest.raises(NotFound, match="unknown agent 'zed'"):
        await presence.set_presence(ctx, "dana", Presence.ONLINE, by="zed")

    assert await _dana(ctx) == before
    assert await show(ctx, sid) == session
    await consistent(ctx)


async def test_a_bad_note_is_refused_before_anything_changes(ctx: Ctx) -> None:
    await _floor(ctx)
    before = await _dana(ctx)
    with pytest.raises(Refused, match="at most 200 characters"):
        await presence.set_presence(ctx, "dana", Presence.BUSY, by=ADMIN, note="n" * 500)
    with pytest.raises(Refused, match=r"U\+001B at character 1"):
        await presence.logout(ctx, "dana", confirmed=True, by=ADMIN, note="\x1b]52;c;x\x07")
    with pytest.raises(Refused, match="a note goes with a supervisor's change"):
        await presence.set_presence(ctx, "dana", Presence.BUSY, note="mine")
    assert await _dana(ctx) == before


# ---------------------------------------------------------------------------- logout


async def test_a_supervisor_logout_without_a_reason_is_refused(ctx: Ctx) -> None:
    await _floor(ctx)
    sid = await assigned(ctx, "dana", STANDARD)
    before, session = await _dana(ctx), await show(ctx, sid)
    for note in (None, "", "   "):
        with pytest.raises(Refused) as exc:
            await presence.logout(ctx, "dana", confirmed=True, by=ADMIN, note=note)
        assert str(exc.value) == LOGOUT_NEEDS_NOTE
    assert await _dana(ctx) == before
    assert await show(ctx, sid) == session


async def _shift(ctx: Ctx, agent: str) -> dict[str, int]:
    """``agent``'s work: an Active status-based session, an Active tab-based one, and an
    ended one whose tab is still open."""
    await add(ctx, agent, ALL, capacity_=10)
    s = {
        "status_based": await assigned(ctx, agent, STANDARD_FB, f"{agent}-c1"),
        "tab_based": await assigned(ctx, agent, STANDARD, f"{agent}-c2"),
        "ended_tab": await assigned(ctx, agent, STANDARD, f"{agent}-c3"),
    }
    await ending.end_session(ctx, agent, s["ended_tab"])
    await presence.set_presence(ctx, agent, Presence.BUSY)  # routing leaves her be now
    return s


def _ends(detail: SessionDetail) -> tuple[object, ...]:
    assert detail.end is not None
    return (detail.end.actor_kind, detail.end.surface, detail.end.at)


@pytest.mark.parametrize("csat", ["on", "off"])
async def test_a_supervisor_logout_ends_every_session_like_r6_and_says_why(
    ctx: Ctx, clock: FakeClock, csat: str
) -> None:
    """dana is logged out by root, erin (the same work) logs herself out at the same moment:
    the same effects, except who the agent's row and the end records name as the reason."""
    await admin(ctx)
    await setting(ctx, f"channel.{STANDARD_FB}.capacity_model", "status-based")
    await setting(ctx, "csat_on_agent_end", csat)
    dana, erin = await _shift(ctx, "dana"), await _shift(ctx, "erin")
    clock.advance(minutes=30)
    now = clock()

    theirs = await presence.logout(ctx, "dana", confirmed=True, by=ADMIN, note="End of shift")
    own = await presence.logout(ctx, "erin", confirmed=True)

    assert (theirs.by, theirs.note, own.by, own.note) == (ADMIN, "End of shift", None, None)
    assert [(r.result, r.reason) for r in theirs.results] == [
        (r.result, r.reason) for r in own.results
    ]
    assert [r.session_id for r in theirs.results] == [dana["status_based"], dana["tab_based"]]
    assert (theirs.tabs_closed, theirs.units_freed, theirs.used) == (
        own.tabs_closed,
        own.units_freed,
        own.used,
    )
    assert (theirs.tabs_closed, theirs.units_freed, theirs.used) == (3, 3, 0)
    for key in ("status_based", "tab_based"):
        d = await assert_ended_once(
            ctx, dana[key], actor_kind="logout", actor="dana", surface="logout", at=now,
            line=f"Session ended by dana (logout) at {now:%H:%M} UTC",
        )  # fmt: skip
        e = await show(ctx, erin[key])
        assert d.end is not None and e.end is not None
        assert d.end.reason == "logged out by root: End of shift"
        assert e.end.reason == ""
        assert _ends(d) == _ends(e)
        assert [(c.requested_at, c.requested_by) for c in d.csat_requests] == (
            [(now, "dana (logout)")] if csat == "on" else []
        )
        assert len(e.csat_requests) == len(d.csat_requests)
    earlier = (await show(ctx, dana["ended_tab"])).end  # ended before: its record is kept
    assert earlier is not None and (earlier.actor_kind, earlier.reason) == ("agent", "")

    dana_now, erin_now = await _dana(ctx), await agents.get_agent(ctx, "erin")
    assert (dana_now.presence, dana_now.logged_in, dana_now.used, dana_now.presence_since) == (
        erin_now.presence,
        erin_now.logged_in,
        erin_now.used,
        erin_now.presence_since,
    )
    assert (dana_now.presence_by, dana_now.presence_note) == (ADMIN, "End of shift")
    assert (erin_now.presence_by, erin_now.presence_note) == (None, None)

    # She logs back in herself: who and why are gone.
    await presence.set_presence(ctx, "dana", Presence.ONLINE)
    dana_now = await _dana(ctx)
    assert (dana_now.logged_in, dana_now.presence_by, dana_now.presence_note) == (
        True,
        None,
        None,
    )
    await consistent(ctx)

"""Transfer (issue 11): to another Online agent with room, or back to the queue; an internal
system line records it; capacity moves with the session under either model; refusals say why;
two consoles transferring the same session at once: one wins, the other is told why.

Every test runs on SQLite and PostgreSQL, and ends with the invariants checked (services/check).
"""

from __future__ import annotations

import asyncio

import pytest
from svc_support import (
    ADMIN,
    ENHANCED_CHAT,
    ENHANCED_MSG,
    MSG,
    STANDARD,
    add,
    admin,
    assigned,
    consistent,
    ledger_ids,
    setting,
    show,
    used,
)

from agent_console.domain.errors import NotFound, Refused
from agent_console.domain.vocab import Presence
from agent_console.services import conversations, ending, presence, routing
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from agent_console.services.transfer import transfer, transfer_options
from agent_console.services.views import ActionId
from agent_console.services.wording import transfer_outcome as outcome_text
from conftest import FakeClock


async def dana_and_erin(ctx: Ctx, model: str = "tab-based") -> int:
    """dana owns one session of ``model``; erin is Online with room (she came Online after
    routing, so the session is dana's)."""
    await admin(ctx)
    await setting(ctx, "capacity_model", model)
    await add(ctx, "dana")
    sid = await assigned(ctx, "dana", ENHANCED_MSG)
    await add(ctx, "erin")
    return sid


def internal_lines(detail: object) -> list[tuple[str, bool, str]]:
    return [
        (m.text, m.visible_to_customer, m.author)
        for m in detail.messages  # type: ignore[attr-defined]
        if m.author_kind == "system"
    ]


@pytest.mark.parametrize("model", ["tab-based", "status-based"])
async def test_transfer_moves_the_session_and_its_units(ctx: Ctx, model: str) -> None:
    sid = await dana_and_erin(ctx, model)
    assert (await used(ctx, "dana"), await used(ctx, "erin")) == (1, 0)

    result = await transfer(ctx, "dana", sid, "erin")

    assert (result.sender, result.receiver, result.status) == ("dana", "erin", "Active")
    assert (result.units_freed, result.units_taken) == (1, 1)
    assert (result.sender_used, result.receiver_used) == (0, 1)
    assert (await used(ctx, "dana"), await used(ctx, "erin")) == (0, 1)
    assert await ledger_ids(ctx, "erin") == [sid]
    detail = await show(ctx, sid)
    assert (detail.session.owner, detail.session.status, detail.session.tab_open) == (
        "erin",
        "Active",
        True,
    )
    assert detail.session.units_held == 1
    # The line agents see (internal: the customer does not).
    assert internal_lines(detail) == [("Transferred from dana to erin", False, "system")]
    assert outcome_text(result) == (
        f"S-{sid} transferred to erin (1 unit moved; dana uses 0/5, erin 1/5)"
    )
    # erin works it now: she replies; dana may not.
    await conversations.send(ctx, "erin", sid, "Hi, erin here.")
    with pytest.raises(Refused, match="not the owner"):
        await conversations.send(ctx, "dana", sid, "me again")
    await consistent(ctx)


@pytest.mark.parametrize("model", ["tab-based", "status-based"])
async def test_back_to_the_queue_frees_the_units_and_routing_assigns_it_again(
    ctx: Ctx, model: str
) -> None:
    sid = await dana_and_erin(ctx, model)
    result = await transfer(ctx, "dana", sid, None)
    assert (result.receiver, result.status, result.units_freed) == (None, "Waiting", 1)
    assert outcome_text(result) == f"S-{sid} sent back to the queue (1 unit freed; dana uses 0/5)"
    detail = await show(ctx, sid)
    assert (detail.session.status, detail.session.owner, detail.session.tab_open) == (
        "Waiting",
        None,
        False,
    )
    assert detail.session.units_held == 0
    assert internal_lines(detail) == [("dana sent this session back to the queue", False, "system")]
    assert await used(ctx, "dana") == 0
    await consistent(ctx)
    await presence.set_presence(ctx, "dana", Presence.BUSY)  # so routing picks erin
    got = await routing.route(ctx)
    assert [(a.session_id, a.agent) for a in got] == [(sid, "erin")]
    assert await used(ctx, "erin") == 1
    await consistent(ctx)


async def test_units_of_a_channel_move_whole(ctx: Ctx) -> None:
    """A channel worth 2 units: the sender gets 2 back, the receiver takes 2."""
    await admin(ctx)
    await setting(ctx, f"channel.{STANDARD}.units", "2")
    await add(ctx, "dana")
    sid = await assigned(ctx, "dana", STANDARD)
    await add(ctx, "erin", capacity_=3)
    result = await transfer(ctx, "dana", sid, "erin")
    assert (result.units_freed, result.units_taken, result.receiver_used) == (2, 2, 2)
    assert (await used(ctx, "dana"), await used(ctx, "erin")) == (0, 2)
    await consistent(ctx)


async def test_an_admin_transfers_anyones_session_and_the_line_says_so(ctx: Ctx) -> None:
    sid = await dana_and_erin(ctx)
    await transfer(ctx, ADMIN, sid, "erin")
    assert internal_lines(await show(ctx, sid)) == [
        ("Transferred from dana to erin by root", False, "system")
    ]
    await transfer(ctx, ADMIN, sid, None)
    assert internal_lines(await show(ctx, sid))[-1] == (
        "root sent this session back to the queue (it was erin's)",
        False,
        "system",
    )
    assert (await used(ctx, "dana"), await used(ctx, "erin")) == (0, 0)
    await consistent(ctx)


async def assert_unchanged(ctx: Ctx, sid: int, owner: str = "dana") -> None:
    detail = await show(ctx, sid)
    assert (detail.session.owner, detail.session.status) == (owner, "Active")
    assert internal_lines(detail) == []
    assert await used(ctx, owner) == 1
    await consistent(ctx)


async def test_receivers_without_room_or_not_online_are_refused_with_the_reason(ctx: Ctx) -> None:
    sid = await dana_and_erin(ctx)
    await add(ctx, "sam", capacity_=1)
    await conversations.outbound(ctx, "sam", "stu", STANDARD, "hi")  # sam is full (1/1)
    await add(ctx, "bea")
    await presence.set_presence(ctx, "bea", Presence.BUSY)
    await add(ctx, "otto", online=False)
    await add(ctx, "mia", MSG)  # no enhanced chat permissions
    await add(ctx, "lou")
    await presence.logout(ctx, "lou", confirmed=True)
    cases = {
        "sam": "sam: no free capacity (1/1)",
        "bea": "bea: Busy",
        "otto": "otto: logged out",
        "lou": "lou: logged out",
        "dana": "dana: already the owner",
    }
    for name, reason in cases.items():
        with pytest.raises(Refused) as caught:
            await transfer(ctx, "dana", sid, name)
        assert str(caught.value) == f"S-{sid} not transferred to {reason}"
    with pytest.raises(NotFound, match="unknown agent 'nobody'"):
        await transfer(ctx, "dana", sid, "nobody")
    await assert_unchanged(ctx, sid)

    chat = (await conversations.outbound(ctx, "erin", "cy", ENHANCED_CHAT, "hi")).session_id
    with pytest.raises(Refused, match="mia: missing permission enhanced_chat_user"):
        await transfer(ctx, "erin", chat, "mia")


async def test_only_the_owner_or_an_admin_transfers_and_only_an_active_session(
    ctx: Ctx,
) -> None:
    sid = await dana_and_erin(ctx)
    with pytest.raises(Refused, match=f"not transferred: not the owner: S-{sid} is owned by dana"):
        await transfer(ctx, "erin", sid, "erin")
    await assert_unchanged(ctx, sid)

    waiting = (await conversations.inbound(ctx, "wes", STANDARD, "hi")).session_id
    with pytest.raises(Refused, match="is Waiting: only an Active session can be transferred"):
        await transfer(ctx, ADMIN, waiting, "erin")

    await ending.end_session(ctx, "dana", sid)
    with pytest.raises(Refused, match=f"S-{sid} has already ended by dana on 23 Nov 2026"):
        await transfer(ctx, "dana", sid, "erin")
    with pytest.raises(NotFound, match="no session S-999"):
        await transfer(ctx, "dana", 999, None)
    await consistent(ctx)


async def test_an_inactive_session_is_not_transferred(ctx: Ctx) -> None:
    sid = await dana_and_erin(ctx, "status-based")
    await conversations.mark_inactive(ctx, "dana", sid)
    with pytest.raises(Refused, match="is Inactive: only an Active session"):
        await transfer(ctx, "dana", sid, "erin")
    await consistent(ctx)


async def test_options_list_who_can_receive_and_why_not(ctx: Ctx) -> None:
    sid = await dana_and_erin(ctx)
    await add(ctx, "sam", capacity_=1)
    await conversations.outbound(ctx, "sam", "stu", STANDARD, "hi")
    await add(ctx, "bea", capacity_=2)
    await presence.set_presence(ctx, "bea", Presence.BUSY)
    await add(ctx, "zed", capacity_=9)

    opts = await transfer_options(ctx, "dana", sid)
    assert (opts.allowed, opts.reason, opts.units) == (True, "", 1)
    assert [(t.name, t.eligible, t.line) for t in opts.targets] == [
        ("zed", True, "zed"),  # most free capacity first
        ("erin", True, "erin"),
        ("bea", False, "bea: Busy"),
        ("root", False, "root: logged out"),
        ("sam", False, "sam: no free capacity (1/1)"),
    ]
    assert [t.free for t in opts.targets[:2]] == [9, 5]
    # Someone else's session: the same list, but the actor may not move it.
    theirs = await transfer_options(ctx, "erin", sid)
    assert not theirs.allowed and theirs.reason == f"not the owner: S-{sid} is owned by dana"
    # The session's actions say the same (the row menu and the console key read them).
    detail = await show(ctx, sid, as_agent="erin")
    assert next(a for a in detail.actions if a.id is ActionId.TRANSFER).allowed is False


async def test_two_consoles_transfer_the_same_session_at_once_one_wins(
    ctx: Ctx, db_url: str, clock: FakeClock
) -> None:
    """dana (to erin) and an admin (to sam) both saw dana as the owner; one transfer wins,
    the other is refused: the session changed hands meanwhile. Nothing is moved twice."""
    sid = await dana_and_erin(ctx)
    await add(ctx, "sam")
    other = await open_ctx(db_url, clock=clock)
    try:
        outcomes = await asyncio.gather(
            transfer(ctx, "dana", sid, "erin", expected_owner="dana"),
            transfer(other, ADMIN, sid, "sam", expected_owner="dana"),
            return_exceptions=True,
        )
    finally:
        await other.db.dispose()
    done = [o for o in outcomes if not isinstance(o, BaseException)]
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert len(done) == 1 and len(refused) == 1, outcomes
    winner = done[0].receiver
    assert str(refused[0]) == (
        f"not transferred: S-{sid} changed hands meanwhile: it is now owned by {winner}"
    )
    detail = await show(ctx, sid)
    assert detail.session.owner == winner
    assert len(internal_lines(detail)) == 1
    assert {n: await used(ctx, n) for n in ("dana", "erin", "sam")} == {
        "dana": 0,
        "erin": int(winner == "erin"),
        "sam": int(winner == "sam"),
    }
    await consistent(ctx)


async def test_the_owner_twice_at_once_second_is_not_the_owner(
    ctx: Ctx, db_url: str, clock: FakeClock
) -> None:
    """Two of dana's consoles, one to erin and one to the queue: one wins."""
    sid = await dana_and_erin(ctx)
    other = await open_ctx(db_url, clock=clock)
    try:
        outcomes = await asyncio.gather(
            transfer(ctx, "dana", sid, "erin"),
            transfer(other, "dana", sid, None),
            return_exceptions=True,
        )
    finally:
        await other.db.dispose()
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert len(refused) == 1, outcomes
    assert "not transferred" in str(refused[0])
    assert "not the owner" in str(
        refused[0]
    ) or "is Waiting: only an Active session can be transferred" in str(refused[0])
    assert len(internal_lines(await show(ctx, sid))) == 1
    await consistent(ctx)


async def test_crossing_transfers_between_two_agents_never_deadlock(
    ctx: Ctx, db_url: str, clock: FakeClock
) -> None:
    """dana hands hers to erin while erin hands hers to dana, ten times over: all succeed."""
    await admin(ctx)
    await add(ctx, "dana", capacity_=20)
    await add(ctx, "erin", capacity_=20)

    async def started(agent: str, customer: str) -> int:
        return (await conversations.outbound(ctx, agent, customer, STANDARD, "hi")).session_id

    mine = [await started("dana", f"d{i}") for i in range(10)]
    hers = [await started("erin", f"e{i}") for i in range(10)]
    other = await open_ctx(db_url, clock=clock)
    try:
        for a, b in zip(mine, hers, strict=True):
            await asyncio.gather(
                transfer(ctx, "dana", a, "erin"), transfer(other, "erin", b, "dana")
            )
    finally:
        await other.db.dispose()
    assert sorted(await ledger_ids(ctx, "dana")) == hers
    assert sorted(await ledger_ids(ctx, "erin")) == mine
    await consistent(ctx)

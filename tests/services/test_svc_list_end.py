"""R3 (ending from the Messaging Sessions list) and R4 (no list end for Inactive, status-based).

List ends (row menu and bulk End Sessions) need ``end_messaging_session`` and no ownership;
the row menu exists for standard channels only; an Inactive session under status-based
capacity cannot be ended from the list, only from its conversation by its owner.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from svc_support import (
    ALL,
    EC,
    ENHANCED_CHAT,
    ENHANCED_MSG,
    INACTIVE_LIST,
    LIST,
    MSG,
    ROW_STANDARD_ONLY,
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
    statuses,
    used,
)

from agent_console.domain.errors import Refused
from agent_console.domain.vocab import Surface
from agent_console.services import agents, bulk, conversations, ending, listing
from agent_console.services.context import Ctx
from agent_console.services.listing import SessionFilter
from agent_console.services.views import ActionId
from conftest import FakeClock

NO_LIST_PERM = "missing permission end_messaging_session"


# R3 ------------------------------------------------------------------------------------------


async def test_r3_list_end_needs_end_messaging_session(ctx: Ctx) -> None:
    # dana owns both sessions and may End Chat them, but has no list permission.
    await add(ctx, "dana", [*EC, *MSG])
    s1 = await assigned(ctx, "dana", STANDARD, "c1")
    s2 = await assigned(ctx, "dana", STANDARD_FB, "c2")

    row = await ending.end_session(ctx, "dana", s1, Surface.ROW)
    report = await bulk.bulk_end(ctx, "dana", ids=[s1, s2])

    assert (row.result, row.reason) == ("skipped", NO_LIST_PERM)
    assert [(r.session_id, r.result, r.reason) for r in report.results] == [
        (s1, "skipped", NO_LIST_PERM),
        (s2, "skipped", NO_LIST_PERM),
    ]
    assert (report.total, report.ended, report.skipped, report.pending) == (2, 0, 2, 0)
    for sid in (s1, s2):
        d = await assert_not_ended(ctx, sid, owner="dana")
        assert action(d, ActionId.END_ROW) == (False, NO_LIST_PERM)
        assert action(d, ActionId.END_LIST) == (False, NO_LIST_PERM)
        assert action(d, ActionId.END_CHAT) == (True, "")
    assert await used(ctx, "dana") == 2
    await consistent(ctx)


async def test_r3_list_end_needs_no_ownership(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    s1 = await assigned(ctx, "dana", STANDARD, "c1")
    s2 = await assigned(ctx, "dana", ENHANCED_MSG, "c2")
    s3 = await assigned(ctx, "dana", STANDARD_FB, "c3")
    # sam supervises: only the list permission, owns nothing, is not even Online.
    await add(ctx, "sam", LIST, online=False)

    conv = await ending.end_session(ctx, "sam", s1, Surface.CONVERSATION)
    assert conv.reason == f"not the owner: S-{s1} is owned by dana"
    await assert_not_ended(ctx, s1, owner="dana")

    row = await ending.end_session(ctx, "sam", s3, Surface.ROW)
    report = await bulk.bulk_end(ctx, "sam", ids=[s1, s2])

    assert row.result == "ended"
    assert [(r.session_id, r.result) for r in report.results] == [(s1, "ended"), (s2, "ended")]
    now = clock()
    await assert_ended_once(
        ctx, s3, actor_kind="agent", actor="sam", surface="row", at=now,
        line=f"Session ended by sam at {now:%H:%M} UTC",
    )  # fmt: skip
    for sid in (s1, s2):
        await assert_ended_once(
            ctx, sid, actor_kind="agent", actor="sam", surface="list", at=now,
            line=f"Session ended by sam at {now:%H:%M} UTC", bulk_id=report.bulk_id,
        )  # fmt: skip
    # Tab-based: dana's tabs still hold the units until she closes them.
    assert await used(ctx, "dana") == 3
    await consistent(ctx)


async def test_r3_bulk_over_ids_ends_exactly_the_selection(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    s1 = await assigned(ctx, "dana", STANDARD, "c1")
    s2 = await assigned(ctx, "dana", STANDARD, "c2")
    s3 = await assigned(ctx, "dana", ENHANCED_MSG, "c3")

    report = await bulk.bulk_end(ctx, "dana", ids=[s3, s1, s3])

    assert [(r.session_id, r.result) for r in report.results] == [(s3, "ended"), (s1, "ended")]
    assert (report.total, report.ended, report.skipped, report.status) == (2, 2, 0, "completed")
    assert await statuses(ctx, s1, s2, s3) == ["Ended", "Active", "Ended"]
    await consistent(ctx)


async def test_r3_bulk_over_a_filter_ends_only_matching_sessions(
    ctx: Ctx, clock: FakeClock
) -> None:
    await add(ctx, "dana", [*MSG, *LIST], capacity_=10)
    old1 = await assigned(ctx, "dana", STANDARD, "c1")
    old2 = await assigned(ctx, "dana", STANDARD, "c2")
    old_enh = await assigned(ctx, "dana", ENHANCED_MSG, "c3")
    await add(ctx, "erin", [*MSG, *LIST], capacity_=20)
    erins = await assigned(ctx, "erin", STANDARD, "c4")
    waiting = (await conversations.inbound(ctx, "c5", ENHANCED_CHAT, "hi")).session_id
    clock.advance(hours=2)
    await agents.set_agent(ctx, "erin", capacity=1)  # erin is full: dana takes the next one
    new = await assigned(ctx, "dana", STANDARD, "c6")

    flt = SessionFilter(channels=(STANDARD,), owner="dana", min_age=timedelta(hours=1))
    preview = await bulk.preview_bulk(ctx, "dana", flt=flt)
    assert [(r.session_id, r.will) for r in preview.rows] == [(old1, "end"), (old2, "end")]
    assert await statuses(ctx, old1, old2) == ["Active", "Active"]  # preview writes nothing

    report = await bulk.bulk_end(ctx, "dana", flt=flt)

    assert [(r.session_id, r.result) for r in report.results] == [(old1, "ended"), (old2, "ended")]
    ended = await listing.list_sessions(ctx, SessionFilter(statuses=("Ended",)), order="oldest")
    assert [r.id for r in ended.rows] == [old1, old2]
    assert await statuses(ctx, old_enh, erins, waiting, new) == [
        "Active",
        "Active",
        "Waiting",
        "Active",
    ]
    for sid in (old1, old2):
        d = await show(ctx, sid)
        assert d.end is not None and (d.end.surface, d.end.bulk_id) == ("list", report.bulk_id)
    await consistent(ctx)


async def test_r3_bulk_over_a_status_filter_can_end_waiting_sessions(ctx: Ctx) -> None:
    await add(ctx, "sam", LIST, online=False)
    w1 = (await conversations.inbound(ctx, "c1", STANDARD, "hi")).session_id
    w2 = (await conversations.inbound(ctx, "c2", ENHANCED_CHAT, "hi")).session_id
    report = await bulk.bulk_end(ctx, "sam", flt=SessionFilter(statuses=("Waiting",)))
    assert [(r.session_id, r.result) for r in report.results] == [(w1, "ended"), (w2, "ended")]
    assert await listing.count_sessions(ctx, SessionFilter(statuses=("Waiting",))) == 0
    await consistent(ctx)


@pytest.mark.parametrize("channel", [STANDARD, STANDARD_FB])
async def test_r3_row_end_session_on_standard_channel(ctx: Ctx, channel: str) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", channel)
    assert action(await show(ctx, sid), ActionId.END_ROW) == (True, "")
    res = await ending.end_session(ctx, "dana", sid, Surface.ROW)
    assert res.result == "ended"
    d = await show(ctx, sid)
    assert d.session.status == "Ended" and d.end is not None and d.end.surface == "row"
    await consistent(ctx)


@pytest.mark.parametrize(
    "channel", [ENHANCED_MSG, "enhanced_sms", "byoc", "enhanced_in_app_chat", ENHANCED_CHAT]
)
async def test_r3_row_end_session_is_for_standard_channels_only(ctx: Ctx, channel: str) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", channel)

    res = await ending.end_session(ctx, "dana", sid, Surface.ROW)

    assert (res.result, res.reason) == ("skipped", ROW_STANDARD_ONLY)
    d = await assert_not_ended(ctx, sid, owner="dana")
    assert action(d, ActionId.END_ROW) == (False, ROW_STANDARD_ONLY)
    assert action(d, ActionId.END_LIST) == (True, "")
    # The list's End Sessions still ends it: only the row menu item is standard-only.
    report = await bulk.bulk_end(ctx, "dana", ids=[sid])
    assert [r.result for r in report.results] == ["ended"]
    await consistent(ctx)


# R4 ------------------------------------------------------------------------------------------


async def test_r4_inactive_status_based_has_no_list_end(ctx: Ctx) -> None:
    await admin(ctx)
    await setting(ctx, "capacity_model", "status-based")
    await add(ctx, "dana", ALL)
    await add(ctx, "sam", LIST, online=False)
    sid = await assigned(ctx, "dana", STANDARD)
    await conversations.mark_inactive(ctx, "dana", sid)
    assert await used(ctx, "dana") == 0

    row = await ending.end_session(ctx, "sam", sid, Surface.ROW)
    owner_row = await ending.end_session(ctx, "dana", sid, Surface.ROW)
    report = await bulk.bulk_end(ctx, "dana", ids=[sid])

    assert (row.result, row.reason) == ("skipped", INACTIVE_LIST)
    assert (owner_row.result, owner_row.reason) == ("skipped", INACTIVE_LIST)
    assert [(r.result, r.reason) for r in report.results] == [("skipped", INACTIVE_LIST)]
    d = await assert_not_ended(ctx, sid, status="Inactive", owner="dana")
    assert action(d, ActionId.END_ROW) == (False, INACTIVE_LIST)
    assert action(d, ActionId.END_LIST) == (False, INACTIVE_LIST)
    assert action(d, ActionId.END_CHAT) == (True, "")
    await consistent(ctx)


async def test_r4_inactive_status_based_ends_from_the_conversation_by_its_owner(
    ctx: Ctx, clock: FakeClock
) -> None:
    await admin(ctx)
    await setting(ctx, "capacity_model", "status-based")
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await conversations.mark_inactive(ctx, "dana", sid)
    await add(ctx, "erin", ALL, online=False)

    other = await ending.end_session(ctx, "erin", sid, Surface.CONVERSATION)
    assert other.reason == f"not the owner: S-{sid} is owned by dana"
    await assert_not_ended(ctx, sid, status="Inactive", owner="dana")

    res = await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)
    assert (res.result, res.reason) == ("ended", "ended")
    now = clock()
    await assert_ended_once(
        ctx, sid, actor_kind="agent", actor="dana", surface="conversation", at=now,
        line=f"Session ended by dana at {now:%H:%M} UTC",
    )  # fmt: skip
    assert await used(ctx, "dana") == 0
    await consistent(ctx)


async def test_r4_per_channel_status_based_inactive_has_no_list_end(ctx: Ctx) -> None:
    # The deployment default stays tab-based; only Standard SMS is status-based.
    await admin(ctx)
    await setting(ctx, f"channel.{STANDARD}.capacity_model", "status-based")
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await conversations.mark_inactive(ctx, "dana", sid)
    report = await bulk.bulk_end(ctx, "dana", ids=[sid])
    assert [(r.result, r.reason) for r in report.results] == [("skipped", INACTIVE_LIST)]
    await assert_not_ended(ctx, sid, status="Inactive", owner="dana")
    await consistent(ctx)


async def test_r4_status_based_active_session_can_be_ended_from_the_list(ctx: Ctx) -> None:
    await admin(ctx)
    await setting(ctx, "capacity_model", "status-based")
    await add(ctx, "dana", ALL)
    s1 = await assigned(ctx, "dana", STANDARD, "c1")
    s2 = await assigned(ctx, "dana", STANDARD, "c2")
    assert (await ending.end_session(ctx, "dana", s1, Surface.ROW)).result == "ended"
    assert [r.result for r in (await bulk.bulk_end(ctx, "dana", ids=[s2])).results] == ["ended"]
    assert await used(ctx, "dana") == 0
    await consistent(ctx)


async def test_r4_tab_based_has_no_inactive(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    with pytest.raises(Refused) as exc:
        await conversations.mark_inactive(ctx, "dana", sid)
    assert str(exc.value) == f"S-{sid}: Inactive exists only under status-based capacity"
    d = await assert_not_ended(ctx, sid, status="Active", owner="dana")
    assert d.session.units_held == 1
    assert not [m for m in d.messages if m.text.startswith("Marked inactive")]
    assert await used(ctx, "dana") == 1
    # So nothing can hide a tab-based session from the list: End Sessions works.
    report = await bulk.bulk_end(ctx, "dana", ids=[sid])
    assert [r.result for r in report.results] == ["ended"]
    await consistent(ctx)

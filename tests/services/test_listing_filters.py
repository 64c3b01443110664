"""The Messaging Sessions list's services (R3, R11): filters, every sort paged by keyset,
the live count, the row menu, and bulk End Sessions as counts and pages of rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from svc_support import (
    ALL,
    ENHANCED_MSG,
    INACTIVE_LIST,
    STANDARD,
    STANDARD_FB,
    add,
    admin,
    assigned,
    consistent,
    setting,
)

from agent_console.domain.vocab import Surface
from agent_console.services import bulk, conversations, ending, listing, routing
from agent_console.services.context import Ctx
from agent_console.services.listing import SORT_LABELS, Selection, SessionFilter, Sort
from agent_console.services.views import SessionRow
from conftest import FakeClock

CUSTOMERS = ("Cara", "Abe", "Eve", "Dov", "Bo", "Fay", "Gil", "Hal")
CHANNELS = (STANDARD, ENHANCED_MSG, "byoc", STANDARD_FB)


async def world(ctx: Ctx, clock: FakeClock) -> dict[str, int]:
    """Sessions on four channels, owned by two agents or waiting, one ended, with last
    messages out of creation order."""
    await add(ctx, "amir", ALL, capacity_=3)
    await add(ctx, "bea", ALL, capacity_=2)
    ids: dict[str, int] = {}
    for i, name in enumerate(CUSTOMERS):
        clock.advance(minutes=5)
        r = await conversations.inbound(ctx, name, CHANNELS[i % 4], f"hi from {name}")
        ids[name] = r.session_id
    await routing.route(ctx)  # five of the eight get an owner, the rest wait
    for name in ("Abe", "Gil", "Cara"):  # newer messages on older sessions
        clock.advance(minutes=1)
        await conversations.inbound(ctx, name, CHANNELS[CUSTOMERS.index(name) % 4], "again")
    owned = await listing.list_sessions(ctx, SessionFilter(statuses=("Active",)), limit=100)
    first = owned.rows[0]
    clock.advance(minutes=1)
    await ending.end_session(ctx, first.owner or "", first.id, Surface.CONVERSATION)
    return ids


def expected_key(key: str) -> Callable[[SessionRow], Any]:
    """The order the list promises, computed here independently of the service."""
    value: dict[str, Callable[[SessionRow], Any]] = {
        "created": lambda r: r.created_at,
        "last_message": lambda r: r.last_message_at or r.created_at,
        "status": lambda r: r.status,
        "channel": lambda r: r.channel,
        "owner": lambda r: r.owner or "",
        "customer": lambda r: r.customer,
    }
    return lambda r: (value[key](r), r.id)


async def every_page(ctx: Ctx, flt: SessionFilter, sort: Sort, limit: int) -> list[int]:
    ids: list[int] = []
    page = await listing.list_sessions(ctx, flt, sort=sort, limit=limit)
    ids += [r.id for r in page.rows]
    while page.next_cursor is not None:
        page = await listing.list_sessions(
            ctx, flt, sort=sort, limit=limit, cursor=page.next_cursor
        )
        ids += [r.id for r in page.rows]
        assert len(ids) < 100, "paging does not end"
    return ids


@pytest.mark.parametrize("key", list(SORT_LABELS))
@pytest.mark.parametrize("descending", [False, True])
async def test_r3_every_sort_is_a_total_order_and_keyset_pages_follow_it(
    ctx: Ctx, clock: FakeClock, key: str, descending: bool
) -> None:
    await world(ctx, clock)
    sort = Sort(key, descending)  # type: ignore[arg-type]
    everything = await listing.list_sessions(ctx, sort=sort, limit=1000)
    want = sorted(everything.rows, key=expected_key(key), reverse=descending)
    assert [r.id for r in everything.rows] == [r.id for r in want]
    assert everything.next_cursor is None
    # Pages of 2 and 3 give the same rows in the same order: nothing skipped or repeated.
    for limit in (2, 3):
        assert await every_page(ctx, SessionFilter(), sort, limit) == [r.id for r in want]


async def test_r3_sorted_pages_with_a_filter(ctx: Ctx, clock: FakeClock) -> None:
    await world(ctx, clock)
    flt = SessionFilter(statuses=("Active", "Waiting"))
    for key in SORT_LABELS:
        sort = Sort(key)  # type: ignore[arg-type]
        ids = await every_page(ctx, flt, sort, 2)
        rows = (await listing.list_sessions(ctx, flt, sort=sort, limit=100)).rows
        assert ids == [r.id for r in rows]
        assert {r.status for r in rows} <= {"Active", "Waiting"}
        assert len(ids) == await listing.count_sessions(ctx, flt)


async def test_newest_and_oldest_orders_keep_the_after_id_paging(
    ctx: Ctx, clock: FakeClock
) -> None:
    ids = await world(ctx, clock)
    newest = await listing.list_sessions(ctx, limit=3, order="newest")
    assert [r.customer for r in newest.rows] == ["Hal", "Gil", "Fay"]
    nxt = await listing.list_sessions(ctx, limit=3, order="newest", after=newest.next_after)
    assert [r.customer for r in nxt.rows] == ["Bo", "Dov", "Eve"]
    oldest = await listing.list_sessions(ctx, limit=2, order="oldest", after=ids["Cara"])
    assert [r.customer for r in oldest.rows] == ["Abe", "Eve"]
    with pytest.raises(ValueError, match="cursor"):
        await listing.list_sessions(ctx, sort=Sort("customer"), after=ids["Cara"])


async def test_filters_by_status_channel_owner_age_and_the_count(
    ctx: Ctx, clock: FakeClock
) -> None:
    ids = await world(ctx, clock)

    async def names(flt: SessionFilter) -> set[str]:
        rows = (await listing.list_sessions(ctx, flt, limit=100)).rows
        assert len(rows) == await listing.count_sessions(ctx, flt)
        return {r.customer for r in rows}

    assert await names(SessionFilter()) == set(CUSTOMERS)
    assert await names(SessionFilter(channels=(STANDARD,))) == {"Cara", "Bo"}
    waiting = await names(SessionFilter(statuses=("Waiting",)))
    assert len(waiting) == 3
    assert await names(SessionFilter(statuses=("Ended",))) == await names(
        SessionFilter(statuses=("Ended",), tab_open=True)
    )
    amir = await names(SessionFilter(owner="amir"))
    assert amir and amir.isdisjoint(waiting)
    assert await names(SessionFilter(unassigned=True)) == waiting
    # Ages: one customer every 5 min, the clock 4 min past the last (Hal is 4 min old).
    assert await names(SessionFilter(max_age=timedelta(minutes=10))) == {"Hal", "Gil"}
    assert await names(SessionFilter(min_age=timedelta(minutes=33))) == {"Cara", "Abe"}
    # All matching except some; and only ids up to one (a frozen preview).
    assert await names(SessionFilter(exclude_ids=(ids["Cara"], ids["Hal"]))) == set(CUSTOMERS) - {
        "Cara",
        "Hal",
    }
    assert await names(SessionFilter(upto_id=ids["Abe"])) == {"Cara", "Abe"}
    assert await names(SessionFilter(ids=(ids["Eve"], ids["Bo"]))) == {"Eve", "Bo"}


async def test_tab_open_filter_finds_ended_tabs_still_open(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    s1 = await assigned(ctx, "dana", STANDARD, "c1")
    s2 = await assigned(ctx, "dana", STANDARD, "c2")
    s3 = await assigned(ctx, "dana", STANDARD, "c3")
    await ending.end_sessions(ctx, "dana", [s1, s2], Surface.CONVERSATION)
    await conversations.close_tab(ctx, "dana", s1)
    ended = SessionFilter(owner="dana", statuses=("Ended",))
    open_tabs = await listing.list_sessions(ctx, SessionFilter(owner="dana", tab_open=True))
    assert [r.id for r in open_tabs.rows] == [s3, s2]
    got = await listing.list_sessions(ctx, SessionFilter(**{**vars(ended), "tab_open": True}))
    assert [r.id for r in got.rows] == [s2]
    closed = SessionFilter(owner="dana", tab_open=False)
    assert await listing.count_sessions(ctx, closed) == 1


def test_frozen_filter_turns_ages_into_times(clock: FakeClock) -> None:
    now = clock.now
    flt = SessionFilter(
        statuses=("Waiting",), min_age=timedelta(hours=1), max_age=timedelta(days=2)
    )
    frozen = listing.frozen_filter(flt, now, 42)
    assert (frozen.min_age, frozen.max_age, frozen.upto_id) == (None, None, 42)
    assert frozen.created_before == now - timedelta(hours=1)
    assert frozen.created_after == now - timedelta(days=2)
    assert frozen.statuses == ("Waiting",)


# Row menu (R3, R4) -----------------------------------------------------------------------------


async def test_r3_row_menu_has_end_session_only_on_standard_channels(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    std = await assigned(ctx, "dana", STANDARD, "c1")
    enh = await assigned(ctx, "dana", ENHANCED_MSG, "c2")
    menu = await listing.row_menu(ctx, std, as_agent="dana")
    assert menu.end_session is not None
    assert (menu.end_session.allowed, menu.end_session.reason) == (True, "")
    enhanced = await listing.row_menu(ctx, enh, as_agent="dana")
    assert enhanced.end_session is None
    assert "standard" in enhanced.absent_reason


async def test_r4_row_menu_end_session_unavailable_for_inactive_status_based(ctx: Ctx) -> None:
    await admin(ctx)
    await setting(ctx, "capacity_model", "status-based")
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await conversations.mark_inactive(ctx, "dana", sid)
    menu = await listing.row_menu(ctx, sid, as_agent="dana")
    assert menu.end_session is not None
    assert (menu.end_session.allowed, menu.end_session.reason) == (False, INACTIVE_LIST)


# Bulk End Sessions as counts and pages (R11) ---------------------------------------------------


async def test_r11_preview_counts_and_lines_then_the_run_and_its_results(
    ctx: Ctx, clock: FakeClock
) -> None:
    await world(ctx, clock)
    await add(ctx, "dana", ALL, online=False)
    flt = SessionFilter()  # everything: one ended (skip), the rest will end
    summary = await bulk.preview_selection(ctx, "dana", Selection(flt=flt))
    assert (summary.total, summary.will_end, summary.will_skip) == (8, 7, 1)
    assert [(c.will, c.reason, c.count) for c in summary.counts] == [
        ("end", "", 7),
        ("skip", "already ended", 1),
    ]
    lines = await bulk.preview_lines(ctx, "dana", summary.selection, limit=100)
    texts = {line.customer: line.text for line in lines.lines}
    ended = [line for line in lines.lines if line.outcome == "skip"]
    assert len(ended) == 1 and ended[0].text.startswith("will skip: already ended by ")
    assert sum(1 for t in texts.values() if t == "will end") == 7

    # A session created after the preview is not in what the agent confirms.
    clock.advance(minutes=1)
    late = await conversations.inbound(ctx, "Ivy", STANDARD, "late")
    bulk_id = await bulk.start_selection(ctx, "dana", summary.selection)
    progress: list[tuple[int, int]] = []
    report = await bulk.run_bulk(
        ctx, bulk_id, chunk=3, progress=lambda d, t: progress.append((d, t))
    )
    assert (report.total, report.ended, report.skipped) == (8, 7, 1)
    assert progress[-1] == (8, 8) and len(progress) == 3
    late_row = (await listing.show_session(ctx, late.session_id)).session
    assert late_row.status == "Waiting"

    counts = await bulk.result_counts(ctx, bulk_id)
    assert sum(c.count for c in counts if c.will == "ended") == 7
    assert [(c.will, c.reason, c.count) for c in counts if c.will == "skipped"] == [
        ("skipped", "already ended", 1)
    ]
    first = await bulk.result_lines(ctx, bulk_id, limit=5)
    assert len(first.lines) == 5 and first.next_cursor is not None
    rest = await bulk.result_lines(ctx, bulk_id, cursor=first.next_cursor, limit=5)
    assert len(rest.lines) == 3 and rest.next_cursor is None
    all_lines = first.lines + rest.lines
    assert [line.session_id for line in all_lines] == [r.session_id for r in report.results]
    skipped = [line for line in all_lines if line.outcome == "skipped"]
    assert skipped[0].text.startswith("skipped: already ended by ")
    assert all(line.text.startswith("ended") for line in all_lines if line.outcome == "ended")
    await consistent(ctx)


async def test_r11_preview_of_picked_ids_names_missing_and_refused_rows(
    ctx: Ctx, clock: FakeClock
) -> None:
    ids = await world(ctx, clock)
    await add(ctx, "dana", ("messaging_agent",), online=False)  # no list permission
    picked = Selection(ids=(ids["Cara"], 999_999))
    summary = await bulk.preview_selection(ctx, "dana", picked)
    assert (summary.total, summary.will_end, summary.will_skip) == (2, 0, 2)
    assert {(c.reason, c.count) for c in summary.counts} == {
        ("missing permission end_messaging_session", 1),
        ("no such session", 1),
    }
    lines = await bulk.preview_lines(ctx, "dana", summary.selection)
    assert [line.text for line in lines.lines] == [
        "will skip: missing permission end_messaging_session"
    ]


def test_outcome_text_and_reason_kinds() -> None:
    text = bulk.outcome_text
    assert text("end", "") == "will end"
    assert text("skip", "already ended by dana at 10:42 from list") == (
        "will skip: already ended by dana at 10:42 from list"
    )
    assert text("skipped", "x") == "skipped: x"
    assert text("ended", "ended; 1 unit freed") == "ended; 1 unit freed"
    group = bulk.reason_group
    assert group("skip", "already ended by dana at 10:42 from list") == "already ended"
    assert group("skip", "agents may not end sessions: setting is off") == (
        "agents may not end sessions"
    )
    assert group("ended", "ended; close the tab to free capacity (2 units held)") == (
        "ended; close the tab to free capacity"
    )
    assert group("ended", "ended; 3 units freed") == "ended; units freed"


def test_an_empty_id_selection_matches_nothing() -> None:
    assert Selection(ids=()).as_filter().ids == (-1,)


async def test_sort_by_last_message_pages_across_equal_times(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "amir", ALL)
    for name in ("A", "B", "C", "D", "E"):  # same clock: every last message is equal
        await conversations.inbound(ctx, f"Same {name}", STANDARD, "hi")
    sort = Sort("last_message", descending=True)
    ids = await every_page(ctx, SessionFilter(), sort, 2)
    assert ids == sorted(ids, reverse=True)
    when: datetime = clock.now
    rows = (await listing.list_sessions(ctx, sort=sort)).rows
    assert {r.last_message_at for r in rows} == {when}


async def test_r11_grouped_preview_agrees_with_the_per_row_preview(
    ctx: Ctx, clock: FakeClock
) -> None:
    """The counts decide each group of alike rows once; the per-row preview decides every row:
    both must say the same, for an agent with and without the list permission."""
    await world(ctx, clock)
    await admin(ctx)
    await setting(ctx, "capacity_model", "status-based")
    await add(ctx, "dana", ALL, capacity_=5)
    sid = await conversations.outbound(ctx, "dana", "Quiet", STANDARD, "there?")
    await conversations.mark_inactive(ctx, "dana", sid.session_id)
    await add(ctx, "sam", ("messaging_agent",), online=False)
    for agent in ("dana", "sam"):
        for flt in (SessionFilter(), SessionFilter(statuses=("Active", "Inactive"))):
            summary = await bulk.preview_selection(ctx, agent, Selection(flt=flt))
            rows = await bulk.preview_bulk(ctx, agent, flt=flt)
            expected: dict[tuple[str, str], int] = {}
            for r in rows.rows:
                key = (r.will, "" if r.will == "end" else bulk.reason_group(r.will, r.reason))
                expected[key] = expected.get(key, 0) + 1
            assert {(c.will, c.reason): c.count for c in summary.counts} == expected
            assert (summary.total, summary.will_end) == (rows.total, rows.will_end)

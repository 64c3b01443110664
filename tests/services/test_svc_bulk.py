"""R11: bulk End Sessions previews and reports every row as ended or skipped with its reason;
one bad row never blocks the others; running again never ends anything twice; an
interrupted operation resumes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from svc_support import (
    ALL,
    ENHANCED_MSG,
    INACTIVE_LIST,
    LIST,
    MSG,
    SETTING_OFF,
    STANDARD,
    STANDARD_FB,
    add,
    admin,
    assert_not_ended,
    assigned,
    consistent,
    end_lines,
    setting,
    show,
    statuses,
)

from agent_console.services import bulk, conversations
from agent_console.services.context import Ctx
from agent_console.services.listing import SessionFilter
from conftest import FakeClock

UNKNOWN = 999_999


async def _mixed(ctx: Ctx, clock: FakeClock) -> dict[str, int]:
    """Two endable sessions, one Inactive (status-based), one ended by dana at 10:42 from
    the list, and an id that does not exist."""
    await admin(ctx)
    await setting(ctx, f"channel.{STANDARD_FB}.capacity_model", "status-based")
    await add(ctx, "dana", ALL)
    s = {
        "ok1": await assigned(ctx, "dana", STANDARD, "c1"),
        "inactive": await assigned(ctx, "dana", STANDARD_FB, "c2"),
        "done": await assigned(ctx, "dana", STANDARD, "c3"),
        "ok2": await assigned(ctx, "dana", ENHANCED_MSG, "c4"),
        "unknown": UNKNOWN,
    }
    await conversations.mark_inactive(ctx, "dana", s["inactive"])
    clock.now = clock.now.replace(hour=10, minute=42)
    first = await bulk.bulk_end(ctx, "dana", ids=[s["done"]])
    assert [r.result for r in first.results] == ["ended"]
    clock.advance(minutes=7)
    return s


ALREADY = "already ended by dana on 23 Nov 2026 at 10:42 UTC from the list"


async def test_r11_bulk_preview_lists_every_row_and_writes_nothing(
    ctx: Ctx, clock: FakeClock
) -> None:
    s = await _mixed(ctx, clock)
    ids = [s["ok1"], s["inactive"], s["done"], s["unknown"], s["ok2"]]
    before = {k: await show(ctx, v) for k, v in s.items() if k != "unknown"}

    preview = await bulk.preview_bulk(ctx, "dana", ids=ids)

    assert [(r.session_id, r.will, r.reason) for r in preview.rows] == [
        (s["ok1"], "end", ""),
        (s["inactive"], "skip", INACTIVE_LIST),
        (s["done"], "skip", ALREADY),
        (UNKNOWN, "skip", f"no session S-{UNKNOWN}"),
        (s["ok2"], "end", ""),
    ]
    assert (preview.total, preview.will_end, preview.will_skip) == (5, 2, 3)
    assert {k: await show(ctx, v) for k, v in s.items() if k != "unknown"} == before
    assert await bulk.unfinished_bulks(ctx) == []
    await consistent(ctx)


async def test_r11_bulk_results_per_row_one_bad_row_blocks_nothing(
    ctx: Ctx, clock: FakeClock
) -> None:
    s = await _mixed(ctx, clock)
    ids = [s["ok1"], s["inactive"], s["done"], s["unknown"], s["ok2"]]
    done_before = await show(ctx, s["done"])

    report = await bulk.bulk_end(ctx, "dana", ids=ids)

    rows = [(r.session_id, r.result, r.reason) for r in report.results]
    assert rows[1:4] == [
        (s["inactive"], "skipped", INACTIVE_LIST),
        (s["done"], "skipped", ALREADY),
        (UNKNOWN, "skipped", f"no session S-{UNKNOWN}"),
    ]
    assert [r[:2] for r in (rows[0], rows[4])] == [(s["ok1"], "ended"), (s["ok2"], "ended")]
    assert "close the tab to free capacity" in rows[0][2]
    assert (report.status, report.total, report.ended, report.skipped, report.pending) == (
        "completed",
        5,
        2,
        3,
        0,
    )
    assert await statuses(ctx, s["ok1"], s["ok2"]) == ["Ended", "Ended"]
    await assert_not_ended(ctx, s["inactive"], status="Inactive", owner="dana")
    assert await show(ctx, s["done"]) == done_before
    for k in ("ok1", "ok2"):
        d = await show(ctx, s[k])
        assert d.end is not None and d.end.bulk_id == report.bulk_id
    await consistent(ctx)


async def test_r11_not_permitted_rows_are_skipped_with_the_reason(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    s1 = await assigned(ctx, "dana", STANDARD, "c1")
    s2 = await assigned(ctx, "dana", ENHANCED_MSG, "c2")
    await add(ctx, "mo", MSG, online=False)  # no end_messaging_session

    report = await bulk.bulk_end(ctx, "mo", ids=[s1, s2])

    assert [(r.session_id, r.result, r.reason) for r in report.results] == [
        (s1, "skipped", "missing permission end_messaging_session"),
        (s2, "skipped", "missing permission end_messaging_session"),
    ]
    assert (report.ended, report.skipped) == (0, 2)
    for sid in (s1, s2):
        await assert_not_ended(ctx, sid, owner="dana")
    await consistent(ctx)


async def test_r11_setting_off_rows_are_skipped_with_the_reason(ctx: Ctx) -> None:
    await admin(ctx)
    await add(ctx, "dana", ALL)
    s1 = await assigned(ctx, "dana", STANDARD, "c1")
    await setting(ctx, "agents_can_end", "off")
    report = await bulk.bulk_end(ctx, "dana", ids=[s1, UNKNOWN])
    assert [(r.result, r.reason) for r in report.results] == [
        ("skipped", SETTING_OFF),
        ("skipped", f"no session S-{UNKNOWN}"),
    ]
    await assert_not_ended(ctx, s1, owner="dana")
    await consistent(ctx)


async def test_r11_run_bulk_again_ends_nothing_twice(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    ids = [await assigned(ctx, "dana", STANDARD, f"c{i}") for i in range(3)]
    first = await bulk.bulk_end(ctx, "dana", ids=[*ids, UNKNOWN])
    assert (first.ended, first.skipped) == (3, 1)
    details = [await show(ctx, i) for i in ids]
    clock.advance(minutes=5)

    again = await bulk.run_bulk(ctx, first.bulk_id)

    assert again == first
    assert [await show(ctx, i) for i in ids] == details
    for d in details:
        assert len(end_lines(d)) == 1
    # A new operation over the same rows skips every one of them with who/when/where.
    second = await bulk.bulk_end(ctx, "dana", ids=ids)
    ended = details[0].session.ended_at
    assert ended is not None
    when = f"{ended.day} {ended:%b %Y} at {ended:%H:%M} UTC"
    assert [(r.result, r.reason) for r in second.results] == [
        ("skipped", f"already ended by dana on {when} from the list")
    ] * 3
    assert (second.ended, second.skipped) == (0, 3)
    assert [await show(ctx, i) for i in ids] == details
    await consistent(ctx)


async def test_r11_start_bulk_then_run_bulk(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    ids = [await assigned(ctx, "dana", STANDARD, f"c{i}") for i in range(3)]

    bulk_id = await bulk.start_bulk(ctx, "dana", ids=ids)

    pending = await bulk.bulk_report(ctx, bulk_id)
    assert (pending.status, pending.total, pending.ended, pending.pending) == ("running", 3, 0, 3)
    assert await statuses(ctx, *ids) == ["Active"] * 3  # nothing ends until it runs
    assert [u.bulk_id for u in await bulk.unfinished_bulks(ctx)] == [bulk_id]
    await consistent(ctx)

    report = await bulk.run_bulk(ctx, bulk_id)

    assert (report.status, report.ended, report.pending) == ("completed", 3, 0)
    assert await statuses(ctx, *ids) == ["Ended"] * 3
    assert await bulk.unfinished_bulks(ctx) == []
    await consistent(ctx)


class Crash(Exception):
    pass


async def test_r11_interrupted_bulk_resumes_where_it_stopped(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL, capacity_=10)
    ids = [await assigned(ctx, "dana", STANDARD, f"c{i}") for i in range(5)]
    bulk_id = await bulk.start_bulk(ctx, "dana", ids=ids)

    def crash_after_first_chunk(done: int, total: int) -> None:
        raise Crash(f"{done}/{total}")

    with pytest.raises(Crash, match="2/5"):
        await bulk.run_bulk(ctx, bulk_id, chunk=2, progress=crash_after_first_chunk)

    # The first chunk is complete, the rest untouched: nothing half-ended.
    assert await statuses(ctx, *ids) == ["Ended", "Ended", "Active", "Active", "Active"]
    mid = await bulk.bulk_report(ctx, bulk_id)
    assert (mid.ended, mid.skipped, mid.pending) == (2, 0, 3)
    await consistent(ctx)
    clock.advance(seconds=31)
    [stale] = await bulk.unfinished_bulks(ctx)
    assert (stale.bulk_id, stale.status, stale.pending) == (bulk_id, "interrupted", 3)

    seen: list[tuple[int, int]] = []
    report = await bulk.run_bulk(ctx, bulk_id, chunk=2, progress=lambda d, t: seen.append((d, t)))

    assert seen == [(4, 5), (5, 5)]
    assert (report.status, report.total, report.ended, report.skipped, report.pending) == (
        "completed",
        5,
        5,
        0,
        0,
    )
    assert [r.session_id for r in report.results] == ids
    assert await statuses(ctx, *ids) == ["Ended"] * 5
    for sid in ids:
        d = await show(ctx, sid)
        assert len(end_lines(d)) == 1 and d.end is not None and d.end.bulk_id == bulk_id
    assert await bulk.unfinished_bulks(ctx) == []
    await consistent(ctx)


async def test_r11_a_stopped_bulk_is_interrupted_and_resumes(ctx: Ctx, clock: FakeClock) -> None:
    """``stop`` (the console quitting) ends the run between two chunks: the operation is
    ``interrupted`` at once, listed for the agent who started it only, and resumes."""
    await add(ctx, "dana", ALL, capacity_=10)
    ids = [await assigned(ctx, "dana", STANDARD, f"c{i}") for i in range(5)]
    await add(ctx, "erin", ALL, capacity_=10)
    bulk_id = await bulk.start_bulk(ctx, "dana", ids=ids)
    chunks: list[int] = []

    stopped = await bulk.run_bulk(
        ctx, bulk_id, chunk=2, progress=lambda d, t: chunks.append(d), stop=lambda: bool(chunks)
    )

    assert chunks == [2]
    assert (stopped.status, stopped.ended, stopped.pending) == ("interrupted", 2, 3)
    assert stopped.started_at == clock.now
    assert await statuses(ctx, *ids) == ["Ended", "Ended", "Active", "Active", "Active"]
    assert [r.bulk_id for r in await bulk.unfinished_bulks(ctx, "dana")] == [bulk_id]
    assert await bulk.unfinished_bulks(ctx, "erin") == []
    await consistent(ctx)

    report = await bulk.run_bulk(ctx, bulk_id, chunk=2)
    assert (report.status, report.ended, report.pending) == ("completed", 5, 0)
    assert await bulk.unfinished_bulks(ctx, "dana") == []


async def test_r11_bulk_over_a_filter_freezes_the_selection(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    s1 = await assigned(ctx, "dana", STANDARD, "c1")
    s2 = await assigned(ctx, "dana", STANDARD, "c2")
    bulk_id = await bulk.start_bulk(ctx, "dana", flt=SessionFilter(statuses=("Active",)))
    clock.advance(minutes=1)
    late = await assigned(ctx, "dana", STANDARD, "c3")  # matches the filter, arrived later

    report = await bulk.run_bulk(ctx, bulk_id)

    assert [(r.session_id, r.result) for r in report.results] == [(s1, "ended"), (s2, "ended")]
    assert await statuses(ctx, s1, s2, late) == ["Ended", "Ended", "Active"]
    await consistent(ctx)


async def test_r11_bulk_in_chunks_reports_progress(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL, capacity_=10)
    ids = [await assigned(ctx, "dana", STANDARD, f"c{i}") for i in range(7)]
    seen: list[tuple[int, int]] = []
    report = await bulk.bulk_end(
        ctx, "dana", ids=ids, chunk=3, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(3, 7), (6, 7), (7, 7)]
    assert (report.ended, report.pending) == (7, 0)
    await consistent(ctx)


async def test_r11_bulk_needs_ids_or_a_filter(ctx: Ctx) -> None:
    from agent_console.domain.errors import Refused

    await add(ctx, "dana", LIST, online=False)
    with pytest.raises(Refused):
        await bulk.start_bulk(ctx, "dana")
    assert await bulk.unfinished_bulks(ctx) == []
    await consistent(ctx)


async def test_r11_stale_heartbeat_marks_interrupted(ctx: Ctx, clock: FakeClock) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    bulk_id = await bulk.start_bulk(ctx, "dana", ids=[sid])
    assert (await bulk.bulk_report(ctx, bulk_id)).status == "running"
    clock.advance(seconds=31)
    assert (await bulk.bulk_report(ctx, bulk_id)).status == "interrupted"
    clock.now -= timedelta(seconds=31)
    await bulk.run_bulk(ctx, bulk_id)
    assert (await bulk.bulk_report(ctx, bulk_id)).status == "completed"
    assert await statuses(ctx, sid) == ["Ended"]
    await consistent(ctx)

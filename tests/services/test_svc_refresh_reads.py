"""What a console refresh sends: on a floor under load each statement is a round trip that
waits its turn for a core, so a refresh reads nothing it can know is empty (issue 14).

A live session has no end record and no CSAT request (both are written when it ends: R12,
R9), so its detail does not ask for them; the detail's message count comes with the window of
newest messages; the tabs' needs ask for end records only when a tab is Ended. What an ended
session shows is unchanged."""

from __future__ import annotations

from svc_support import ALL, STANDARD, add, admin, assigned, setting, statements

from agent_console.domain.vocab import Surface
from agent_console.services import agents, conversations, ending, listing, reading, tabs
from agent_console.services.context import Ctx


def reads_of(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if f"FROM {table}" in " ".join(s.split())]


async def test_a_live_sessions_detail_reads_no_end_record_or_csat_and_counts_in_the_window(
    ctx: Ctx,
) -> None:
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    for i in range(4):
        await conversations.inbound(ctx, "cara", STANDARD, f"line {i}")
    await listing.show_session(ctx, sid, as_agent="dana")  # a warm connection
    with statements(ctx) as seen:
        detail = await listing.show_session(ctx, sid, as_agent="dana", message_limit=2)
    assert detail.end is None and detail.csat_requests == []
    assert detail.messages_total == 5 and len(detail.messages) == 2
    assert reads_of(seen, "end_records") == [] and reads_of(seen, "csat_requests") == []
    counts = [s for s in seen if "count(" in s and "FROM messages" in " ".join(s.split())]
    assert len(counts) == 1 and "LIMIT" in counts[0]  # the count rides on the window's read

    # The row menu asks for no message at all: the count is read on its own.
    with statements(ctx) as alone:
        menu = await listing.show_session(ctx, sid, as_agent="dana", message_limit=0)
    assert menu.messages == [] and menu.messages_total == 5
    assert len(reads_of(alone, "messages")) == 1


async def test_an_ended_sessions_detail_still_shows_its_end_and_csat_request(ctx: Ctx) -> None:
    await admin(ctx)
    await setting(ctx, "csat_on_agent_end", "on")
    await add(ctx, "dana", ALL)
    sid = await assigned(ctx, "dana", STANDARD)
    await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)
    detail = await listing.show_session(ctx, sid, as_agent="dana")
    assert detail.end is not None and (detail.end.actor_kind, detail.end.actor) == (
        "agent",
        "dana",
    )
    assert [c.requested_by for c in detail.csat_requests] == ["dana"]
    assert detail.messages_total == len(detail.messages) == 2  # the line and the end line


async def test_the_tabs_needs_read_end_records_only_when_a_tab_has_ended(ctx: Ctx) -> None:
    await add(ctx, "dana", ALL)
    live = await assigned(ctx, "dana", STANDARD, customer="cara")
    ended = await assigned(ctx, "dana", STANDARD, customer="dev")
    me = (await agents.get_agent(ctx, "dana")).id

    rows = [r for r in await tabs.agent_tabs(ctx, me) if r.id == live]
    with statements(ctx) as seen:
        needs = await reading.needs_of_rows(ctx, "dana", rows)
    assert reads_of(seen, "end_records") == []
    assert needs[live].end_actor is None

    await ending.end_session(ctx, "dana", ended, Surface.CONVERSATION)
    rows = await tabs.agent_tabs(ctx, me)
    assert {r.id for r in rows} == {live, ended}  # the ended one keeps its tab
    with statements(ctx) as seen:
        needs = await reading.needs_of_rows(ctx, "dana", rows)
    assert len(reads_of(seen, "end_records")) == 1
    assert (needs[ended].ended_by_me, needs[ended].end_actor) == (True, "dana")
    assert needs[live].end_actor is None

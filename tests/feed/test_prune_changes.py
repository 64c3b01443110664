"""The change feed is cut to its newest rows (services/changes.py ``prune_changes``); a console
whose cursor was before the cut resyncs instead of missing what was deleted, and one that
had read past it goes on as before."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from agent_console.domain.feed import ChangeKind, Interest
from agent_console.services import agents, conversations
from agent_console.services.change_feed import ChangeFeed
from agent_console.services.changes import prune_changes
from agent_console.services.context import Ctx
from agent_console.store.models import Change

PERMS = ["messaging_agent"]


async def _changes(ctx: Ctx) -> list[tuple[int, str]]:
    async with ctx.db.read() as conn:
        rows = await conn.execute(select(Change.seq, Change.kind).order_by(Change.seq))
        return [(int(s), str(k)) for s, k in rows.all()]


async def _inbound(ctx: Ctx, n: int) -> None:
    for i in range(n):
        await conversations.inbound(ctx, f"c{i}", "standard_sms", "hi")


async def test_prune_keeps_the_newest_and_leaves_a_marker_at_the_cut(ctx: Ctx) -> None:
    await _inbound(ctx, 12)
    before = await _changes(ctx)
    top = before[-1][0]
    assert await prune_changes(ctx, keep=5) == len([s for s, _ in before if s <= top - 5])
    after = await _changes(ctx)
    assert after[0] == (top - 5, ChangeKind.PRUNED.value)
    assert after[1:] == [row for row in before if row[0] > top - 5]
    assert await prune_changes(ctx, keep=5) == 0  # nothing older than the cut is left
    assert await prune_changes(ctx, keep=100) == 0
    with pytest.raises(ValueError):
        await prune_changes(ctx, keep=0)


async def test_a_console_behind_the_cut_resyncs_and_one_past_it_does_not(ctx: Ctx) -> None:
    await agents.add_agent(ctx, "ann", permissions=PERMS)
    interest = Interest(agent_id=None, any_session=True)
    behind, ahead = ChangeFeed(ctx), ChangeFeed(ctx)
    try:
        for feed in (behind, ahead):
            assert (await feed.poll(interest)).resync  # the first poll
        await _inbound(ctx, 6)
        news = await ahead.poll(interest)
        assert len(news.touches) == 6 and not news.resync
        await _inbound(ctx, 4)
        await prune_changes(ctx, keep=4)  # the cut: the last change `ahead` read
        assert (await behind.poll(interest)).resync
        news = await ahead.poll(interest)  # it had read past the cut: the last 4, as usual
        assert len(news.touches) == 4
        assert not news.resync
    finally:
        for feed in (behind, ahead):
            await feed.close()


async def test_two_pruners_at_once_cut_once(ctx: Ctx) -> None:
    await _inbound(ctx, 20)
    results = await asyncio.gather(*(prune_changes(ctx, keep=4) for _ in range(3)))
    assert sum(1 for r in results if r) >= 1
    rows = await _changes(ctx)
    assert [k for _, k in rows].count(ChangeKind.PRUNED.value) == 1
    async with ctx.db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(Change)) == 5

"""Channel messages stored in batches (the gateway's group commit), on SQLite and PostgreSQL:
every message gets its own outcome, in order; a customer's messages of one batch share one
session; retries and twins are stored once; one bad message never blocks the others."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event
from svc_support import ALL, add, admin

from agent_console.domain.errors import Fault, NotFound, StoreError
from agent_console.services import channels, check, conversations, listing, routing
from agent_console.services.channels import ChannelMessage, Conflict
from agent_console.services.context import Ctx
from agent_console.services.inbound_batch import InboundBatcher
from agent_console.services.runtime import open_ctx
from agent_console.services.views import ReceiveResult

SMS = "standard_sms"
WA = "enhanced_whatsapp"


def msg(mid: str, ref: str, text: str = "hi", name: str = "", channel: str = SMS) -> ChannelMessage:
    return ChannelMessage(channel, mid, ref, name or f"Customer {ref}", text)


async def _ready(ctx: Ctx) -> None:
    await admin(ctx)
    await channels.connect(ctx, SMS, "http://127.0.0.1:9/x", admin="root")


async def _texts(ctx: Ctx, session_id: int) -> list[str]:
    return [m.text for m in (await listing.show_session(ctx, session_id)).messages]


async def test_one_batch_many_outcomes_in_order(ctx: Ctx) -> None:
    await _ready(ctx)
    earlier = await channels.receive(ctx, SMS, "old-1", "+9", "Nine", "before the batch")
    batch = [
        msg("a1", "+1", "first from one"),
        msg("b1", "+2", "first from two"),
        msg("a2", "+1", "second from one"),  # joins the session a1 starts in this batch
        msg("a1", "+1", "first from one"),  # the same id again in the batch: a retry
        msg("a1", "+1", "changed text"),  # the same id with another text: a conflict
        msg("old-1", "+9", "before the batch"),  # stored by an earlier request: a retry
        msg("c1", "+3", channel=WA),  # a channel that is not connected
        msg("", "+4"),  # no message id: refused before anything is stored
        msg("n1", "+9", "Nine writes again"),  # joins Nine's session from before
    ]
    out = await channels.receive_many(ctx, batch)
    a1, b1, a2, again, conflict, old, unconnected, bad, nine = out
    assert isinstance(a1, ReceiveResult) and a1.new_session and not a1.replayed
    assert isinstance(b1, ReceiveResult) and b1.new_session and b1.session_id != a1.session_id
    assert isinstance(a2, ReceiveResult) and a2.session_id == a1.session_id
    assert not a2.new_session and a2.status == "Waiting"
    assert isinstance(again, ReceiveResult) and again.replayed
    assert again.session_id == a1.session_id
    assert isinstance(conflict, Conflict)
    assert isinstance(old, ReceiveResult) and old.replayed
    assert old.session_id == earlier.session_id
    assert isinstance(unconnected, NotFound) and "not connected" in str(unconnected)
    assert isinstance(bad, ValueError) and "message_id" in str(bad)
    assert isinstance(nine, ReceiveResult) and nine.session_id == earlier.session_id
    assert await _texts(ctx, a1.session_id) == ["first from one", "second from one"]
    assert await _texts(ctx, earlier.session_id) == ["before the batch", "Nine writes again"]
    assert await check.check(ctx) == []


async def test_an_inactive_session_comes_back_in_a_batch_and_takes_its_units(ctx: Ctx) -> None:
    await _ready(ctx)
    await add(ctx, "erin", ALL, capacity_=3)
    from svc_support import setting

    await setting(ctx, "capacity_model", "status-based")
    first = await channels.receive(ctx, SMS, "m1", "+1", "Ann", "hello")
    await routing.route(ctx)
    await conversations.mark_inactive(ctx, "erin", first.session_id)
    out = await channels.receive_many(ctx, [msg("m2", "+1", "back"), msg("m3", "+1", "again")])
    assert [o.status for o in out if isinstance(o, ReceiveResult)] == ["Active", "Active"]
    detail = await listing.show_session(ctx, first.session_id)
    assert detail.session.units_held == 1 and detail.session.status == "Active"
    assert await check.check(ctx) == []


async def test_concurrent_requests_are_written_in_few_transactions(ctx: Ctx) -> None:
    await _ready(ctx)
    batcher = InboundBatcher(ctx)
    try:
        outcomes = await asyncio.gather(
            *(batcher.submit(msg(f"m{i}", f"+{i % 40}", f"line {i}")) for i in range(200))
        )
    finally:
        await batcher.stop()
    assert all(isinstance(o, ReceiveResult) for o in outcomes)
    assert batcher.messages == 200 and batcher.batches < 20
    sessions = {o.session_id for o in outcomes if isinstance(o, ReceiveResult)}
    assert len(sessions) == 40
    assert await check.check(ctx) == []


async def test_a_batch_the_database_refuses_is_written_one_by_one(
    ctx: Ctx, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One message that breaks its batch's transaction fails alone; the rest are stored."""
    await _ready(ctx)
    real = channels.receive_many

    async def poisoned(c: Ctx, messages: list[ChannelMessage]) -> list[Any]:
        if any(m.text == "poison" for m in messages):
            raise StoreError("database error on ...: a constraint failed")
        return await real(c, messages)

    monkeypatch.setattr(channels, "receive_many", poisoned)
    batcher = InboundBatcher(ctx)
    try:
        # All queued before the writer runs: they form one batch.
        outcomes = await asyncio.gather(
            *(batcher.submit(msg(f"m{i}", f"+{i}", t))
              for i, t in enumerate(["fine", "poison", "also fine"]))
        )  # fmt: skip
    finally:
        await batcher.stop()
    ok, bad, ok2 = outcomes
    assert isinstance(ok, ReceiveResult) and isinstance(ok2, ReceiveResult)
    assert isinstance(bad, StoreError)
    assert batcher.batches == 1  # the three were one batch, then written one by one


async def test_a_batch_whose_connection_was_lost_is_tried_again(
    ctx: Ctx, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _ready(ctx)
    real = channels.receive_many
    calls = 0

    async def once_lost(c: Ctx, messages: list[ChannelMessage]) -> list[Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise StoreError(
                "lost the connection to PostgreSQL at ...; try again", fault=Fault.LOST
            )
        return await real(c, messages)

    monkeypatch.setattr(channels, "receive_many", once_lost)
    batcher = InboundBatcher(ctx)
    try:
        outcome = await batcher.submit(msg("m1", "+1"))
    finally:
        await batcher.stop()
    assert isinstance(outcome, ReceiveResult) and calls == 2


async def test_two_gateways_at_once_store_each_message_once(ctx: Ctx, db_url: str) -> None:
    """Two processes' batchers (two engines on one database) with overlapping customers and
    the same message ids (a provider retrying on the other gateway): no deadlock, each
    message stored once, each customer one session."""
    await _ready(ctx)
    other = await open_ctx(db_url)
    one, two = InboundBatcher(ctx), InboundBatcher(other)
    messages = [msg(f"m{i}", f"+{i % 30}", f"line {i}") for i in range(150)]
    try:
        outcomes = await asyncio.gather(
            *(one.submit(m) for m in messages), *(two.submit(m) for m in reversed(messages))
        )
    finally:
        await one.stop()
        await two.stop()
        await other.db.dispose()
    assert all(isinstance(o, ReceiveResult) for o in outcomes), outcomes
    firsts = [o for o in outcomes if isinstance(o, ReceiveResult) and not o.replayed]
    assert len(firsts) == 150  # each message stored by exactly one of them
    assert len({o.session_id for o in firsts}) == 30
    assert await check.check(ctx) == []


async def test_new_sessions_are_inserted_by_a_statement_compiled_once(ctx: Ctx) -> None:
    """A new conversation's INSERT comes from the engine's compiled cache after the first:
    built as a multi-row ``.values(rows)`` it was compiled again for every new session
    (~0.5 ms of CPU each, on the gateway's busiest path)."""
    await _ready(ctx)
    inserts: list[tuple[int, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.startswith("INSERT INTO sessions"):
            values = statement.split(" VALUES ", 1)[1].split(" RETURNING ", 1)[0]
            inserts.append((values.count("), (") + 1, context.cache_hit))

    engine = ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for customer in ("ann", "bea"):
            await conversations.inbound(ctx, customer, SMS, "hello")
        # Batches of new conversations (the gateway's group commit): an executemany, compiled
        # once too, whatever the number of rows.
        made = await channels.receive_many(ctx, [msg("c", "+3"), msg("d", "+4"), msg("e", "+5")])
        made += await channels.receive_many(ctx, [msg("f", "+6"), msg("g", "+7")])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert all(isinstance(r, ReceiveResult) and r.new_session for r in made)
    assert len({r.session_id for r in made if isinstance(r, ReceiveResult)}) == 5
    miss, hit = engine.dialect.CACHE_MISS, engine.dialect.CACHE_HIT
    assert [cached for _rows, cached in inserts] == [miss, hit, miss, hit]
    assert [rows for rows, _cached in inserts] == [1, 1, 3, 2]  # one INSERT, a row per session

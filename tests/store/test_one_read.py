"""Database.one_read: the reads of one task share one transaction (a console's refresh is one
BEGIN/COMMIT and one consistent picture); another task, or a write, does not join it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text

from agent_console.services.context import Ctx


async def test_reads_inside_share_one_transaction_and_connection(ctx: Ctx) -> None:
    begins: list[object] = []
    engine = ctx.db.engine.sync_engine

    def on_begin(conn: object) -> None:
        begins.append(conn)

    event.listen(engine, "begin", on_begin)
    try:
        async with ctx.db.one_read() as shared:
            for _ in range(3):
                async with ctx.db.read() as conn:
                    assert conn is shared
                    assert await conn.scalar(text("SELECT 1")) == 1
        assert len(begins) == 1
        async with ctx.db.read() as first, ctx.db.read() as second:  # outside: their own
            assert first is not second
    finally:
        event.remove(engine, "begin", on_begin)


async def test_a_task_started_inside_reads_on_its_own(ctx: Ctx) -> None:
    async with ctx.db.one_read() as shared:

        async def elsewhere() -> bool:
            async with ctx.db.read() as conn:
                return conn is shared

        assert await asyncio.create_task(elsewhere()) is False


async def test_a_write_inside_is_refused(ctx: Ctx) -> None:
    async with ctx.db.one_read():
        with pytest.raises(RuntimeError, match="write inside one_read"):
            async with ctx.db.write():
                pass

"""A console whose PostgreSQL connection is lost says so once, then resyncs when it is back:
every screen reloads, and the cursor carries on from where it was (nothing in between lost)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from agent_console.domain.errors import StoreError
from agent_console.domain.feed import ChangeKind, Interest
from agent_console.services import agents, conversations
from agent_console.services.context import Ctx
from agent_console.tui.backend import ConsoleBackend

PERMS = ["messaging_agent", "end_messaging_session"]


async def test_a_lost_connection_is_one_error_then_a_resync(ctx: Ctx, db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("a SQLite console has no server connection to lose")
    await agents.add_agent(ctx, "ann", permissions=PERMS)
    backend = await ConsoleBackend.open(db_url, "ann")
    try:
        everything = Interest(agent_id=backend.agent_id, any_session=True, any_agent=True)
        assert not await backend.poll_changes(everything)
        async with backend.ctx.db.read() as conn:
            pid = await conn.scalar(text("SELECT pg_backend_pid()"))
        async with ctx.db.read() as conn:
            assert await conn.scalar(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        await conversations.inbound(ctx, "cara", "standard_sms", "while it was down")
        with pytest.raises(StoreError):
            await backend.poll_changes(everything)
        news = await backend.poll_changes(everything)  # a new connection
        assert news.resync
        assert not await backend.poll_changes(everything)  # and quiet again
        await conversations.inbound(ctx, "dora", "standard_sms", "after")
        got = await backend.poll_changes(everything)
        assert [t.kind for t in got.touches] == [ChangeKind.INBOUND]
    finally:
        await backend.close()

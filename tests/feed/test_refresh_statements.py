"""A console's refresh reuses its statements: built once per process and dialect
(``store/prebuilt.py``), they cost no client CPU to build again on every refresh -- building
them was more than half of a refresh's client CPU at a floor of consoles (bench/floor_costs.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from sqlalchemy.sql import selectable

from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, presence, routing
from agent_console.services.context import Ctx
from agent_console.tui.backend import ConsoleBackend

PERMS = ["messaging_agent", "end_messaging_session"]


@contextmanager
def counting_selects() -> Iterator[list[int]]:
    """How many SELECT statements are built inside (``select()`` makes each one)."""
    built = [0]
    original = selectable.Select.__init__

    def counted(self: selectable.Select[Any], *args: Any, **kw: Any) -> None:
        built[0] += 1
        original(self, *args, **kw)

    with mock.patch.object(selectable.Select, "__init__", counted):
        yield built


async def test_a_refresh_with_the_transcript_builds_no_statement(ctx: Ctx, db_url: str) -> None:
    await agents.add_agent(ctx, "ann", permissions=PERMS)
    await presence.set_presence(ctx, "ann", Presence.ONLINE)
    for customer in ("cara", "dora"):
        await conversations.inbound(ctx, customer, "standard_sms", "hello")
    await routing.route(ctx)
    backend = await ConsoleBackend.open(db_url, "ann")
    try:
        first = await backend.snapshot(None, neighbour=0)  # builds what it needs, once
        assert first.detail is not None and len(first.sessions) == 2
        await conversations.inbound(ctx, "cara", "standard_sms", "still there?")
        with counting_selects() as built:
            again = await backend.snapshot(first.detail.session.id, neighbour=0)
        assert again.detail is not None and len(again.detail.messages) >= 1
        assert sum(n.unread for n in again.needs.values()) == 3  # it read the new line
        assert built[0] == 0
    finally:
        await backend.close()

"""Set-up and helpers for the Messaging Sessions list tests (R3, R4, R11)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

import pytest
from textual.pilot import Pilot

from agent_console.domain.vocab import Presence, Surface
from agent_console.services import agents, bulk, conversations, ending, presence, settings
from agent_console.services.context import Ctx
from agent_console.tui import backend_list
from agent_console.tui.screens.bulk_end import BulkEndScreen
from agent_console.tui.screens.sessions_list import SessionsListScreen
from agent_console.tui.widgets.session_table import SessionTable

from .conftest import ADMIN, AGENT, ALL_PERMISSIONS, Seeded, console_ready, until

OTHER = "amir"


@dataclass
class World:
    """The seeded console (dana: Alice enhanced, Bob standard, both Active) plus two Waiting
    sessions nobody owns and one session amir ended from the list."""

    url: str
    alice: int
    bob: int
    cara: int  # Waiting, Bring Your Own Channel (enhanced)
    dov: int  # Waiting, Standard Facebook Messenger
    eve: int  # Ended by amir from the list

    @property
    def all_ids(self) -> list[int]:
        return [self.alice, self.bob, self.cara, self.dov, self.eve]


async def build_world(ctx: Ctx, seeded: Seeded) -> World:
    await agents.add_agent(ctx, OTHER, capacity=1, permissions=ALL_PERMISSIONS)
    await presence.set_presence(ctx, OTHER, Presence.BUSY)  # routing gives amir nothing
    cara = await conversations.inbound(ctx, "Cara", "byoc", "Hi, anyone?")
    dov = await conversations.inbound(ctx, "Dov", "standard_facebook_messenger", "Hello")
    eve = await conversations.inbound(ctx, "Eve", "standard_sms", "Bye")
    result = await ending.end_session(ctx, OTHER, eve.session_id, Surface.LIST)
    assert result.result == "ended", result
    ids = (cara.session_id, dov.session_id, eve.session_id)
    return World(seeded.url, seeded.alice, seeded.bob, *ids)


async def inactive_status_based(ctx: Ctx) -> int:
    """A standard session of dana's, under status-based capacity, gone Inactive (R4)."""
    await settings.set_setting(ctx, "capacity_model", "status-based", admin=ADMIN)
    gus = await conversations.outbound(ctx, AGENT, "Gus", "standard_sms", "Still there?")
    await conversations.mark_inactive(ctx, AGENT, gus.session_id)
    return gus.session_id


async def open_list(pilot: Pilot[Any]) -> SessionsListScreen:
    """From the console, f3 opens the list; wait for its first page."""
    await console_ready(pilot)
    await pilot.press("f3")
    return await list_ready(pilot)


async def list_ready(pilot: Pilot[Any]) -> SessionsListScreen:
    app = pilot.app
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, SessionsListScreen)
            and app.screen.loaded
            and app.screen.total is not None
        ),
        what="the sessions list to load (rows, then the count)",
    )
    screen = app.screen
    assert isinstance(screen, SessionsListScreen)
    await pilot.pause()
    return screen


def row_ids(screen: SessionsListScreen) -> list[int]:
    return [row.id for row in screen.table.rows]


def line_text(table: SessionTable, y: int) -> str:
    """What the table shows on screen line ``y`` (as plain text)."""
    return "".join(segment.text for segment in table.render_line(y))


def title_text(screen: SessionsListScreen) -> str:
    return str(screen.query_one("#list-title").render())


async def bulk_ready(pilot: Pilot[Any]) -> BulkEndScreen:
    app = pilot.app
    await until(
        pilot,
        lambda: isinstance(app.screen, BulkEndScreen) and app.screen.summary is not None,
        what="the bulk preview",
    )
    screen = app.screen
    assert isinstance(screen, BulkEndScreen)
    await until(pilot, lambda: bool(screen.lines_text), what="the preview rows")
    return screen


class Gate:
    """The first bulk run does one chunk, then waits for :meth:`open` before the rest: the
    test sees (and quits during) a bulk end that is running, whatever the machine's speed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.event = asyncio.Event()
        self.used = False
        real = bulk.run_bulk

        async def gated(ctx: Ctx, bulk_id: int, **kw: Any) -> Any:
            if self.used:
                return await real(ctx, bulk_id, **kw)
            self.used = True
            chunks: list[int] = []
            progress = kw.get("progress")

            def counted(done: int, total: int) -> None:
                chunks.append(done)
                if progress is not None:
                    progress(done, total)

            chunk = kw.get("chunk")
            await real(ctx, bulk_id, chunk=chunk, progress=counted, stop=lambda: bool(chunks))
            # Held until open(), or until the run is told to stop between two chunks (a yes to
            # quitting, the console closing): a real bulk end asks stop() after every chunk.
            stop = kw.get("stop") or (lambda: False)
            while not (self.event.is_set() or stop()):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.event.wait(), 0.02)
            return await real(ctx, bulk_id, **kw)

        monkeypatch.setattr(bulk, "run_bulk", gated)  # the module the backend calls
        monkeypatch.setattr(backend_list, "BULK_CHUNK", 1)

    def open(self) -> None:
        self.event.set()


__all__ = ["AGENT", "Gate", "World", "build_world", "list_ready", "open_list"]

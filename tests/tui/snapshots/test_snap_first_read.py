"""Snapshot of the console drawn from the first read (issue 12's start): the agent's sessions
and status bar on screen, the conversation loading while the database opens behind them.

The database's opening is held back for the capture (``ConsoleBackend.open`` waits for an
event that never comes), so the capture is that state every time, not a race with the open.
At 120x40 and 80x24, on the busy shift.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from agent_console.services.first_screen import first_screen
from agent_console.tui.backend import ConsoleBackend
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.widgets.conversation import ConversationPane
from conftest import FakeClock

from ..conftest import AGENT, until
from .conftest import (
    DB_FILE,
    SIZE,
    SMALL,
    build_app,
    compare_or_explain,
    seed_busy_shift,
    seed_database,
    settle,
)

#: The workers that wait for the held-back open: the app's opening and the console's refresh
#: after the first read (it asks the stand-in backend for the full snapshot).
HELD = frozenset({"open", "refresh"})


@pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])
def test_the_first_read_while_the_database_opens(
    snap_compare: Any,
    snapshot_dir: Path,
    snapshot_clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    size: tuple[int, int],
) -> None:
    seed_database(seed_busy_shift, snapshot_clock)
    first = first_screen(Path(DB_FILE), AGENT)
    assert first is not None
    never = asyncio.Event()

    async def held_open(cls: type[ConsoleBackend], *args: Any, **kwargs: Any) -> Any:
        await never.wait()

    monkeypatch.setattr(ConsoleBackend, "open", classmethod(held_open))
    app = build_app(snapshot_clock, first_screen=first)

    def first_read_shown() -> bool:
        screen = app.screen
        return (
            isinstance(screen, ConsoleScreen)
            and bool(screen.rows)
            and screen.query_one(ConversationPane).loading
        )

    async def before(pilot: Pilot[Any]) -> None:
        await until(pilot, first_read_shown, within=60, what="the first read's sessions")
        await settle(pilot, ignore=HELD)
        assert app.backend is None  # still opening: the capture is the first read's screen

    assert compare_or_explain(snap_compare, request, app, size, before)

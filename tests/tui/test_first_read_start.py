"""Issue 12's start: the agent's sessions drawn from the first read (``services.first_screen``,
no SQLAlchemy) while the database opens behind them (``OpeningBackend``).

The database's opening is held back by an event in these tests, so "before it opens" is a
state the test controls, not a race it hopes to win. SQLite only: the first read is for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from agent_console.domain.errors import StoreError
from agent_console.services.first_screen import FirstScreen, first_screen
from agent_console.store.url import DatabaseURL
from agent_console.tui.backend import ConsoleBackend
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.screens.error import ErrorScreen
from agent_console.tui.screens.sessions_list import SessionsListScreen
from agent_console.tui.widgets.conversation import ConversationPane

from .conftest import AGENT, SIZE, Seeded, console_ready, press_to_quit, until
from .snapshots.svg_diff import screen_lines

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


class HeldOpen:
    """``ConsoleBackend.open`` waits for :meth:`release` (or raises what :meth:`fail` gave)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.gate = asyncio.Event()
        self.error: Exception | None = None
        self.started = False
        original = ConsoleBackend.open.__func__  # type: ignore[attr-defined]

        async def held(cls: type[ConsoleBackend], *args: Any, **kwargs: Any) -> ConsoleBackend:
            self.started = True
            await self.gate.wait()
            if self.error is not None:
                raise self.error
            backend: ConsoleBackend = await original(cls, *args, **kwargs)
            return backend

        monkeypatch.setattr(ConsoleBackend, "open", classmethod(held))

    def release(self) -> None:
        self.gate.set()

    def fail(self, error: Exception) -> None:
        self.error = error
        self.gate.set()


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldOpen]:
    yield HeldOpen(monkeypatch)


def read_first(seeded: Seeded, agent: str = AGENT) -> FirstScreen:
    path = DatabaseURL(seeded.url).sqlite_path
    assert path is not None
    first = first_screen(Path(path), agent)
    assert first is not None
    return first


def text_of(pilot: Pilot[Any]) -> str:
    return "\n".join(screen_lines(pilot.app.export_screenshot()))


async def first_read_on_screen(pilot: Pilot[Any]) -> ConsoleScreen:
    app = pilot.app
    await until(
        pilot,
        lambda: isinstance(app.screen, ConsoleScreen) and bool(app.screen.rows),
        what="the first read's sessions",
    )
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ConsoleScreen)
    return screen


async def test_the_sessions_are_on_screen_before_the_database_opens(
    seeded: Seeded, app_factory: Any, held: HeldOpen
) -> None:
    app = app_factory(seeded.url, first_screen=read_first(seeded))
    async with app.run_test(size=SIZE) as pilot:
        console = await first_read_on_screen(pilot)
        await until(pilot, lambda: held.started, what="the database to start opening")
        shown = text_of(pilot)
        for text in ("S-1", "Alice", "S-2", "Bob", "Online", "My sessions (2)"):
            assert text in shown, shown
        assert app.backend is None and not console.loaded
        assert console.query_one(ConversationPane).loading  # its detail comes with the open

        held.release()
        await console_ready(pilot)
        assert app.backend is not None
        assert console.detail is not None and console.detail.session.id == seeded.alice
        assert not console.query_one(ConversationPane).loading
        await until(pilot, lambda: "Hello, my order?" in text_of(pilot), what="the detail")


async def test_a_key_pressed_while_the_database_opens_is_answered_once_it_is(
    seeded: Seeded, app_factory: Any, held: HeldOpen
) -> None:
    """f3 opens the Messaging Sessions list on the stand-in backend: its first page waits
    for the database, then loads as usual."""
    app = app_factory(seeded.url, first_screen=read_first(seeded))
    async with app.run_test(size=SIZE) as pilot:
        await first_read_on_screen(pilot)
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, SessionsListScreen), what="the list")
        listing = app.screen
        assert isinstance(listing, SessionsListScreen)
        assert not listing.loaded
        held.release()
        await until(
            pilot, lambda: listing.loaded and listing.total is not None, what="the first page"
        )
        await pilot.pause()
        shown = text_of(pilot)
        assert "Alice" in shown and "Bob" in shown, shown


async def test_a_database_that_fails_to_open_behind_the_first_screen_says_why(
    seeded: Seeded, app_factory: Any, held: HeldOpen
) -> None:
    app = app_factory(seeded.url, first_screen=read_first(seeded))
    async with app.run_test(size=SIZE) as pilot:
        await first_read_on_screen(pilot)
        held.fail(StoreError("the disk went away"))
        await until(pilot, lambda: isinstance(app.screen, ErrorScreen), what="the error")
        shown = text_of(pilot)
        assert "Cannot open the database" in shown and "the disk went away" in shown
        assert app.backend is None


async def test_quitting_while_the_database_opens_ends_at_once(
    seeded: Seeded, app_factory: Any, held: HeldOpen
) -> None:
    app = app_factory(seeded.url, first_screen=read_first(seeded))

    async def run() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await first_read_on_screen(pilot)
            await until(pilot, lambda: held.started, what="the database to start opening")
            await press_to_quit(pilot, "ctrl+q")

    await asyncio.wait_for(run(), timeout=30)
    assert app.backend is None and not app.is_running


async def test_the_full_start_raises_the_same_alerts_as_the_usual_one(
    seeded: Seeded, app_factory: Any
) -> None:
    """The first read knows nothing of unread lines or ends; the refresh after it must not
    take what it then learns for news (a "wrote" alert for every session with a reply)."""

    async def notes(app: Any) -> list[tuple[str, str]]:
        async with app.run_test(size=SIZE) as pilot:
            await console_ready(pilot)
            await pilot.pause()
            return sorted((str(n.title), str(n.message)) for n in app._notifications)

    usual = await notes(app_factory(seeded.url))
    first = await notes(app_factory(seeded.url, first_screen=read_first(seeded)))
    assert first == usual

"""ctrl+q in every state, and nothing the console started outlives it (issue 12, "Stop").

A database call cut by the app's closing used to leave SQLAlchemy's cancellation path to close
its aiosqlite connection: a close that never finished (the loop's teardown then hung on it) or
a connection whose driver thread kept the process alive after the app had closed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from sqlalchemy import text
from textual.screen import Screen
from textual.widgets import Input, OptionList, TextArea

from agent_console.domain.errors import StoreError
from agent_console.services import agents, capacity
from agent_console.services.context import Ctx
from agent_console.tui.backend import ConsoleBackend
from agent_console.tui.screens.confirm import ConfirmScreen
from agent_console.tui.screens.help import HelpScreen
from agent_console.tui.screens.ledger import LedgerScreen
from agent_console.tui.screens.loading import LoadingScreen
from agent_console.tui.screens.macro_picker import MacroPickerScreen
from agent_console.tui.screens.presence_menu import PresenceMenu
from agent_console.tui.screens.sessions_list import SessionsListScreen

from .conftest import AGENT, SIZE, Seeded, console_ready, press_to_quit, until

#: A read SQLite takes a while over (a third of a second or so): a query in flight at quit.
SLOW_READ = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
    "SELECT count(*) FROM c"
)


def driver_threads() -> set[threading.Thread]:
    """aiosqlite's connection threads alive now (the test's own ``ctx`` has some)."""
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


def left_behind(before: set[threading.Thread]) -> list[threading.Thread]:
    """Driver threads started since ``before`` that do not end within a second (a closed
    connection's thread ends right after it has answered the close)."""
    started = driver_threads() - before
    for thread in started:
        thread.join(timeout=1.0)
    return [t for t in started if t.is_alive()]


def other_tasks(before: frozenset[asyncio.Task[Any]] = frozenset()) -> list[asyncio.Task[Any]]:
    """Tasks still pending besides this one (and ``before``): none should outlive the app."""
    return [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and t not in before]


async def test_ctrl_q_on_the_loading_screen_quits(seeded: Seeded, app_factory: Any) -> None:
    before = driver_threads()
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LoadingScreen)
        await press_to_quit(pilot, "ctrl+q")
        await until(pilot, lambda: not app.is_running, what="the app to close")
    assert app.return_code == 0
    assert app.backend is None
    assert not left_behind(before)
    assert not other_tasks()


async def _help(pilot: Any) -> None:
    await pilot.press("f1")


async def _presence(pilot: Any) -> None:
    await pilot.press("ctrl+o")


async def _macros(pilot: Any) -> None:
    await pilot.press("ctrl+r")


async def _confirm(pilot: Any) -> None:
    await pilot.press("ctrl+r")
    app = pilot.app
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, MacroPickerScreen)
            and app.screen.query_one("#macro-options", OptionList).option_count > 0
        ),
        what="the macros",
    )
    await pilot.press("enter")


async def _list(pilot: Any) -> None:
    await pilot.press("f3")


async def _ledger(pilot: Any) -> None:
    await pilot.press("ctrl+l")


async def _composer(pilot: Any) -> None:
    await pilot.press("ctrl+g", *"half a reply")


STATES: dict[str, tuple[Callable[[Any], Coroutine[Any, Any, None]], type[Screen[Any]]]] = {
    "help": (_help, HelpScreen),
    "presence menu": (_presence, PresenceMenu),
    "macro picker": (_macros, MacroPickerScreen),
    "confirm dialog": (_confirm, ConfirmScreen),
    "sessions list": (_list, SessionsListScreen),
    "ledger": (_ledger, LedgerScreen),
}


@pytest.mark.parametrize("state", list(STATES))
async def test_ctrl_q_quits_from(state: str, seeded: Seeded, app_factory: Any) -> None:
    open_it, screen_type = STATES[state]
    before = driver_threads()
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await open_it(pilot)
        await until(pilot, lambda: isinstance(app.screen, screen_type), what=state)
        await press_to_quit(pilot, "ctrl+q")
        await until(pilot, lambda: not app.is_running, what="the app to close")
    assert app.return_code == 0
    assert not left_behind(before)
    assert not other_tasks()


async def test_ctrl_q_quits_while_typing_a_reply(seeded: Seeded, app_factory: Any) -> None:
    before = driver_threads()
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await _composer(pilot)
        assert isinstance(app.focused, TextArea | Input)
        await press_to_quit(pilot, "ctrl+q")
        await until(pilot, lambda: not app.is_running, what="the app to close")
    assert app.return_code == 0
    assert not left_behind(before)


async def test_quitting_during_a_database_call_leaves_no_thread_or_task(
    seeded: Seeded, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ctrl+q while the ledger's read is in flight: the read ends as a whole before the
    database closes, so no driver thread and no closing task outlive the app."""
    app = app_factory(seeded.url)
    ledger = capacity.ledger

    async def slow_ledger(ctx: Ctx, agent: str) -> Any:
        async with ctx.db.read() as conn:
            app.call_later(app.action_quit)  # the agent quits while this read runs
            await conn.execute(text(SLOW_READ))
        return await ledger(ctx, agent)

    monkeypatch.setattr(capacity, "ledger", slow_ledger)
    before = driver_threads()
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: not app.is_running, what="the app to close")
    assert not other_tasks()
    assert not left_behind(before)


async def test_a_closed_backend_waits_for_a_cancelled_call_and_refuses_new_ones(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call cancelled in the middle of its read (its screen closed) still ends as a whole
    before the database closes: nothing is left running once ``close`` returns."""
    started = asyncio.Event()
    ledger = capacity.ledger

    async def slow_ledger(ctx: Ctx, agent: str) -> Any:
        async with ctx.db.read() as conn:
            started.set()
            await conn.execute(text(SLOW_READ))
        return await ledger(ctx, agent)

    monkeypatch.setattr(capacity, "ledger", slow_ledger)
    before = driver_threads()
    backend = await ConsoleBackend.open(seeded.url, AGENT)
    call = asyncio.ensure_future(backend.ledger())
    await started.wait()
    call.cancel()
    await backend.close()
    assert call.cancelled()
    assert not other_tasks()
    assert not left_behind(before)
    with pytest.raises(StoreError, match="closed the database"):
        await backend.my_agent()


async def test_quitting_while_the_database_opens_closes_what_it_opened(
    seeded: Seeded, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app closes while the opening reads: the opening ends, what it opened is closed,
    and nothing of it outlives the app."""
    app = app_factory(seeded.url)
    get_agent = agents.get_agent

    async def slow_get_agent(ctx: Ctx, name: str) -> Any:
        async with ctx.db.read() as conn:
            app.call_later(app.exit)  # the console closes while this read runs
            await conn.execute(text(SLOW_READ))
        return await get_agent(ctx, name)

    monkeypatch.setattr(agents, "get_agent", slow_get_agent)
    before = driver_threads()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: not app.is_running, what="the app to close")
    assert app.backend is None
    assert not other_tasks()
    assert not left_behind(before)

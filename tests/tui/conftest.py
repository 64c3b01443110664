"""TUI fixtures: a database seeded through the services, and helpers to drive the console.

The app runs on the test's event loop (``app.run_test``), on the same database as the test's
``ctx`` (SQLite file and PostgreSQL), with the test's fake clock and UTC times on screen.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import pytest
from textual.command import CommandList, CommandPalette
from textual.css.query import NoMatches
from textual.errors import NoWidget
from textual.events import Click, MouseDown, MouseUp
from textual.geometry import Offset
from textual.pilot import Pilot, _get_mouse_message_arguments
from textual.widget import Widget
from textual.widgets import Input

from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, presence, routing
from agent_console.services.context import Ctx
from agent_console.tui.app import AgentConsoleApp, make_app
from agent_console.tui.messages import DatabaseChanged
from agent_console.tui.screens.console import ConsoleScreen

AGENT = "dana"
ADMIN = "root"
ALL_PERMISSIONS = (
    "enhanced_chat_user",
    "enhanced_chat_rep",
    "messaging_agent",
    "end_messaging_session",
)
SIZE = (120, 40)


@dataclass
class Seeded:
    """What the seed made: the URL and the ids of dana's two sessions."""

    url: str
    alice: int  # Enhanced WhatsApp (enhanced messaging)
    bob: int  # Standard SMS


async def seed_console(ctx: Ctx, url: str) -> Seeded:
    await agents.add_agent(ctx, AGENT, capacity=5, permissions=ALL_PERMISSIONS)
    await agents.add_agent(ctx, ADMIN, capacity=1, is_admin=True)
    await presence.set_presence(ctx, AGENT, Presence.ONLINE)
    alice = await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", "Hello, my order?")
    bob = await conversations.inbound(ctx, "Bob", "standard_sms", "Is anyone there?")
    assigned = await routing.route(ctx)
    assert {a.agent for a in assigned} == {AGENT}
    return Seeded(url, alice.session_id, bob.session_id)


@pytest.fixture
async def seeded(ctx: Ctx, db_url: str) -> Seeded:
    return await seed_console(ctx, db_url)


#: The live poll of a test's console: once an hour, i.e. never during a test. A test that
#: changes the database behind the console's back says so with ``changed(pilot)``; one that
#: forgets fails instead of passing when a poll tick happens to come in time. Tests of the
#: poll itself pass their own ``poll_interval``.
NO_POLL = 3600.0


@pytest.fixture
def app_factory(clock: Any) -> Callable[..., AgentConsoleApp]:
    def build(url: str, agent: str | None = AGENT, **kw: Any) -> AgentConsoleApp:
        kw.setdefault("poll_interval", NO_POLL)
        return make_app(url, agent, clock=clock, timezone=UTC, **kw)

    return build


def changed(pilot: Pilot[Any]) -> None:
    """The test changed the database (a service call on its own ``ctx``): tell every screen
    of the console now, as the live poll does when it sees a commit, instead of waiting for
    a poll tick. Then wait (``until``) for what the change shows."""
    for screen in pilot.app.screen_stack:
        screen.post_message(DatabaseChanged())


async def until(
    pilot: Pilot[Any], predicate: Callable[[], bool], *, within: float = 10.0, what: str = ""
) -> None:
    """Let the app run until ``predicate()`` holds (fails the test after ``within`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await _pause(pilot)


async def click(
    pilot: Pilot[Any],
    target: str | type[Widget] | Widget,
    offset: tuple[int, int] = (0, 0),
    *,
    shift: bool = False,
    meta: bool = False,
    control: bool = False,
) -> None:
    """A click on ``target`` at ``offset``, once it is laid out there: aimed and sent on the
    same layout, as a person clicks what is drawn.

    ``pilot.click`` aims first and pauses before each of its events: a layout that lands in
    between (an error label shown above the Save button, the button moved a row down) takes
    the target from under the pointer, and the click hits the label (CI, a loaded machine:
    an editor that never saved). Here the pointer is aimed at the layout the hit test has just
    checked and the press, release and click are queued before anything can lay out again."""
    app = pilot.app

    def aimed() -> Widget | None:
        try:
            widget = target if isinstance(target, Widget) else app.screen.query_one(target)
            x, y = widget.region.offset + offset
            hit, _ = app.get_widget_at(x, y)
        except (NoMatches, NoWidget):
            return None
        return widget if widget.region and (hit is widget or widget in hit.ancestors) else None

    await until(pilot, lambda: aimed() is not None, what=f"{target} laid out under the pointer")
    widget = aimed()
    assert widget is not None
    where = _get_mouse_message_arguments(widget, offset, shift=shift, meta=meta, control=control)
    app.mouse_position = Offset(where["x"], where["y"])
    for event in (MouseDown(**where), MouseUp(**where), Click(**where, chain=1)):
        app.screen._forward_event(event)
    await pilot.pause()


async def _pause(pilot: Pilot[Any]) -> None:
    """``pilot.pause(0.05)``, cut short when the app ends meanwhile (``_unless_it_exits``)."""
    await _unless_it_exits(pilot, lambda: pilot.pause(0.05))


async def press_to_quit(pilot: Pilot[Any], *keys: str) -> None:
    """``pilot.press(*keys)`` for keys that may close the app (ctrl+q, q, a quit confirmed),
    cut short when it does (``_unless_it_exits``)."""
    await _unless_it_exits(pilot, lambda: pilot.press(*keys))


async def _unless_it_exits(pilot: Pilot[Any], step: Callable[[], Awaitable[None]]) -> None:
    """Run a pilot ``step`` that ends by waiting for the screen (``Pilot._wait_for_screen``),
    and stop waiting if the app ends meanwhile.

    That wait has the app and every widget of the screen run a callback, and never ends if
    one is taken and not run: a widget whose message loop closes with it queued, or the app
    itself. Textual's app ends its queue when it handles its exit by putting an end marker
    behind what is queued, and goes on taking messages until it reaches it: a callback posted
    while two or more messages were still ahead of the marker (a poll tick, a demo step, a
    loaded machine) lands behind it. The wait then lasts its 30 s and raises
    ``WaitForScreenTimeout`` (the start-and-quit stress test, run beside the suite). The app's
    task (``run_test`` sets ``app._task``) ending is the event to stop on. An app run
    otherwise (the snapshots' ``run_async`` with an auto pilot) has no such task: it gets the
    plain step."""
    app_task = pilot.app._task
    if app_task is None:
        await step()
        return
    if app_task.done():
        await asyncio.sleep(0)  # the app has exited: let the caller look again
        return
    waiting = asyncio.ensure_future(step())
    await asyncio.wait({waiting, app_task}, return_when=asyncio.FIRST_COMPLETED)
    if not waiting.done():
        waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiting
    else:
        waiting.result()  # its exception, if any


async def until_async(
    pilot: Pilot[Any],
    predicate: Callable[[], Awaitable[bool]],
    *,
    within: float = 10.0,
    what: str = "",
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)


async def quiet(pilot: Pilot[Any], *, within: float = 10.0) -> None:
    """Let what the last key started run out: its messages handled and no worker of the app
    still running (a predicate, not a sleep). Before asserting that something did *not*
    happen: whatever would have done it has had every chance to."""
    app = pilot.app
    for _ in range(2):
        await pilot.pause()
        await until(
            pilot,
            lambda: all(w.is_finished for w in app.workers),
            within=within,
            what="the app's workers to finish",
        )
    await pilot.pause()


async def palette_offers(pilot: Pilot[Any], text: str) -> None:
    """Wait until the command palette has searched for what was typed and offers ``text``
    first, highlighted: enter runs it."""
    app = pilot.app

    def offered() -> bool:
        palette = app.screen
        if not isinstance(palette, CommandPalette) or any(
            w.group == CommandPalette._GATHER_COMMANDS_GROUP and not w.is_finished
            for w in app.workers
        ):
            return False
        results = palette.query_one(CommandList)
        return (
            results.option_count > 0
            and results.highlighted == 0
            and text in str(results.get_option_at_index(0).prompt)
        )

    await until(pilot, offered, what=f"the palette to offer {text!r}")


async def palette_open(pilot: Pilot[Any]) -> CommandPalette:
    """ctrl+p, and wait for the palette's input to have the focus (keys go there)."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, CommandPalette) and app.focused is app.screen.query_one(Input)
        ),
        what="the palette's input",
    )
    assert isinstance(app.screen, CommandPalette)
    return app.screen


async def console_ready(pilot: Pilot[Any]) -> ConsoleScreen:
    """Wait for the console screen to show its first snapshot."""
    app = pilot.app
    await until(
        pilot,
        lambda: isinstance(app.screen, ConsoleScreen) and app.screen.loaded,
        what="the console to load",
    )
    screen = app.screen
    assert isinstance(screen, ConsoleScreen)
    return screen

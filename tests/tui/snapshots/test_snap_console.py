"""Snapshots of the console screen: empty, busy, End Chat refused (R8), after End Chat (R2).

Each at 120x40; the main ones also at 80x24. See ``conftest.py`` for what keeps them still.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from agent_console.services import conversations, routing, settings
from agent_console.services.context import Ctx
from agent_console.tui.app import AgentConsoleApp
from agent_console.tui.screens.loading import LoadingScreen
from conftest import FakeClock

from ..conftest import ADMIN, AGENT, click, until
from .conftest import (
    SIZE,
    SMALL,
    ConsoleSnapshot,
    console_screen,
    notified,
    seed_agents_cannot_end,
    seed_busy_shift,
    seed_empty,
)

HOSTILE = [
    "[/bold]",
    "[@click=app.quit]x[/]",
    "[b]bold?[/b] [link=https://evil.example]click[/link] $foreground",
    "\x1b[31mred\x1b[0m \x1b]0;title\x07 \x1b[2J cleared?",
    "bidi: \u202eevil\u202c and \u2066isolate\u2069 end",
    "tab\there, DEL\x7f, bell\x07",
]
BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])


async def seed_status_based(ctx: Ctx, clock: FakeClock) -> None:
    """dana's sessions under status-based capacity (the deployment default)."""
    await seed_empty(ctx, clock)
    await settings.set_setting(ctx, "capacity_model", "status-based", admin=ADMIN)
    await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", "Hello, my order?")
    bob = await conversations.inbound(ctx, "Bob", "standard_sms", "Is anyone there?")
    await routing.route(ctx)
    clock.advance(minutes=3)
    await conversations.send(ctx, AGENT, 1, "Hi Alice, it ships today.")
    clock.advance(minutes=20)
    await conversations.mark_inactive(ctx, AGENT, bob.session_id)


async def seed_hostile(ctx: Ctx, clock: FakeClock) -> None:
    """Customer text that would be markup, actions, terminal escapes or bidi tricks."""
    await seed_empty(ctx, clock)
    for text in HOSTILE:
        await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", text)
        clock.advance(seconds=20)
    await conversations.inbound(ctx, "[@click=app.quit]q[/]", "standard_sms", "[/]")
    await conversations.inbound(ctx, "\x1b[2J\u202egnp.exe", "standard_sms", "[/bold] hi")
    await routing.route(ctx)


async def end_the_open_chat(pilot: Pilot[Any]) -> None:
    """Press End Chat's key and wait for the pane to show the ended session."""
    screen = console_screen(pilot)
    opened = screen.detail
    assert opened is not None
    await pilot.press("ctrl+e")
    await until(pilot, lambda: bool(screen.pending_ends), what="End Chat's Undo time")
    pilot.app.clock.advance(seconds=5)  # the fake clock: the Undo time is over
    await until(
        pilot,
        lambda: (
            screen.detail is not None
            and screen.detail.session.id == opened.session.id
            and screen.detail.session.status == "Ended"
            and notified(pilot.app, "ended")
        ),
        within=30,
        what="the chat to end",
    )


@BOTH_SIZES
def test_console_empty(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    """An Online agent with no sessions: the list says where work appears."""
    assert console_snapshot(seed_empty, size=size)


@BOTH_SIZES
def test_console_with_sessions(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    """Five sessions on five channels; Alice's transcript has customer, agent and system lines."""
    assert console_snapshot(seed_busy_shift, size=size)


@BOTH_SIZES
def test_end_chat_disabled_with_its_reason(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    """R8 off: End Chat is shown disabled, with the service's reason beside it."""
    assert console_snapshot(seed_agents_cannot_end, size=size)


@BOTH_SIZES
def test_after_end_chat_tab_based(console_snapshot: ConsoleSnapshot, size: tuple[int, int]) -> None:
    """R2 tab-based: the ended session keeps its unit; the pane says to close the tab, and how."""
    assert console_snapshot(seed_busy_shift, size=size, run_before=end_the_open_chat)


def test_after_end_chat_status_based(console_snapshot: ConsoleSnapshot) -> None:
    """R2 status-based: the units are free at once (2/5 -> 0/5 with Bob Inactive)."""
    assert console_snapshot(seed_status_based, run_before=end_the_open_chat)


def test_inactive_session_under_status_based(console_snapshot: ConsoleSnapshot) -> None:
    """An Inactive session (status-based) holds no units; its internal system line shows."""

    async def open_bob(pilot: Pilot[Any]) -> None:
        screen = console_screen(pilot)
        await pilot.press("ctrl+down")
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.customer == "Bob",
            what="Bob's session to open",
        )

    assert console_snapshot(seed_status_based, run_before=open_bob)


@BOTH_SIZES
def test_loading_screen(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the database opens (held open forever here): the agent's name, "Loading..."."""
    monkeypatch.setattr(AgentConsoleApp, "_open", lambda self: None)
    assert console_snapshot(
        seed_empty, size=size, ready=lambda app: isinstance(app.screen, LoadingScreen)
    )


def test_hostile_customer_text_is_inert(console_snapshot: ConsoleSnapshot) -> None:
    """Markup, actions, escapes and bidi controls from customers show as literal, inert text."""

    async def click_around(pilot: Pilot[Any]) -> None:
        # Clicking on the "[@click=app.quit]x[/]" line of Alice's transcript runs nothing.
        await click(pilot, "#transcript", offset=(18, 3))
        await pilot.pause()
        assert pilot.app.is_running
        exported = pilot.app.export_screenshot()
        assert not any(c in exported for c in "\x1b\x07\u202e\u2066"), "a control got through"

    assert console_snapshot(seed_hostile, run_before=click_around)


def test_readme_screenshot_is_the_current_snapshot() -> None:
    """docs/screenshots/console.svg (shown in the README) is the 120x40 busy-console snapshot."""
    root = Path(__file__).resolve().parents[3]
    snapshot = Path(__file__).parent / "__snapshots__" / "test_snap_console"
    current = (snapshot / "test_console_with_sessions[120x40].svg").read_text(encoding="utf-8")
    shown = root / "docs" / "screenshots" / "console.svg"
    assert shown.read_text(encoding="utf-8") == current, (
        "the README screenshot is out of date: copy "
        f"{snapshot.relative_to(root)}/test_console_with_sessions[120x40].svg to "
        f"{shown.relative_to(root)}"
    )

"""Snapshot tests of the console: deterministic screens, and the helper new screens reuse.

Every snapshot runs the real app on a real SQLite file seeded through the services, so a
screen looks exactly as an agent would see it. What keeps a capture the same on every run:

- **Clock.** A :class:`FakeClock` (09:00 UTC, 23 Nov 2026) stamps the seed's writes and the
  console's own (End Chat...); times are shown in UTC.
- **Data.** A fresh SQLite file per test, so session ids are 1, 2, 3... in seed order. The
  file is ``console.db`` in the test's temporary folder, which is made the working directory:
  messages that name the database (``the database is locked ...: console.db``) do not carry
  a path that changes between runs. Snapshots run on SQLite only.
- **Nothing moves.** ``animation_level = "none"`` (the loading indicator says "Loading...",
  no fades), every ``Input`` and ``TextArea`` has ``cursor_blink = False`` when the capture
  is taken, the live poll runs once an hour (so nothing refreshes behind the capture), and
  notifications stay up for an hour (a toast is part of the state under test, never half-gone).
- **No sleeps.** The capture waits for a *predicate* (by default: the console loaded its first
  snapshot), then for the workers of the app and of the top screen to finish, then for the
  screen to repaint.

Writing a snapshot test for a new screen::

    from .conftest import ConsoleSnapshot, seed_busy_shift

    def test_messaging_sessions_list(console_snapshot: ConsoleSnapshot) -> None:
        async def open_list(pilot: Pilot[Any]) -> None:
            await pilot.press("f2")
            await until(pilot, lambda: isinstance(pilot.app.screen, SessionsScreen))

        assert console_snapshot(seed_busy_shift, run_before=open_list)

``console_snapshot(seed_fn, *, size, theme, run_before, ready, agent, **app_options)``:

- ``seed_fn(ctx, clock)``: an async function that fills the database through the services
  (``seed_empty`` and ``seed_busy_shift`` below are ready-made); it may advance the clock.
- ``size``: the terminal, ``(120, 40)`` by default; the main screens also at ``SMALL``.
- ``theme``: a shipped theme name (``agent-dark`` by default).
- ``ready(app) -> bool``: what "the app is up" means before ``run_before`` runs (default: the
  console screen has loaded; ``error_screen_shown`` for start-up failures).
- ``run_before(pilot)``: drives the app (keys, clicks); it must end by waiting (``until``) for
  the state it produced -- the helper then waits for workers and the screen to settle.
- ``agent``: who signs in (``dana``); ``url``: the database (``console.db``, seeded).
- ``app_options``: passed to ``make_app`` (e.g. ``busy_timeout_ms=200``).

Update snapshots with ``pytest tests/tui/snapshots --snapshot-update``, then *look* at every
changed SVG (``tests/tui/snapshots/render_svgs.sh`` renders them to PNG).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path
from typing import Any, Protocol

import pytest
from pytest_textual_snapshot import node_to_report_path
from textual.app import App
from textual.dom import DOMNode, NoScreen
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, TextArea
from textual.worker import Worker

from agent_console.domain.vocab import Presence, Surface
from agent_console.services import agents, conversations, ending, presence, routing, settings
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from agent_console.tui.app import AgentConsoleApp, make_app
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.screens.error import ErrorScreen
from agent_console.tui.themes import DEFAULT_THEME
from conftest import FakeClock, new_sqlite_database

from ..conftest import ADMIN, AGENT, ALL_PERMISSIONS, until
from .svg_diff import describe_report

SIZE = (120, 40)
SMALL = (80, 24)
DB_FILE = "console.db"
#: The second agent of the list seeds.
OTHER = "amir"
DB_URL = f"sqlite+aiosqlite:///{DB_FILE}"
#: Long enough that the live poll never fires while a snapshot is taken.
NO_POLL = 3600.0
STILL_NOTIFICATIONS = 3600.0

SeedFn = Callable[[Ctx, FakeClock], Awaitable[object]]
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]
Ready = Callable[[App[Any]], bool]


# ---------------------------------------------------------------------------- seeds


async def seed_empty(ctx: Ctx, clock: FakeClock) -> None:
    """dana (capacity 5, every permission) is Online with no sessions; root is an admin."""
    await agents.add_agent(ctx, AGENT, capacity=5, permissions=ALL_PERMISSIONS)
    await agents.add_agent(ctx, ADMIN, capacity=1, is_admin=True)
    await presence.set_presence(ctx, AGENT, Presence.ONLINE)


async def seed_busy_shift(ctx: Ctx, clock: FakeClock, *, capacity_model: str | None = None) -> None:
    """A morning's work for dana on five channels (session ids 1-5), under the deployment's
    default capacity model (tab-based); with ``capacity_model``, sessions 2-5 are created under
    that model instead.

    1. Alice, Enhanced WhatsApp -- first with sam, who went offline (a system line), then dana.
    2. Bob, Standard SMS -- one customer line, not answered yet.
    3. Chen Wei, Enhanced Web Chat v2 (enhanced chat) -- a short exchange.
    4. Dmitri, Standard Facebook Messenger -- a long customer message that wraps.
    5. Erin, Enhanced SMS -- ended by dana, its tab still open (tab-based: holds its unit).
    """
    await agents.add_agent(ctx, AGENT, capacity=6, permissions=ALL_PERMISSIONS)
    await agents.add_agent(ctx, "sam", capacity=3, permissions=ALL_PERMISSIONS)
    await agents.add_agent(ctx, ADMIN, capacity=1, is_admin=True)
    await presence.set_presence(ctx, "sam", Presence.ONLINE)
    alice = (
        await conversations.inbound(
            ctx, "Alice", "enhanced_whatsapp", "Hi! My order #4471 hasn't arrived yet."
        )
    ).session_id
    await routing.route(ctx)
    clock.advance(minutes=2)
    await conversations.send(ctx, "sam", alice, "Hi Alice, let me check that for you.")
    clock.advance(minutes=6)
    await presence.set_presence(ctx, "sam", Presence.OFFLINE)
    if capacity_model is not None:  # sessions created from now on follow it
        await settings.set_setting(ctx, "capacity_model", capacity_model, admin=ADMIN)
    clock.advance(minutes=1)
    await presence.set_presence(ctx, AGENT, Presence.ONLINE)
    await routing.route(ctx)
    clock.advance(minutes=1)
    await conversations.send(
        ctx,
        AGENT,
        alice,
        "Hello Alice, I'm Dana and I'll take it from here. Your parcel left our depot "
        "this morning.",
    )
    clock.advance(minutes=1)
    await conversations.inbound(
        ctx, "Alice", "enhanced_whatsapp", "Great, can you send me the tracking link?"
    )
    clock.advance(minutes=1)
    await conversations.inbound(ctx, "Bob", "standard_sms", "Is anyone there?")
    clock.advance(minutes=1)
    chen = (
        await conversations.inbound(
            ctx, "Chen Wei", "enhanced_web_chat_v2", "I can't log in to my account."
        )
    ).session_id
    clock.advance(minutes=1)
    await conversations.inbound(
        ctx,
        "Dmitri Ivanov",
        "standard_facebook_messenger",
        "Hello, I was charged twice for the same subscription this month and I would like "
        "one of the two payments refunded to the card I used, please.",
    )
    clock.advance(minutes=1)
    erin = (
        await conversations.inbound(ctx, "Erin", "enhanced_sms", "Thanks, that fixed it!")
    ).session_id
    await routing.route(ctx)
    clock.advance(minutes=1)
    await conversations.send(ctx, AGENT, chen, "Sorry about that! Which e-mail do you use?")
    clock.advance(minutes=1)
    await conversations.inbound(ctx, "Chen Wei", "enhanced_web_chat_v2", "chen@example.com")
    await conversations.send(ctx, AGENT, erin, "Glad to hear it. Have a nice day!")
    clock.advance(minutes=1)
    await ending.end_session(ctx, AGENT, erin, Surface.CONVERSATION)
    clock.advance(minutes=2)


async def seed_agents_cannot_end(ctx: Ctx, clock: FakeClock) -> None:
    """The busy shift, with R8 "Agents can end messaging sessions at any time" off."""
    await seed_busy_shift(ctx, clock)
    await settings.set_setting(ctx, "agents_can_end", "off", admin=ADMIN)


async def seed_dana_admin(ctx: Ctx, clock: FakeClock) -> None:
    """The busy shift, with dana an admin (the settings page is editable)."""
    await seed_busy_shift(ctx, clock)
    await agents.set_agent(ctx, AGENT, is_admin=True)


async def seed_status_based(ctx: Ctx, clock: FakeClock) -> None:
    """The busy shift with sessions 2-5 under status-based capacity (they stay with dana when
    she goes Offline; Alice's, tab-based, goes back to Waiting)."""
    await seed_busy_shift(ctx, clock, capacity_model="status-based")


async def seed_list_world(ctx: Ctx, clock: FakeClock) -> None:
    """The busy shift (ids 1-5) plus, for the Messaging Sessions list: amir (Busy, so routing
    gives him nothing), two Waiting sessions nobody owns (6 Cara, Bring Your Own Channel;
    7 Dov, Standard Facebook Messenger) and 8 Eve, ended by amir from the list."""
    await seed_busy_shift(ctx, clock)
    await agents.add_agent(ctx, OTHER, capacity=1, permissions=ALL_PERMISSIONS)
    await presence.set_presence(ctx, OTHER, Presence.BUSY)
    clock.advance(minutes=1)
    await conversations.inbound(ctx, "Cara", "byoc", "Hi, anyone?")
    clock.advance(minutes=1)
    await conversations.inbound(ctx, "Dov", "standard_facebook_messenger", "Hello")
    clock.advance(minutes=1)
    eve = await conversations.inbound(ctx, "Eve", "standard_sms", "Bye")
    await ending.end_session(ctx, OTHER, eve.session_id, Surface.LIST)
    clock.advance(minutes=1)


async def seed_list_status_based(ctx: Ctx, clock: FakeClock) -> None:
    """The list world under status-based capacity, plus 9 Gus: a standard SMS of dana's gone
    Inactive (R4: it cannot be ended from the list)."""
    await seed_list_world(ctx, clock)
    await settings.set_setting(ctx, "capacity_model", "status-based", admin=ADMIN)
    gus = await conversations.outbound(ctx, AGENT, "Gus", "standard_sms", "Still there?")
    clock.advance(minutes=1)
    await conversations.mark_inactive(ctx, AGENT, gus.session_id)


# ---------------------------------------------------------------------------- readiness


def console_loaded(app: App[Any]) -> bool:
    """The console screen shows its first snapshot."""
    return isinstance(app.screen, ConsoleScreen) and app.screen.loaded


def error_screen_shown(app: App[Any]) -> bool:
    return isinstance(app.screen, ErrorScreen)


def console_screen(pilot: Pilot[Any]) -> ConsoleScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ConsoleScreen)
    return screen


def notified(app: App[Any], text: str) -> bool:
    """Whether a notification containing ``text`` was shown."""
    return any(text in n.message for n in app._notifications)


def busy_workers(app: App[Any], ignore: frozenset[str] = frozenset()) -> list[Worker[Any]]:
    """Unfinished workers of the app itself or of the screen on top (but those of the
    groups in ``ignore``: held back by the test on purpose).

    A worker of a screen *below* the top one is left out: it may be waiting for the top
    screen's answer (``push_screen_wait``, e.g. going Offline waits for the preview modal).
    """
    top = app.screen

    def on_top(node: DOMNode) -> bool:
        if node is app or node is top:
            return True
        try:
            return isinstance(node, Widget) and node.screen is top
        except NoScreen:
            return False

    return [
        w for w in app.workers if not w.is_finished and w.group not in ignore and on_top(w.node)
    ]


async def settle(pilot: Pilot[Any], *, ignore: frozenset[str] = frozenset()) -> None:
    """Wait until no worker of the visible screen runs (but those of the groups in
    ``ignore``) and the screen has repainted (a predicate, not a sleep: it holds however slow
    the machine is)."""
    app = pilot.app
    for _ in range(3):
        await until(
            pilot, lambda: not busy_workers(app, ignore), within=60, what="workers to finish"
        )
        await pilot.pause()
    for screen in app.screen_stack:  # a modal's console below it too (its composer)
        for node in screen.query(Input):
            node.cursor_blink = False
        for area in screen.query(TextArea):
            area.cursor_blink = False
            # TextArea caches its lines under a key that cannot tell "blink off" from "blink
            # on, cursor in its hidden phase": a line cached in that phase would be drawn
            # again without its cursor (Textual 8.2.8). Its style update clears that cache.
            area.notify_style_update()
            area.refresh()
    await pilot.wait_for_scheduled_animations()
    await laid_out(pilot)


async def laid_out(pilot: Pilot[Any], *, rounds: int = 20) -> None:
    """Until no widget of the screen waits for a layout. ``pause`` ends with a layout pass,
    and that pass may resize a widget whose ``on_resize`` changes what it shows (the
    conversation pane's short "Ending:" line at 80x24): the new text is drawn at once, its
    height only at the next pass. A screenshot taken between the two showed the old height
    under the new text (two blank lines, once in a CI run)."""
    for _ in range(rounds):
        await pilot.pause()  # the events still queued (a Resize) are handled first
        screen = pilot.app.screen
        if not screen._layout_required and not any(
            w._layout_required for w in screen.walk_children(with_self=False)
        ):
            return
    raise AssertionError(f"the screen was still laying out after {rounds} passes")


# ---------------------------------------------------------------------------- the helper


def build_app(
    clock: FakeClock,
    *,
    agent: str | None = AGENT,
    theme: str = DEFAULT_THEME,
    url: str = DB_URL,
    **options: Any,
) -> AgentConsoleApp:
    """The app as snapshots run it: fake clock, UTC, no poll, no animation, still toasts."""
    options.setdefault("poll_interval", NO_POLL)
    app = make_app(url, agent, clock=clock, timezone=UTC, theme=theme, **options)
    app.animation_level = "none"
    app.NOTIFICATION_TIMEOUT = STILL_NOTIFICATIONS  # type: ignore[misc]
    return app


def seed_database(seed_fn: SeedFn | None, clock: FakeClock) -> None:
    """Create ``console.db`` in the working directory and run ``seed_fn`` on it (``None``:
    create nothing, the test arranges the database itself)."""
    if seed_fn is None:
        return

    new_sqlite_database(Path(DB_FILE))  # the migrated template, copied

    async def run() -> None:
        ctx = await open_ctx(DB_URL, clock=clock)
        try:
            await seed_fn(ctx, clock)
        finally:
            await ctx.db.dispose()

    asyncio.run(run())


class ConsoleSnapshot(Protocol):
    def __call__(
        self,
        seed_fn: SeedFn | None,
        *,
        size: tuple[int, int] = SIZE,
        theme: str = DEFAULT_THEME,
        run_before: RunBefore | None = None,
        ready: Ready = console_loaded,
        agent: str | None = AGENT,
        url: str = DB_URL,
        **app_options: Any,
    ) -> bool: ...


@pytest.fixture
def snapshot_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's temporary folder, made the working directory (see the module docstring)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def snapshot_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def console_snapshot(
    snap_compare: Callable[..., bool],
    snapshot_dir: Path,
    snapshot_clock: FakeClock,
    request: pytest.FixtureRequest,
) -> ConsoleSnapshot:
    """Seed, start the console, wait for ``ready``, run ``run_before``, settle, compare."""

    def take(
        seed_fn: SeedFn | None,
        *,
        size: tuple[int, int] = SIZE,
        theme: str = DEFAULT_THEME,
        run_before: RunBefore | None = None,
        ready: Ready = console_loaded,
        agent: str | None = AGENT,
        url: str = DB_URL,
        **app_options: Any,
    ) -> bool:
        seed_database(seed_fn, snapshot_clock)
        app = build_app(snapshot_clock, agent=agent, theme=theme, url=url, **app_options)

        async def before(pilot: Pilot[Any]) -> None:
            await until(pilot, lambda: ready(pilot.app), within=60, what="the app to be ready")
            if run_before is not None:
                # The screen settles first: once a modal is on top, ``settle`` no longer waits
                # for the workers of the screen below it, and a console still loading (its
                # open session's draft, its detail) was drawn half-laid-out behind the
                # presence menu once on a busy CI machine.
                await settle(pilot)
                await run_before(pilot)
            await settle(pilot)

        return compare_or_explain(snap_compare, request, app, size, before)

    return take


def compare_or_explain(
    snap_compare: Callable[..., bool],
    request: pytest.FixtureRequest,
    app: App[Any],
    size: tuple[int, int],
    before: RunBefore,
) -> bool:
    """``snap_compare``; a mismatch fails with the screen lines that changed (the log of a CI
    run carries no report)."""
    if snap_compare(app, terminal_size=size, run_before=before):
        return True
    raise AssertionError(describe_report(node_to_report_path(request.node)))

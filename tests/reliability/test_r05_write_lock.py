"""Row 5 -- another process holds SQLite's write lock for 10 s.

Invariant: a writer waits ``busy_timeout`` for the lock, then says in one line that the
database is locked by another process and how long it waited; nothing it meant to write is
half there (a dump of every table is unchanged); with a longer timeout it simply waits for the
lock and succeeds. In the console the agent's unsent reply and the open session are kept.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from agent_console.domain.errors import StoreError
from agent_console.domain.vocab import Presence, Surface
from agent_console.services import agents, conversations, ending, presence, routing
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from agent_console.tui.app import make_app
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.widgets.conversation import ConversationPane

from .support import Worker, diff, dump, finish_with_check, record_notifications, start_worker

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

HOLD_S = 10.0
ALL = ("enhanced_chat_user", "enhanced_chat_rep", "messaging_agent", "end_messaging_session")


@contextmanager
def lock_held(tmp: Path, path: Path, seconds: float) -> Iterator[Worker]:
    """Another process takes the write lock (BEGIN IMMEDIATE + a pending write) and keeps it
    ``seconds``; the block runs once it has it."""
    ready = tmp / "holder.ready"
    ready.unlink(missing_ok=True)
    holder = start_worker(
        tmp, "holder", "hold-lock", str(path), "--seconds", str(seconds), "--ready", str(ready)
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert holder.proc.poll() is None, holder.stderr()
        assert time.monotonic() < deadline, "the holder never took the lock"
        time.sleep(0.01)
    try:
        yield holder
    finally:
        holder.kill()


async def _seed(ctx: Ctx) -> int:
    await agents.add_agent(ctx, "dana", capacity=5, permissions=ALL)
    await presence.set_presence(ctx, "dana", Presence.ONLINE)
    r = await conversations.inbound(ctx, "Bob", "standard_sms", "Is anyone there?")
    await routing.route(ctx)
    return r.session_id


# Not a ``timing`` test: its bounds are on waits (SQLite's busy handler sleeps out its 2 s;
# the holder sleeps out its 10 s), which a busy machine lengthens by milliseconds, and it
# spent its 11 s in the serial pass asleep while the other workers had exited.
async def test_locked_database_waits_then_says_so_and_writes_nothing(tmp_path: Path) -> None:
    """Invariant: wait busy_timeout, then a clear StoreError; no partial write; a writer with
    a longer timeout waits for the lock and succeeds."""
    path = tmp_path / "console.db"
    url = f"sqlite+aiosqlite:///{path}"
    impatient = await open_ctx(url, busy_timeout_ms=2000)
    patient = await open_ctx(url, busy_timeout_ms=15000)
    try:
        sid = await _seed(impatient)
        before = await dump(impatient)
        with lock_held(tmp_path, path, HOLD_S) as holder:
            taken = time.monotonic()
            with pytest.raises(StoreError) as refused:
                await ending.end_session(impatient, "dana", sid, Surface.CONVERSATION)
            waited = time.monotonic() - taken
            message = str(refused.value)
            assert "locked by another process" in message and "waited 2 s" in message, message
            assert "\n" not in message
            assert 1.9 <= waited < 6, waited
            assert diff(before, await dump(impatient)) == []  # reads still work (WAL)

            # The patient writer queues behind the holder and goes through once it lets go.
            result = await ending.end_session(patient, "dana", sid, Surface.CONVERSATION)
            through = time.monotonic() - taken
            assert result.result == "ended", result
            assert holder.proc.wait(timeout=30) == 0, holder.stderr()
        assert HOLD_S - 1.0 <= through < HOLD_S + 8, through
        await finish_with_check(impatient, url)
    finally:
        await impatient.db.dispose()
        await patient.db.dispose()
    print(f"\nrefused after {waited:.2f} s (busy_timeout 2 s); waited {through:.2f} s with 15 s")


async def test_console_keeps_the_draft_and_the_selection_while_locked(tmp_path: Path) -> None:
    """Invariant: a refused End Chat or reply leaves the composer's text and the open session
    as they were; the error names the lock; once the lock is gone the reply goes through."""
    path = tmp_path / "console.db"
    url = f"sqlite+aiosqlite:///{path}"
    ctx = await open_ctx(url)
    try:
        sid = await _seed(ctx)
    finally:
        await ctx.db.dispose()

    # End Chat ends at once here (no Undo time): what is under test is the lock.
    app = make_app(
        url, "dana", poll_interval=0.2, timezone=UTC, busy_timeout_ms=1000, end_undo_seconds=0
    )
    notes = record_notifications(app)

    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.loaded)
        screen = app.screen
        assert isinstance(screen, ConsoleScreen) and screen.selected_id == sid
        pane = screen.query_one(ConversationPane)
        composer = pane.query_one("#composer")
        composer.focus()
        await pilot.press(*"half-written reply")
        assert composer.value == "half-written reply"  # type: ignore[attr-defined]

        with lock_held(tmp_path, path, 6.0):
            await pilot.press("ctrl+e")  # End Chat while locked
            await until(pilot, lambda: any("locked" in m for _, m in notes), within=15)
            assert composer.value == "half-written reply"  # type: ignore[attr-defined]
            assert screen.selected_id == sid and screen.detail is not None
            assert screen.detail.session.status == "Active"

            await pilot.press("enter")  # send the reply while locked: refused, text put back
            await until(pilot, lambda: sum("locked" in m for _, m in notes) >= 2, within=15)
            await until(
                pilot,
                lambda: composer.value == "half-written reply",  # type: ignore[attr-defined]
                what="the draft back in the composer",
            )
            assert screen.selected_id == sid
        assert all(sev == "error" for sev, m in notes if "locked" in m)

        await pilot.press("enter")  # the lock is gone: the same reply goes through
        await until(pilot, lambda: composer.value == "", what="the reply to be sent")  # type: ignore[attr-defined]
        await until(
            pilot,
            lambda: (
                screen.detail is not None
                and any(m.text == "half-written reply" for m in screen.detail.messages)
            ),
            within=15,
            what="the reply in the transcript",
        )

    ctx = await open_ctx(url)
    try:
        await finish_with_check(ctx, url)
    finally:
        await ctx.db.dispose()


async def until(pilot: Any, predicate: Any, *, within: float = 20.0, what: str = "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.05)

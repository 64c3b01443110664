"""Row 13 -- the console is killed with an unsent reply in its composer.

Invariant: the draft is in the database a moment after typing stops, so it is back after a
SIGKILL of the real console (run in a terminal of its own) and a restart; a send clears it
only in the transaction that stores the reply -- a send failing at any statement keeps the
draft and stores nothing, the successful one stores the reply and removes the draft together.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from agent_console.domain.errors import StoreError
from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, drafts, presence, routing
from agent_console.services.context import Ctx
from agent_console.store.models import Message
from agent_console.tui.app import make_app
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.widgets.composer import Composer

from .support import Injector, finish_with_check, worker_env

pytestmark = pytest.mark.reliability

ALL = ("enhanced_chat_user", "enhanced_chat_rep", "messaging_agent", "end_messaging_session")
DRAFT = "Your refund is on its way \x1b]52;c;ZXZpbA==\x07 [b]really[/b]"
TYPED = "Your refund is on its way"


async def seed(ctx: Ctx) -> int:
    await agents.add_agent(ctx, "dana", capacity=5, permissions=ALL)
    await presence.set_presence(ctx, "dana", Presence.ONLINE)
    r = await conversations.inbound(ctx, "Bob", "standard_sms", "Where is my refund?")
    await routing.route(ctx)
    return r.session_id


async def agent_messages(ctx: Ctx, sid: int) -> int:
    async with ctx.db.read() as conn:
        return int(
            await conn.scalar(
                select(func.count()).where(
                    Message.session_id == sid, Message.author_kind == "agent"
                )
            )
            or 0
        )


async def test_a_send_clears_the_draft_only_when_it_commits(ctx: Ctx, db_url: str) -> None:
    """Invariant: a fault at any statement of the send keeps the draft and stores no reply;
    the send that goes through stores the reply and removes the draft at once."""
    sid = await seed(ctx)
    await drafts.save_draft(ctx, "dana", sid, DRAFT)
    injector = Injector(ctx)
    n = 0
    while True:
        n += 1
        with injector.failing_at(n):
            try:
                await conversations.send(ctx, "dana", sid, DRAFT, clear_draft=True)
            except StoreError:
                assert injector.fired
            else:
                assert not injector.fired
                break
        assert await drafts.load_draft(ctx, "dana", sid) == DRAFT, n
        assert await agent_messages(ctx, sid) == 0, n
    assert n > 5
    assert await drafts.load_draft(ctx, "dana", sid) == ""
    assert await agent_messages(ctx, sid) == 1
    await finish_with_check(ctx, db_url)


class Terminal:
    """The real console in a pseudo-terminal of its own, as an agent would run it."""

    def __init__(self, url: str, home: Path) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = worker_env() | {"TERM": "xterm-256color", "AGENT_CONSOLE_HOME": str(home)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent_console.cli.main", "--db", url, "--as", "dana"],
            stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
        )  # fmt: skip
        os.close(slave)
        self.master = master
        self.screen = bytearray()
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self) -> None:  # the console must never block on a full terminal
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.screen.extend(data)

    def wait_for(self, text: bytes, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while text not in self.screen:
            assert self.proc.poll() is None, bytes(self.screen[-2000:])
            assert time.monotonic() < deadline, f"{text!r} never shown"
            time.sleep(0.05)

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(timeout=30) == -signal.SIGKILL
        os.close(self.master)


async def test_the_draft_survives_a_killed_console(ctx: Ctx, db_url: str, tmp_path: Path) -> None:
    """Invariant: typed, saved within the debounce, back after SIGKILL and a restart, and
    gone only when the reply is sent."""
    sid = await seed(ctx)
    console = await asyncio.to_thread(Terminal, db_url, tmp_path / "home")
    try:
        # The composer's placeholder, not "My sessions": the sessions are on screen from the
        # first read while the database still opens, the composer once the conversation is.
        await asyncio.to_thread(console.wait_for, b"enter sends")
        console.type("\r")  # open the highlighted session: the composer gets the focus
        await asyncio.sleep(0.5)
        console.type(TYPED)
        deadline = time.monotonic() + 20
        while await drafts.load_draft(ctx, "dana", sid) != TYPED:
            assert time.monotonic() < deadline, "the draft was never saved"
            await asyncio.sleep(0.05)
        saved_after = time.monotonic() - (deadline - 20)
    finally:
        await asyncio.to_thread(console.kill)
    assert await drafts.load_draft(ctx, "dana", sid) == TYPED  # after the crash

    app = make_app(db_url, "dana", timezone=UTC, poll_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.loaded)
        screen = app.screen
        composer = screen.query_one("#composer", Composer)
        await until(pilot, lambda: composer.value == TYPED)
        composer.focus()
        await pilot.press("enter")
        await until(pilot, lambda: composer.value == "")
        deadline = time.monotonic() + 10
        while await agent_messages(ctx, sid) != 1:
            assert time.monotonic() < deadline, "the reply was never stored"
            await pilot.pause(0.05)
    assert await drafts.load_draft(ctx, "dana", sid) == ""
    await finish_with_check(ctx, db_url)
    print(f"\ndraft in the database {saved_after:.2f} s after the keys were sent")


async def until(pilot: Any, predicate: Any, *, within: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {predicate}"
        await pilot.pause(0.05)

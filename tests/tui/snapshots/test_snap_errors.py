"""Snapshots of what goes wrong: a locked database, one that cannot be opened, unknown agents.

Each is a screen or a notification that says what happened in words, never a traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from ..conftest import until
from .conftest import (
    DB_FILE,
    SIZE,
    SMALL,
    ConsoleSnapshot,
    busy_workers,
    console_screen,
    error_screen_shown,
    notified,
    seed_busy_shift,
    seed_empty,
)

BOTH_SIZES = pytest.mark.parametrize("size", [SIZE, SMALL], ids=["120x40", "80x24"])


@pytest.fixture
def write_lock() -> Iterator[list[sqlite3.Connection]]:
    """Holds SQLite's write lock from "another process" once a test takes it; let go at the end."""
    held: list[sqlite3.Connection] = []
    yield held
    for conn in held:
        conn.execute("ROLLBACK")
        conn.close()


@BOTH_SIZES
def test_database_locked_while_ending_a_chat(
    console_snapshot: ConsoleSnapshot,
    size: tuple[int, int],
    write_lock: list[sqlite3.Connection],
) -> None:
    """Another process holds the write lock: End Chat fails after the busy timeout with one
    notification that says so, and the session stays Active on screen."""

    async def end_while_locked(pilot: Pilot[Any]) -> None:
        # The console's own first write (the open session marked read) goes in before the
        # lock is taken: this connection waits synchronously, on the app's event loop.
        await until(pilot, lambda: not busy_workers(pilot.app), what="the console to settle")
        other = sqlite3.connect(DB_FILE, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        write_lock.append(other)
        await pilot.press("ctrl+e")
        await until(
            pilot, lambda: bool(console_screen(pilot).pending_ends), what="End Chat's Undo time"
        )
        pilot.app.clock.advance(seconds=5)  # the fake clock: the end is committed now
        await until(
            pilot,
            lambda: notified(pilot.app, "locked by another process"),
            within=30,
            what="the locked-database notification",
        )
        detail = console_screen(pilot).detail
        assert detail is not None and detail.session.status == "Active"

    assert console_snapshot(
        seed_busy_shift, size=size, run_before=end_while_locked, busy_timeout_ms=200
    )


@BOTH_SIZES
def test_database_cannot_be_opened(
    console_snapshot: ConsoleSnapshot, size: tuple[int, int]
) -> None:
    """The database's folder does not exist: the error screen names the file, q quits."""
    assert console_snapshot(
        None, size=size, ready=error_screen_shown, url="sqlite+aiosqlite:///missing/console.db"
    )


def test_database_file_is_not_a_database(console_snapshot: ConsoleSnapshot) -> None:
    """Garbage where the database should be: refused, the file left untouched."""
    with open(DB_FILE, "wb") as fh:
        fh.write(b"this is not a database, it is a grocery list\n" * 100)
    assert console_snapshot(None, ready=error_screen_shown)


def test_unknown_agent(console_snapshot: ConsoleSnapshot) -> None:
    """An agent name the database does not know (markup in it shown literally)."""
    assert console_snapshot(seed_empty, agent="nobody[/b]", ready=error_screen_shown)


def test_no_agent_given(console_snapshot: ConsoleSnapshot) -> None:
    """No --as NAME and no agent in config.toml: says how to choose one."""
    assert console_snapshot(None, agent=None, ready=error_screen_shown)

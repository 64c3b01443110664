"""Appending to the change feed, in commit order.

A writing transaction says what it touched as it goes (:func:`record_changes`); the rows are
written when it is about to commit (:func:`flush_changes`, called by ``Database.write``).
On PostgreSQL they are written under a transaction-level advisory lock, so each writer's
``seq`` values come after those of every transaction that committed before it: a reader that
has seen ``seq`` N has seen every change up to N, and can ask for "after N" without missing
one that committed late. (A sequence alone gives no such order: a transaction may take a
number, then commit after one that took a higher number.) The lock is taken last, after every
row lock of the transaction, so it cannot be part of a deadlock; it is held only while the
rows are inserted and the transaction commits. SQLite needs no lock: its writers take turns.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, Select, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from .models import Change

#: The channel the pulses go out on (``domain/pulse.py``), and the advisory lock their one
#: sender holds (a listener trusts only the pulses of the backend that holds it).
PULSE_CHANNEL = "agent_console_pulse"
SENDER_LOCK = 0x61_67_70_75_6C_73  # "agpuls"
#: The advisory lock that orders appends to the change feed (any constant shared by writers).
APPEND_LOCK = 0x61_67_63_6F_6E_73  # "agcons"
_PENDING = "agent_console.pending_changes"

Pending = list[tuple[Executable, list[dict[str, object]] | None]]


#: Built once: every write transaction runs them (``store/prebuilt.py`` says why).
_INSERT_CHANGES = insert(Change)
_APPEND_LOCKED = text("SELECT pg_advisory_xact_lock(:k)")


def _pending(conn: AsyncConnection) -> Pending:
    pending: Pending = conn.info.setdefault(_PENDING, [])
    return pending


async def record_changes(
    conn: AsyncConnection, now: datetime, kind: str, items: Iterable[tuple[int | None, int | None]]
) -> None:
    """The change feed gets a row per (session_id, agent_id) pair when this transaction
    commits (async for the callers' sake; nothing is written yet)."""
    rows: list[dict[str, object]] = [
        {"at": now, "kind": kind, "session_id": s, "agent_id": a} for s, a in items
    ]
    if rows:
        _pending(conn).append((_INSERT_CHANGES, rows))


def record_selected_changes(
    conn: AsyncConnection, kind: str, rows: Select[*tuple[Any, ...]]
) -> None:
    """Like :func:`record_changes` for many rows: ``rows`` selects (at, kind, session_id,
    agent_id), evaluated when the transaction commits (e.g. every session a bulk end ended)."""
    stmt = insert(Change).from_select(["at", "kind", "session_id", "agent_id"], rows)
    _pending(conn).append((stmt, None))


def discard_changes(conn: AsyncConnection) -> None:
    """Forget what a transaction that is rolling back had recorded."""
    conn.info.pop(_PENDING, None)


async def flush_changes(conn: AsyncConnection) -> None:
    """Write what the transaction recorded, in commit order (see the module's docstring)."""
    pending = conn.info.pop(_PENDING, None)
    if not pending:
        return
    if conn.dialect.name == "postgresql":
        await conn.execute(_APPEND_LOCKED, {"k": APPEND_LOCK})
    for stmt, rows in pending:
        if rows is None:
            await conn.execute(stmt)
        else:
            await conn.execute(stmt, rows)

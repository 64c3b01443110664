"""The console's first screen read from a SQLite file with the standard library's ``sqlite3``.

SQLAlchemy takes ~0.4 s to import, more than a bare Textual app takes to start; what the first
screen shows (the agent, the settings, the agent's tabs and their needs) is six small reads.
This module does those reads without it, so the sessions can be on screen before SQLAlchemy
has loaded.

It is an optimisation, never a second source of truth: anything it does not expect (no file,
a schema not at :data:`~.revision.HEAD_REVISION`, an unknown agent, a locked or damaged file)
gives ``None`` and the console takes its usual path, which says what is wrong. The statements
are the services' (``services.tabs``, ``queries.agent_row``, ``queries.load_policy``,
``reading._needs_statements``) written out for SQLite; a test holds their rows equal to the
services' on seeded databases.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from ..domain.text import unstorable
from ..domain.vocab import LIVE_STATUSES, AuthorKind, SessionStatus
from .revision import HEAD_REVISION, VERSION_TABLE

#: How long a read waits for a writer's lock before giving up (the usual path then waits).
BUSY_TIMEOUT_S = 0.2

_AGENT = "SELECT * FROM agents WHERE name = ?"
_SETTINGS = "SELECT key, value FROM settings"
_LIVE = ", ".join("?" for _ in LIVE_STATUSES)
#: ``services.tabs._tabs``: the oldest live sessions, the newest ended ones with a tab open.
_TABS = f"""
SELECT sessions.*, owner.name AS owner_name, customers.name AS customer_name
FROM sessions
JOIN customers ON customers.id = sessions.customer_id
LEFT OUTER JOIN agents AS owner ON owner.id = sessions.owner_id
WHERE sessions.id IN (
    SELECT id FROM (
        SELECT id FROM sessions WHERE owner_id = ? AND status IN ({_LIVE})
        ORDER BY id LIMIT ?
    )
    UNION ALL
    SELECT id FROM (
        SELECT id FROM sessions WHERE owner_id = ? AND status = ? AND tab_open = 1
        ORDER BY id DESC LIMIT ?
    )
)
ORDER BY sessions.id
"""
#: ``services.reading._needs_statements``, written out for SQLite: per session of a JSON
#: array of ids, the customer lines after the agent's read marker and the newest customer and
#: agent line; the head of the newest customer lines; the sessions' end records.
_NEEDS_COUNTS = """
SELECT messages.session_id,
       sum(CASE WHEN messages.author_kind = ?
                 AND messages.id > coalesce(read_markers.last_read_message_id, 0)
            THEN 1 ELSE 0 END),
       max(CASE WHEN messages.author_kind = ? THEN messages.id END),
       max(CASE WHEN messages.author_kind = ? THEN messages.id END)
FROM messages
LEFT OUTER JOIN read_markers
    ON read_markers.agent_id = ? AND read_markers.session_id = messages.session_id
WHERE messages.session_id IN (SELECT value FROM json_each(?))
    AND messages.author_kind IN (?, ?)
GROUP BY messages.session_id
"""
_NEEDS_LINES = """
SELECT session_id, id, substr(text, 1, ?) AS head, created_at
FROM messages WHERE id IN (SELECT value FROM json_each(?))
"""
_NEEDS_ENDS = """
SELECT session_id, agent_id, actor_kind, actor
FROM end_records WHERE session_id IN (SELECT value FROM json_each(?))
"""


@dataclass(frozen=True)
class NeedsRows:
    """The rows of the needs reads, as ``services.row_views.session_needs_from_rows`` takes
    them."""

    counts: list[tuple[Any, ...]]
    lines: list[Any]
    ends: list[Any]


@dataclass(frozen=True)
class FirstRows:
    """The rows of the first screen, shaped as the services' reads return them (attribute
    access, aware UTC datetimes)."""

    agent: Any
    settings: dict[str, str]
    sessions: list[Any]
    needs: NeedsRows


def read_first_rows(
    path: Path, agent: str, *, live_window: int, ended_window: int, line_chars: int
) -> FirstRows | None:
    """The agent's row, the settings, the agent's tabs and their needs (the newest customer
    line's first ``line_chars`` characters), in one read transaction; ``None``
    when anything is not as expected (see the module's docstring)."""
    if unstorable(agent) is not None or not path.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error:
        return None
    try:
        conn.execute("BEGIN")  # one snapshot of the file for every read
        return _read(conn, agent, live_window, ended_window, line_chars)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _read(
    conn: sqlite3.Connection, agent: str, live_window: int, ended_window: int, line_chars: int
) -> FirstRows | None:
    if not _at_head(conn):
        return None
    agent_row = _rows(conn, "agents", _AGENT, (agent,))
    if not agent_row:
        return None
    me = agent_row[0]
    settings = {str(k): str(v) for k, v in conn.execute(_SETTINGS)}
    live = sorted(status.value for status in LIVE_STATUSES)
    params = (me.id, *live, live_window, me.id, SessionStatus.ENDED.value, ended_window)
    sessions = _rows(conn, "sessions", _TABS, params)
    needs = _needs(conn, me.id, [row.id for row in sessions], line_chars)
    return FirstRows(agent=me, settings=settings, sessions=sessions, needs=needs)


def _needs(conn: sqlite3.Connection, agent_id: int, ids: list[int], line_chars: int) -> NeedsRows:
    if not ids:
        return NeedsRows([], [], [])
    customer, agent = AuthorKind.CUSTOMER.value, AuthorKind.AGENT.value
    chosen = json.dumps(ids)
    params = (customer, customer, agent, agent_id, chosen, customer, agent)
    counts = [tuple(row) for row in conn.execute(_NEEDS_COUNTS, params)]
    newest = json.dumps([int(row[2]) for row in counts if row[2] is not None])
    lines = _rows(conn, "messages", _NEEDS_LINES, (line_chars, newest))
    ends = _rows(conn, "end_records", _NEEDS_ENDS, (chosen,))
    return NeedsRows(counts=counts, lines=lines, ends=ends)


def _at_head(conn: sqlite3.Connection) -> bool:
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
    ).fetchone()
    if found is None:
        return False
    versions = [str(v) for (v,) in conn.execute(f"SELECT version_num FROM {VERSION_TABLE}")]
    return versions == [HEAD_REVISION]


def _rows(
    conn: sqlite3.Connection, table: str, sql: str, params: Iterable[Any]
) -> list[SimpleNamespace]:
    """The rows of ``sql`` with attribute access; ``table``'s DATETIME columns as aware UTC
    datetimes (stored naive UTC, as ``store.types.UTCDateTime`` writes them)."""
    stamps = _datetime_columns(conn, table)
    cursor = conn.execute(sql, tuple(params))
    names = [d[0] for d in cursor.description]
    out = []
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        for name in stamps.intersection(row):
            row[name] = _utc(row[name])
        out.append(SimpleNamespace(**row))
    return out


def _datetime_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {
        str(name)
        for _cid, name, declared, *_ in conn.execute(f"PRAGMA table_info({table})")
        if str(declared).upper() == "DATETIME"
    }


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return stamp.replace(tzinfo=UTC)

"""What one shared reading transaction has read already (``Database.one_read``).

Inside one reading transaction the database cannot change under the reader, so a row read
twice (the agent, the settings: a console's refresh reads them from several services) is
read once. Outside ``one_read`` there is no memo and every read goes to the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.ext.asyncio import AsyncConnection

_KEY = "agent_console.read_memo"


def read_memo(conn: AsyncConnection) -> dict[tuple[object, ...], object] | None:
    """The memo of the shared read ``conn`` is in, or None."""
    memo: dict[tuple[object, ...], object] | None = conn.info.get(_KEY)
    return memo


@contextmanager
def memo_for(conn: AsyncConnection) -> Iterator[None]:
    """Reads on ``conn`` inside share a memo (the connection's info outlives the
    transaction, so the memo is removed after it)."""
    conn.info[_KEY] = {}
    try:
        yield
    finally:
        conn.info.pop(_KEY, None)

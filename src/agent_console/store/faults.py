"""Driver errors told apart by type: SQLite's result code, asyncpg's exception classes.

:func:`sqlite_fault` reads ``sqlite3.Error.sqlite_errorname`` (its primary code, e.g.
``SQLITE_BUSY`` of ``SQLITE_BUSY_SNAPSHOT``); :func:`postgres_fault` looks for asyncpg's
classes along the chain SQLAlchemy builds (``DBAPIError.orig``, then ``__cause__``) and for
the OS errors a connect raises. Each answers a :class:`Fault` (domain.errors) or ``None``
(no special words).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError

from ..domain.errors import Fault

_SQLITE: dict[str, Fault] = {
    "SQLITE_BUSY": Fault.LOCKED,
    "SQLITE_FULL": Fault.DISK_FULL,
    "SQLITE_READONLY": Fault.READ_ONLY,
    "SQLITE_NOTADB": Fault.CORRUPT,
    "SQLITE_CORRUPT": Fault.CORRUPT,
    "SQLITE_CANTOPEN": Fault.CANNOT_OPEN,
}


def chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, the driver's exception SQLAlchemy wrapped (``orig``), and their causes."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo.append(getattr(e, "orig", None) if isinstance(e, DBAPIError) else None)
        todo.append(e.__cause__)


def sqlite_fault(exc: BaseException) -> Fault | None:
    """The fault an SQLite result code names (the primary code of an extended one)."""
    for e in chain(exc):
        # An error made in Python (not by SQLite) has no result code: no special words.
        name = getattr(e, "sqlite_errorname", None) if isinstance(e, sqlite3.Error) else None
        if name:
            return _SQLITE.get("_".join(name.split("_")[:2]))
    return None


def postgres_fault(exc: BaseException) -> Fault | None:
    """The fault asyncpg's exception classes (or a connect's OS error) name."""
    # Loaded with the PostgreSQL dialect; never imported for SQLite.
    from asyncpg import exceptions as pg  # type: ignore[import-untyped]

    lost = (
        pg.ConnectionDoesNotExistError,  # the connection closed in the middle of an operation
        pg.AdminShutdownError,  # terminating connection (pg_terminate_backend, a shutdown)
        pg.CrashShutdownError,
        pg.IdleSessionTimeoutError,
        pg.IdleInTransactionSessionTimeoutError,
        ConnectionResetError,
    )
    errors = list(chain(exc))
    # SQLAlchemy's is_disconnect asks asyncpg whether the connection is closed.
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return Fault.LOST
    if any(isinstance(e, lost) for e in errors):
        return Fault.LOST
    if any(isinstance(e, OSError) for e in errors):  # refused, no such host, timed out
        return Fault.UNREACHABLE
    if any(isinstance(e, pg.InvalidPasswordError) for e in errors):
        return Fault.LOGIN_REFUSED
    if any(isinstance(e, pg.InvalidCatalogNameError) for e in errors):
        return Fault.NO_DATABASE
    if any(isinstance(e, pg.InsufficientPrivilegeError) for e in errors):
        return Fault.DENIED
    return None

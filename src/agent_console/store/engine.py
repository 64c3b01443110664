"""Opening the database: SQLite (embedded default) or PostgreSQL, with clear errors.

Every unit of work that writes runs in :meth:`Database.write`, which on SQLite starts with
``BEGIN IMMEDIATE`` (SQLAlchemy's documented aiosqlite event-hook recipe): SQLite has no
``SELECT ... FOR UPDATE`` and a deferred read-then-write transaction fails at once when another
writer got there first, while an immediate one waits ``busy_timeout`` for the lock.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from ..domain.errors import Fault, StoreError
from .change_log import discard_changes, flush_changes
from .faults import postgres_fault, sqlite_fault
from .read_memo import memo_for
from .url import DatabaseURL, sqlite_file

log = logging.getLogger(__name__)

SQLITE_HEADER = b"SQLite format 3\x00"
NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "fuse.sshfs",
        "sshfs",
        "fuse.s3fs",
        "fuse.gcsfuse",
        "glusterfs",
        "ceph",
        "lustre",
        "davfs",
        "fuse.davfs2",
    }
)


def redact(url: str | URL) -> str:
    """``url`` for messages, password hidden (:meth:`DatabaseURL.redacted`)."""
    text = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    return DatabaseURL(text).redacted()


def _mount_type(path: Path) -> str | None:
    """The filesystem type of the mount holding ``path`` (Linux /proc/mounts), if known."""
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    best, best_type = "", None
    target = str(path)
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(mount) > len(
            best
        ):
            best, best_type = mount, parts[2]
    return best_type


#: SQLite files this process has an open engine on (resolved path -> how many engines).
#: POSIX advisory locks belong to the process, and closing ANY descriptor of a file drops
#: all of them: reading the header of a database this process already uses would silently
#: release its SQLite locks, and another process could then checkpoint and delete the WAL
#: index under it ("disk I/O error", see sqlite.org/howtocorrupt.html, 2.2). Such a file
#: was checked when its first engine opened it, so it is not opened again.
_OPEN_SQLITE_FILES: Counter[str] = Counter()


def check_sqlite_file(path: Path, *, create_dir: bool = False) -> None:
    """Refuse a file SQLite must not be used on, without touching it. A directory made for it
    (``create_dir``) is the user's alone (mode 0700)."""
    directory = path.parent
    if not directory.exists():
        if not create_dir:
            raise StoreError(f"cannot open database {path}: directory {directory} does not exist")
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fstype = _mount_type(directory.resolve())
    if fstype in NETWORK_FILESYSTEMS:
        raise StoreError(
            f"cannot open database {path}: it is on a network filesystem ({fstype}); SQLite "
            "locking is unreliable there -- use a local disk or PostgreSQL"
        )
    if path.exists():
        if not path.is_file():
            raise StoreError(f"cannot open database {path}: not a regular file")
        header = b""
        if str(path.resolve()) not in _OPEN_SQLITE_FILES:
            with path.open("rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
        if header and header != SQLITE_HEADER:
            raise StoreError(
                f"cannot open database {path}: not an SQLite database (left untouched)"
            )
        if not os.access(path, os.W_OK):
            raise StoreError(f"cannot open database {path}: the file is read-only (left untouched)")
    if not os.access(directory, os.W_OK):
        raise StoreError(
            f"cannot open database {path}: directory {directory} is read-only "
            "(SQLite needs it for its write-ahead log)"
        )


def create_private_sqlite_file(path: Path) -> None:
    """Create the database file, empty, readable and writable by its owner only (mode 0600),
    unless it exists. SQLite gives its journal and write-ahead log the file's mode; a file
    created by SQLite itself would be readable by everyone the umask lets read it (0644 with
    the usual 022): an SQLite console is one person's, holding customers' conversations.
    (An empty file is an empty SQLite database.)"""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return  # someone else created it first: it is theirs as it is
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {exc.strerror}") from None
    os.close(fd)


#: The reading transaction :meth:`Database.one_read` shares: (database, connection, task).
_SHARED_READ: ContextVar[tuple[Database, AsyncConnection, asyncio.Task[Any] | None] | None] = (
    ContextVar("agent_console_shared_read", default=None)
)


@dataclass
class Database:
    """An open database: the engine plus how to start reading and writing units of work."""

    engine: AsyncEngine
    url: URL
    busy_timeout_ms: int
    sqlite_file: str | None = None  # the resolved path, while this engine is open
    #: SQLite: this process's writers take turns here before BEGIN IMMEDIATE. SQLite's own
    #: busy handler polls with sleeps of up to 100 ms, so writers of one process that queue
    #: on the file lock leave it idle between turns; an asyncio lock hands it over at once.
    _write_turn: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def display_url(self) -> str:
        return redact(self.url)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """One writing transaction (BEGIN IMMEDIATE on SQLite); commits on success, after
        appending what it recorded to the change feed (``change_log.flush_changes``)."""
        if self._shared_read() is not None:
            raise RuntimeError("a write inside one_read: it would wait on its own connection")
        with self._translated():
            if self.is_sqlite:
                async with self._write_turn, self.engine.connect() as conn, conn.begin():
                    discard_changes(conn)  # nothing left by a transaction that rolled back
                    yield conn
                    await flush_changes(conn)
            else:
                async with self.engine.connect() as conn, conn.begin():
                    discard_changes(conn)
                    yield conn
                    await flush_changes(conn)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """Reading, with no write lock taken. Inside :meth:`one_read`, the task's reads share
        its connection instead.

        SQLite: one deferred transaction, a consistent snapshot of the file. PostgreSQL: no
        transaction -- at READ COMMITTED each statement reads its own snapshot whether or not
        a BEGIN came first, so a BEGIN and a COMMIT around reads would only add two round trips
        (two of a console refresh's nine; ``bench/floor_costs.py``)."""
        shared = self._shared_read()
        with self._translated():
            if shared is not None:
                yield shared
                return
            async with self.engine.connect() as conn:
                if self.is_sqlite:
                    await conn.execution_options(sqlite_begin="DEFERRED")
                else:
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                async with conn.begin():
                    yield conn

    @asynccontextmanager
    async def bare(self) -> AsyncIterator[AsyncConnection]:
        """A connection from the pool with no transaction begun, for a caller that sends one
        statement on the driver's own connection (the change feed's poll); errors as
        :meth:`read`'s."""
        with self._translated():
            async with self.engine.connect() as conn:
                yield conn

    @asynccontextmanager
    async def one_read(self) -> AsyncIterator[AsyncConnection]:
        """One connection for every :meth:`read` the current task makes inside: a screen's
        refresh made of several services' reads checks out one connection, reads each row
        once (``read_memo``), and on SQLite is one transaction, one snapshot. (A task started
        inside reads on its own.)"""
        async with self.read() as conn:
            token = _SHARED_READ.set((self, conn, asyncio.current_task()))
            try:
                with memo_for(conn):
                    yield conn
            finally:
                _SHARED_READ.reset(token)

    def _shared_read(self) -> AsyncConnection | None:
        """The connection of the :meth:`one_read` this task is inside, if any."""
        shared = _SHARED_READ.get()
        if shared is not None and shared[0] is self and shared[2] is asyncio.current_task():
            return shared[1]
        return None

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Driver errors inside come out as :meth:`translate` makes them."""
        try:
            yield
        except (SQLAlchemyError, OSError) as exc:
            raise self.translate(exc) from exc

    def translate(self, exc: BaseException) -> BaseException:
        """Turn a driver error into one line a person can act on (never a password); the
        log gets that line and the driver's own first line."""
        if isinstance(exc, StoreError | IntegrityError):
            return exc  # a constraint says "already there": the caller knows what that means
        out = self._translate(exc)
        if isinstance(out, StoreError):
            raw = _first_line(str(getattr(exc, "orig", None) or exc), self.url)
            log.warning("%s [driver: %s: %s]", out, type(exc).__name__, raw)
        return out

    def _translate(self, exc: BaseException) -> BaseException:
        text = str(getattr(exc, "orig", None) or exc)
        where = self.display_url
        fault = sqlite_fault(exc) if self.is_sqlite else postgres_fault(exc)
        if fault is Fault.LOCKED:
            secs = self.busy_timeout_ms / 1000
            return StoreError(
                f"the database is locked by another process (waited {secs:g} s): {where}",
                fault=fault,
            )
        if fault is Fault.DISK_FULL:
            return StoreError(f"the disk is full; nothing was written: {where}", fault=fault)
        if fault is Fault.READ_ONLY:
            return StoreError(
                f"the database is read-only; nothing was written: {where}", fault=fault
            )
        if fault is Fault.CORRUPT:
            return StoreError(
                f"the database file is corrupt (left untouched): {where}", fault=fault
            )
        if fault is Fault.CANNOT_OPEN:
            return StoreError(f"cannot open the database file: {where}", fault=fault)
        if fault is Fault.LOST:
            return StoreError(
                f"lost the connection to PostgreSQL at {where}; try again: "
                f"{_first_line(text, self.url)}",
                fault=fault,
            )
        if fault is Fault.UNREACHABLE:
            return StoreError(
                f"cannot reach PostgreSQL at {where}: {_first_line(text, self.url)}", fault=fault
            )
        if fault is Fault.LOGIN_REFUSED:
            return StoreError(
                f"PostgreSQL refused the login for {where}: wrong user or password", fault=fault
            )
        if fault is Fault.NO_DATABASE:
            return StoreError(f"PostgreSQL has no such database: {where}", fault=fault)
        if fault is Fault.DENIED:
            role = self.url.username or "this role"
            return StoreError(
                f"the database refused it for {role}; nothing was changed: "
                f"{_first_line(text, self.url)}",
                fault=fault,
            )
        if isinstance(exc, DBAPIError):
            return StoreError(f"database error on {where}: {_first_line(text, self.url)}")
        return exc

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.sqlite_file is not None:
            _OPEN_SQLITE_FILES[self.sqlite_file] -= 1
            if _OPEN_SQLITE_FILES[self.sqlite_file] <= 0:
                del _OPEN_SQLITE_FILES[self.sqlite_file]
            self.sqlite_file = None


def _first_line(text: str, url: URL) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "unknown error"
    if url.password:
        line = line.replace(str(url.password), "***")
    return line[:300]


def _install_sqlite_hooks(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take BEGIN out of the driver's hands; the "begin" hook below emits our own.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def sqlite_path(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for ``:memory:`` and ``file:`` URIs."""
    return sqlite_file(url.database)


def open_database(
    url: str | URL,
    *,
    busy_timeout_ms: int = 5000,
    create_dir: bool = False,
    pool_size: int = 5,
    max_overflow: int | None = None,
    pre_ping: bool = True,
) -> Database:
    """Create the engine for ``url`` after refusing files SQLite must not touch.

    PostgreSQL: ``pool_size`` connections are kept open, and up to ``max_overflow`` more
    (default: as many) are opened at a peak and closed after it."""
    try:
        parsed = make_url(url)
    except Exception:
        raise StoreError(f"malformed database URL: {redact(str(url))}") from None
    backend = parsed.get_backend_name()
    sqlite_file = None
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
        path = sqlite_path(parsed)
        if path is not None:
            check_sqlite_file(path, create_dir=create_dir)
            create_private_sqlite_file(path)
            parsed = parsed.set(database=str(path))
            sqlite_file = str(path.resolve())
        engine = (
            create_async_engine(
                parsed, connect_args={"timeout": busy_timeout_ms / 1000}, poolclass=NullPool
            )
            if path is None
            else create_async_engine(parsed, connect_args={"timeout": busy_timeout_ms / 1000})
        )
        _install_sqlite_hooks(engine, busy_timeout_ms)
    elif backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
        engine = create_async_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=pool_size if max_overflow is None else max_overflow,
            # A round trip per checkout that finds a dead connection before it is used. A
            # caller that retries a transaction lost with its connection may go without it.
            pool_pre_ping=pre_ping,
            connect_args={"timeout": 10, "server_settings": {"application_name": "agent-console"}},
        )
    else:
        raise StoreError(
            f"unsupported database URL {redact(parsed)}: use sqlite+aiosqlite:///PATH "
            "or postgresql+asyncpg://USER:PASSWORD@HOST/DB"
        )
    if sqlite_file is not None:
        _OPEN_SQLITE_FILES[sqlite_file] += 1
    return Database(
        engine=engine, url=parsed, busy_timeout_ms=busy_timeout_ms, sqlite_file=sqlite_file
    )

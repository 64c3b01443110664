"""Opening the store on bad input: every problem is one-line StoreError, and a file that is not
ours (or that we may not write) is left exactly as it was.

These are SQLite-file and URL tests (each builds its own path or URL); the pragma test reads
the settings back through ``ctx.db.read()``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from agent_console.domain.errors import StoreError
from agent_console.services import agents
from agent_console.services.runtime import open_ctx
from agent_console.store import engine
from agent_console.store.engine import open_database
from agent_console.store.models import Message
from agent_console.store.url import DatabaseURL
from conftest import PG_URL, REQUIRE_PG, T0, FakeClock


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _digest(path: Path) -> tuple[str, int]:
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), len(data)


def _names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def _one_line(exc: BaseException) -> str:
    msg = str(exc)
    assert msg and "\n" not in msg and "Traceback" not in msg
    return msg


def _chain(exc: BaseException | None) -> str:
    """Every message in the exception chain (what a traceback in a log would show)."""
    parts = []
    while exc is not None:
        parts.append(f"{type(exc).__name__}: {exc!r} {exc}")
        exc = exc.__cause__ or exc.__context__
    return "\n".join(parts)


async def _make_db(path: Path) -> None:
    ctx = await open_ctx(_url(path), clock=FakeClock())
    await agents.add_agent(ctx, "dana")
    await ctx.db.dispose()


# Not an SQLite file ------------------------------------------------------------------------

NOT_SQLITE = [
    pytest.param(b"%PDF-1.7\n" + b"x" * 5000, id="pdf"),
    pytest.param(b"hello, I am a text file\n" * 200, id="text"),
    pytest.param(b"SQLite format 2\x00" + b"\x00" * 4080, id="almost-the-header"),
]


@pytest.mark.parametrize("content", NOT_SQLITE)
async def test_not_an_sqlite_file_is_refused_and_left_untouched(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    os.utime(path, (1_000_000, 1_000_000))
    before = (_digest(path), path.stat().st_mtime)

    with pytest.raises(StoreError) as exc:
        open_database(_url(path))
    assert "not an SQLite database" in _one_line(exc.value)
    with pytest.raises(StoreError) as exc2:
        await open_ctx(_url(path))
    assert "not an SQLite database" in _one_line(exc2.value)

    assert (_digest(path), path.stat().st_mtime) == before
    assert _names(tmp_path) == ["notes.db"]  # no -wal, no -shm


async def test_a_corrupt_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "broken.db"
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8176)
    before = _digest(path)
    with pytest.raises(StoreError) as exc:
        await open_ctx(_url(path))
    msg = _one_line(exc.value)
    assert "corrupt" in msg or "not a database" in msg
    assert _digest(path) == before


# Read-only ---------------------------------------------------------------------------------


def _immutable(path: Path, on: bool) -> bool:
    """chattr +i / -i; True if it worked (root needs CAP_LINUX_IMMUTABLE)."""
    if shutil.which("chattr") is None:
        return False
    flag = "+i" if on else "-i"
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


@pytest.fixture
def read_only() -> Iterator[list[Path]]:
    """Make paths read-only for real; chmod alone does not stop root, so root also gets
    the immutable attribute. Fails (not skips) if neither can be done here."""
    made: list[Path] = []

    def cleanup() -> None:
        for p in made:
            _immutable(p, False)
            p.chmod(0o755 if p.is_dir() else 0o644)

    yield made
    cleanup()


def _make_read_only(path: Path, made: list[Path]) -> str:
    made.append(path)
    path.chmod(0o555 if path.is_dir() else 0o444)
    if not os.access(path, os.W_OK):
        return "chmod"
    # Running as root: permission bits do not apply, os.access says writable.
    if _immutable(path, True) and not os.access(path, os.W_OK):
        return "chattr +i"
    pytest.fail(
        f"cannot make {path} read-only for uid {os.geteuid()}: chmod is bypassed and "
        "chattr +i is not permitted (no CAP_LINUX_IMMUTABLE)"
    )


async def test_read_only_database_file_is_refused_and_left_untouched(
    tmp_path: Path, read_only: list[Path]
) -> None:
    path = tmp_path / "console.db"
    await _make_db(path)
    before = _digest(path)
    how = _make_read_only(path, read_only)

    with pytest.raises(StoreError) as exc:
        await open_ctx(_url(path))

    assert "read-only" in _one_line(exc.value), how
    assert _digest(path) == before
    assert _names(tmp_path) == ["console.db"]


async def test_read_only_directory_is_refused_and_nothing_created(
    tmp_path: Path, read_only: list[Path]
) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    how = _make_read_only(directory, read_only)
    path = directory / "console.db"

    with pytest.raises(StoreError) as exc:
        await open_ctx(_url(path))

    msg = _one_line(exc.value)
    assert "read-only" in msg and str(directory) in msg, how
    assert _names(directory) == []


# Missing directory, network filesystem -----------------------------------------------------


async def test_missing_directory_is_refused_and_nothing_created(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "dir" / "console.db"
    with pytest.raises(StoreError) as exc:
        open_database(_url(path))
    assert "does not exist" in _one_line(exc.value)
    with pytest.raises(StoreError):
        await open_ctx(_url(path))
    assert not (tmp_path / "no").exists()
    assert _names(tmp_path) == []


async def test_missing_directory_is_created_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "new" / "console.db"
    ctx = await open_ctx(_url(path), create_dir=True)
    try:
        assert await agents.list_agents(ctx) == []
    finally:
        await ctx.db.dispose()
    assert path.is_file()


async def test_a_new_database_and_its_write_ahead_log_are_for_their_owner_only(
    tmp_path: Path,
) -> None:
    """Created with the usual umask (022), a file SQLite made itself would be 0644: readable
    by every user of the machine, with customers' conversations in it."""
    path = tmp_path / "console.db"
    old_umask = os.umask(0o022)
    try:
        ctx = await open_ctx(_url(path), clock=FakeClock(T0))
    finally:
        os.umask(old_umask)
    try:
        await agents.add_agent(ctx, "dana")
        async with ctx.db.read() as conn:  # an open connection keeps the log in place
            await conn.execute(text("SELECT 1"))
            wal = tmp_path / "console.db-wal"
            assert wal.is_file()
            assert stat.S_IMODE(wal.stat().st_mode) == 0o600
    finally:
        await ctx.db.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_an_existing_database_keeps_the_mode_its_owner_gave_it(tmp_path: Path) -> None:
    path = tmp_path / "console.db"
    sqlite3.connect(path).close()  # an empty database, made by someone else
    path.chmod(0o640)
    ctx = await open_ctx(_url(path))
    await ctx.db.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("fstype", ["nfs", "nfs4", "cifs", "fuse.sshfs"])
async def test_network_filesystem_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fstype: str
) -> None:
    monkeypatch.setattr(engine, "_mount_type", lambda _path: fstype)
    path = tmp_path / "console.db"
    with pytest.raises(StoreError) as exc:
        await open_ctx(_url(path))
    msg = _one_line(exc.value)
    assert "network filesystem" in msg and fstype in msg
    assert _names(tmp_path) == []


async def test_local_filesystem_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "_mount_type", lambda _path: "ext4")
    ctx = await open_ctx(_url(tmp_path / "console.db"))
    await ctx.db.dispose()


# Locked ------------------------------------------------------------------------------------


@pytest.mark.timing
async def test_locked_database_write_fails_fast_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "console.db"
    ctx = await open_ctx(_url(path), clock=FakeClock(), busy_timeout_ms=300)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        start = time.monotonic()
        with pytest.raises(StoreError) as exc:
            await agents.add_agent(ctx, "dana")
        elapsed = time.monotonic() - start
        msg = _one_line(exc.value)
        assert "locked by another process" in msg
        assert 0.25 <= elapsed < 1.0, elapsed
        # WAL: readers are not blocked by the other writer.
        assert await agents.list_agents(ctx) == []
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await agents.list_agents(ctx) == []  # nothing was written
    await agents.add_agent(ctx, "dana")  # and the lock is gone
    assert [a.name for a in await agents.list_agents(ctx)] == ["dana"]
    await ctx.db.dispose()
    print(f"locked write refused after {elapsed:.3f} s (busy_timeout 300 ms)")


# PostgreSQL and URLs -----------------------------------------------------------------------


async def test_unreachable_postgresql_is_one_line_without_the_password() -> None:
    url = "postgresql+asyncpg://u:s3cret@127.0.0.1:1/db"
    start = time.monotonic()
    with pytest.raises(StoreError) as exc:
        await open_ctx(url)
    elapsed = time.monotonic() - start
    msg = _one_line(exc.value)
    assert "s3cret" not in msg
    assert "PostgreSQL" in msg and "127.0.0.1" in msg
    assert "s3cret" not in _chain(exc.value)
    assert elapsed < 5, elapsed


BAD_URLS = [
    pytest.param("not a url at all", id="words"),
    pytest.param("postgresql+asyncpg://u:s3cret@host:notaport/db", id="bad-port"),
    pytest.param("mysql+aiomysql://u:s3cret@127.0.0.1/db", id="unsupported"),
    pytest.param("://u:s3cret@/", id="no-scheme"),
]


@pytest.mark.parametrize("url", BAD_URLS)
async def test_malformed_url_is_a_store_error(url: str) -> None:
    with pytest.raises(StoreError) as exc:
        open_database(url)
    msg = _one_line(exc.value)
    assert "s3cret" not in msg
    with pytest.raises(StoreError):
        await open_ctx(url)


def _real_pg(**changes: str) -> str:
    """The test PostgreSQL server's URL with some parts changed (skipped like the fixture)."""
    if PG_URL is None:
        if REQUIRE_PG:
            pytest.fail("AGENT_CONSOLE_REQUIRE_PG is set but AGENT_CONSOLE_TEST_PG_URL is not")
        pytest.skip("PostgreSQL variant: set AGENT_CONSOLE_TEST_PG_URL (CI does)")
    return str(DatabaseURL(PG_URL).replace(**changes))


async def test_postgresql_missing_database_is_one_line_without_the_password() -> None:
    url = _real_pg(database="agent_console_no_such_db")
    password = DatabaseURL(url).password
    with pytest.raises(StoreError) as exc:
        await open_ctx(url)
    msg = _one_line(exc.value)
    assert msg.startswith("PostgreSQL has no such database")
    assert password and str(password) not in _chain(exc.value)


async def test_postgresql_wrong_password_is_one_line_without_the_password() -> None:
    url = _real_pg(password="s3cret-wrong")
    with pytest.raises(StoreError) as exc:
        await open_ctx(url)
    msg = _one_line(exc.value)
    assert "refused the login" in msg and "wrong user or password" in msg
    assert "s3cret" not in _chain(exc.value)


# Pragmas -----------------------------------------------------------------------------------


async def test_sqlite_pragmas_are_set_on_every_connection(tmp_path: Path) -> None:
    ctx = await open_ctx(_url(tmp_path / "console.db"), clock=FakeClock(), busy_timeout_ms=1234)
    try:
        async with ctx.db.read() as a, ctx.db.read() as b:
            for conn in (a, b):
                got = {
                    name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                    for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
                }
                assert got == {
                    "journal_mode": "wal",
                    "foreign_keys": 1,
                    "synchronous": 2,  # FULL
                    "busy_timeout": 1234,
                }
        # foreign_keys is enforced, not just reported: a message for no session is refused.
        with pytest.raises(IntegrityError):
            async with ctx.db.write() as conn:
                await conn.execute(
                    insert(Message).values(
                        session_id=424242,
                        author_kind="customer",
                        author="x",
                        text="orphan",
                        created_at=T0,
                        visible_to_customer=True,
                    )
                )
        async with ctx.db.read() as conn:
            assert (await conn.execute(text("SELECT COUNT(*) FROM messages"))).scalar() == 0
    finally:
        await ctx.db.dispose()
    assert stat.S_ISREG((tmp_path / "console.db").stat().st_mode)

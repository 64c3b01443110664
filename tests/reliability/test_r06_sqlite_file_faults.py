"""Row 6 -- the SQLite file itself fails: disk full, read-only, corrupt, directory missing.

Invariant: the agent gets one clear line naming the problem (from the services and from the
CLI, which exits 1); nothing is half-written; a file the console cannot use is never
overwritten or recreated -- its bytes, inode and mtime are unchanged and no -wal/-shm is left
beside it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event

from agent_console.cli.main import cli
from agent_console.domain.errors import StoreError
from agent_console.domain.vocab import Presence, Surface
from agent_console.services import agents, conversations, ending, presence, routing
from agent_console.services.runtime import open_ctx

from .support import diff, dump, finish_with_check

pytestmark = pytest.mark.reliability

ALL = ("enhanced_chat_user", "enhanced_chat_rep", "messaging_agent", "end_messaging_session")


def url_of(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def fingerprint(path: Path) -> tuple[str, int, int, int]:
    """Content hash, size, inode and mtime: equal means never overwritten nor recreated.

    Only called while this process has no engine on the file (a read would drop its locks).
    """
    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_size, st.st_ino, st.st_mtime_ns


def names(directory: Path) -> list[str]:
    """The files beside the database (the test's AGENT_CONSOLE_HOME lives here too)."""
    return sorted(p.name for p in directory.iterdir() if p.name != "home")


async def cli_error(*argv: str) -> str:
    """Run the CLI (on a thread: it runs its own event loop), expect exit 1 and one line on
    stderr; return that line."""
    runner = CliRunner()
    result = await asyncio.to_thread(runner.invoke, cli, list(argv), catch_exceptions=False)
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agent-console: error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


async def make_db(path: Path) -> int:
    ctx = await open_ctx(url_of(path))
    try:
        await agents.add_agent(ctx, "dana", capacity=5, permissions=ALL)
        await presence.set_presence(ctx, "dana", Presence.ONLINE)
        r = await conversations.inbound(ctx, "Bob", "standard_sms", "Is anyone there?")
        await routing.route(ctx)
        return r.session_id
    finally:
        await ctx.db.dispose()


# ------------------------------------------------------------------------------ disk full


async def test_disk_full_says_so_and_writes_nothing(tmp_path: Path) -> None:
    """Invariant: "the disk is full; nothing was written", no partial write, and the same
    operation succeeds once there is room again."""
    path = tmp_path / "console.db"
    sid = await make_db(path)
    ctx = await open_ctx(url_of(path))
    full = {"on": True}

    def cap_pages(dbapi_conn: Any, _record: Any) -> None:
        if full["on"]:  # no page more than the file has now: the disk is "full"
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA page_count")
            pages = cur.fetchone()[0]
            cur.execute(f"PRAGMA max_page_count = {pages}")
            cur.close()

    try:
        await ctx.db.engine.dispose()  # new connections from here on get the cap
        event.listen(ctx.db.engine.sync_engine, "connect", cap_pages)
        before = await dump(ctx)
        huge = "x" * 1_000_000
        with pytest.raises(StoreError) as exc:
            await conversations.inbound(ctx, "Bob", "standard_sms", huge)
        message = str(exc.value)
        assert message.startswith("the disk is full; nothing was written"), message
        assert "\n" not in message
        with pytest.raises(StoreError, match="disk is full"):
            await conversations.inbound(ctx, "Carol", "standard_sms", huge)
        assert diff(before, await dump(ctx)) == []

        full["on"] = False
        await ctx.db.engine.dispose()
        result = await conversations.inbound(ctx, "Bob", "standard_sms", huge)
        assert result.session_id == sid and not result.new_session
        ended = await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)
        assert ended.result == "ended"
        await finish_with_check(ctx, url_of(path))
    finally:
        await ctx.db.dispose()


# ------------------------------------------------------------------------------ read-only


def _immutable(path: Path, on: bool) -> bool:
    if shutil.which("chattr") is None:
        return False
    flag = "+i" if on else "-i"
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


@pytest.fixture
def read_only() -> Iterator[list[Path]]:
    made: list[Path] = []
    yield made
    for p in made:
        _immutable(p, False)
        p.chmod(0o644)


def make_read_only(path: Path, made: list[Path]) -> None:
    """chmod, and for root (whom permission bits do not stop) the immutable attribute."""
    made.append(path)
    path.chmod(0o444)
    if os.access(path, os.W_OK) and not (_immutable(path, True) and not os.access(path, os.W_OK)):
        pytest.fail(f"cannot make {path} read-only for uid {os.geteuid()}")


async def test_read_only_file_is_refused_and_left_exactly_as_it_was(
    tmp_path: Path, read_only: list[Path]
) -> None:
    """Invariant: "read-only (left untouched)" from the services and the CLI; same bytes,
    inode and mtime; no -wal or -shm made beside it."""
    path = tmp_path / "console.db"
    await make_db(path)
    make_read_only(path, read_only)
    before, listed = fingerprint(path), names(tmp_path)

    with pytest.raises(StoreError) as exc:
        await open_ctx(url_of(path))
    assert "read-only" in str(exc.value) and "left untouched" in str(exc.value)
    line = await cli_error("--db", url_of(path), "sessions", "end", "1", "--as", "dana")
    assert "read-only" in line and str(path) in line

    assert fingerprint(path) == before and names(tmp_path) == listed


# ------------------------------------------------------------------------------ corrupt


async def test_corrupt_files_are_refused_and_never_overwritten(tmp_path: Path) -> None:
    """Invariant: a file that is not ours, or ours but damaged, gets "not an SQLite database"
    or "corrupt (left untouched)"; it is never rewritten nor replaced by a fresh database."""
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x1b]52;c;cm0gLXJmIC8=\x07 not a database\n" * 300)
    damaged = tmp_path / "damaged.db"
    await make_db(damaged)
    data = bytearray(damaged.read_bytes())
    data[100:4096] = b"\xa5" * (4096 - 100)  # the schema page, after the 100-byte header
    damaged.write_bytes(bytes(data))

    for path, expected in ((garbage, "not an SQLite database"), (damaged, "corrupt")):
        before, listed = fingerprint(path), names(tmp_path)
        with pytest.raises(StoreError) as exc:
            await open_ctx(url_of(path))
        message = str(exc.value)
        assert expected in message and "left untouched" in message, message
        assert "\x1b" not in message and "\n" not in message
        line = await cli_error("--db", url_of(path), "check")
        assert expected in line, line
        line = await cli_error("--db", url_of(path), "inbound", "--customer", "Bob",
                         "--channel", "standard_sms", "--text", "hello")  # fmt: skip
        assert expected in line, line
        assert fingerprint(path) == before, path
        assert names(tmp_path) == listed, names(tmp_path)


# ------------------------------------------------------------------------------ directory


async def test_missing_directory_is_refused_and_never_created(tmp_path: Path) -> None:
    """Invariant: a database in a directory that does not exist is refused (it is not made),
    and a directory that vanishes under a running console is not recreated either."""
    missing = tmp_path / "gone" / "console.db"
    with pytest.raises(StoreError, match="does not exist"):
        await open_ctx(url_of(missing))
    line = await cli_error("--db", url_of(missing), "check")
    assert "does not exist" in line and str(missing.parent) in line
    assert not missing.parent.exists()

    # The directory is moved away while a console has the database open.
    workdir = tmp_path / "work"
    workdir.mkdir()
    path = workdir / "console.db"
    sid = await make_db(path)
    ctx = await open_ctx(url_of(path))
    try:
        moved = tmp_path / "moved"
        workdir.rename(moved)
        await ctx.db.engine.dispose()  # the next unit of work needs a new connection
        with pytest.raises(StoreError) as exc:
            await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)
        message = str(exc.value)
        assert "cannot open the database file" in message and "\n" not in message, message
        assert not workdir.exists()  # nothing recreated where it was
    finally:
        await ctx.db.dispose()
    back = await open_ctx(url_of(moved / "console.db"))
    try:
        await finish_with_check(back, url_of(moved / "console.db"))
    finally:
        await back.db.dispose()

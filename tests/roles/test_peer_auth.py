"""Peer authentication over the Unix socket (docs/deployment.md, "Connecting"): on a shared
host reached over SSH, the agent's operating-system login is their identity -- no password
in the URL or in a file. The test cluster's ``pg_hba.conf`` gets one line, for bob's login
only, mapping this process's OS user to it (``pg_ident.conf``); both files are put back after.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner
from roles_support import Floor, make_floor, owner_read

from agent_console.cli.main import cli
from agent_console.services import logins
from agent_console.services.runtime import open_ctx
from agent_console.store.url import DatabaseURL
from conftest import REQUIRE_PG

#: How long the server may take to load the new pg_hba.conf (it reloads on a signal).
RELOAD_WITHIN = 10.0


@pytest.fixture
def floor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Floor]:
    monkeypatch.setenv("AGENT_CONSOLE_HOME", str(tmp_path / "home"))
    for var in ("AGENT_CONSOLE_DB", "AGENT_CONSOLE_CONFIG", "AGENT_CONSOLE_AGENT", "PGPASSWORD"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))  # no password from a file
    yield from make_floor()


async def _server_files(floor: Floor) -> tuple[Path, Path, str, int]:
    rows = await owner_read(
        floor,
        "SELECT current_setting('hba_file') AS hba, current_setting('ident_file') AS ident, "
        "current_setting('unix_socket_directories') AS sockets, "
        "current_setting('port')::int AS port",
    )
    row = rows[0]
    socket_dir = str(row["sockets"]).split(",")[0].strip()
    return Path(row["hba"]), Path(row["ident"]), socket_dir, int(row["port"])


@pytest.fixture
def peer_url(floor: Floor) -> Iterator[str]:
    """A URL for bob's login over the cluster's socket, with no password: the server accepts
    it by peer authentication, for as long as the test runs."""
    login = floor.prefix + "bob"
    hba, ident, socket_dir, port = asyncio.run(_server_files(floor))
    if not (hba.is_file() and ident.is_file()):  # a server on another machine
        if REQUIRE_PG:
            pytest.fail(f"the test server's {hba} is not on this machine")
        pytest.skip("peer authentication needs the test server's pg_hba.conf on this machine")
    hba_text, ident_text = hba.read_text(), ident.read_text()
    mapname = "ac" + uuid.uuid4().hex[:8]
    # The first matching line wins: this one, for bob's login over the socket only.
    hba.write_text(f"local all {login} peer map={mapname}\n{hba_text}")
    ident.write_text(f"{ident_text}\n{mapname} {getpass.getuser()} {login}\n")
    try:
        asyncio.run(owner_read(floor, "SELECT pg_reload_conf()"))
        database = DatabaseURL(floor.url).parts
        assert database is not None
        yield f"postgresql+asyncpg://{login}@/{database.database}?host={socket_dir}&port={port}"
    finally:
        hba.write_text(hba_text)
        ident.write_text(ident_text)
        asyncio.run(owner_read(floor, "SELECT pg_reload_conf()"))


async def _peer_loaded(url: str) -> None:
    """Wait until the server has loaded the new rules: a connection by peer succeeds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RELOAD_WITHIN
    while True:
        try:
            conn = await asyncpg.connect(DatabaseURL(url).asyncpg_dsn())
        except (asyncpg.InvalidAuthorizationSpecificationError, asyncpg.InvalidPasswordError):
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.05)  # the postmaster reloads on SIGHUP, asynchronously
            continue
        await conn.close()
        return


def test_an_agent_connects_by_peer_and_is_their_login(floor: Floor, peer_url: str) -> None:
    assert ":" not in peer_url.split("@")[0].removeprefix("postgresql+asyncpg://")  # no password

    async def who() -> logins.Connected | None:
        await _peer_loaded(peer_url)
        ctx = await open_ctx(peer_url, create=False)
        try:
            return await logins.connected(ctx)
        finally:
            await ctx.db.dispose()

    connected = asyncio.run(who())
    assert connected is not None and connected.agent == "bob"
    assert connected.role == floor.prefix + "bob" and not connected.owner

    def run(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli, ["--db", peer_url, *args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    code, out, err = run("agents", "show", "bob", "--json")
    assert code == 0, err
    assert json.loads(out)["name"] == "bob"
    bob = str(floor.sessions["bob"])
    assert run("send", bob, "hello over the socket")[0] == 0  # no --as: the OS login says bob
    code, _, err = run("--as", "dana", "sessions", "list")
    assert code == 1 and "connected as bob; --as dana needs dana's login" in err
    lines = asyncio.run(
        owner_read(floor, "SELECT author FROM messages WHERE text = 'hello over the socket'")
    )
    assert [r["author"] for r in lines] == ["bob"]

"""docs/deployment.md, played through as written (issue 15): a DBA makes an owner role that is
no superuser (LOGIN CREATEROLE, pg_signal_backend) and its database; the owner runs
`db upgrade`, `db roles` and `agents add` for the first admin; the admin adds an agent and
disables it again -- all through the CLI, each with its own login."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner, Result

from agent_console.cli.main import cli
from agent_console.store.url import DatabaseURL
from conftest import PG_URL, REQUIRE_PG


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The superuser's URL, with a prefix for this test's roles and database dropped after."""
    if PG_URL is None:
        if REQUIRE_PG:
            pytest.fail("AGENT_CONSOLE_REQUIRE_PG is set but AGENT_CONSOLE_TEST_PG_URL is not")
        pytest.skip("PostgreSQL only: set AGENT_CONSOLE_TEST_PG_URL (CI does)")
    monkeypatch.setenv("AGENT_CONSOLE_HOME", str(tmp_path / "home"))
    for var in ("AGENT_CONSOLE_DB", "AGENT_CONSOLE_CONFIG", "AGENT_CONSOLE_AGENT"):
        monkeypatch.delenv(var, raising=False)
    prefix = "d" + uuid.uuid4().hex[:8] + "_"
    yield prefix
    asyncio.run(_drop(prefix))


async def _superuser() -> asyncpg.Connection:
    assert PG_URL is not None
    return await asyncpg.connect(DatabaseURL(PG_URL).asyncpg_dsn())


async def _drop(prefix: str) -> None:
    conn = await _superuser()
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {prefix}contact WITH (FORCE)")
        for row in await conn.fetch(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE $1", prefix + "%"
        ):
            await conn.execute(f'DROP ROLE IF EXISTS "{row["rolname"]}"')
    finally:
        await conn.close()


def _console(url: str, *args: str, code: int = 0, stdin: str | None = None) -> Result:
    result = CliRunner().invoke(cli, ["--db", url, *args], input=stdin, catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def test_the_deployment_as_the_document_says(cluster: str) -> None:
    prefix = cluster
    owner, database = prefix + "owner", prefix + "contact"

    async def dba() -> None:  # step 1, the SQL of the document
        conn = await _superuser()
        try:
            await conn.execute(f"CREATE ROLE {owner} LOGIN CREATEROLE PASSWORD 'owner-pw'")
            await conn.execute(f"GRANT pg_signal_backend TO {owner}")
            await conn.execute(f"CREATE DATABASE {database} OWNER {owner}")
        finally:
            await conn.close()
        conn = await asyncpg.connect(DatabaseURL(PG_URL or "").asyncpg_dsn(database))
        try:
            await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            await conn.execute(f"ALTER SCHEMA public OWNER TO {owner}")
        finally:
            await conn.close()

    asyncio.run(dba())
    base = DatabaseURL(PG_URL or "").replace(database=database)
    as_owner = str(base.replace(username=owner, password="owner-pw"))
    _console(as_owner, "db", "upgrade")
    _console(as_owner, "db", "roles", "--login-prefix", prefix)
    dana = json.loads(
        _console(
            as_owner,
            "agents",
            "add",
            "dana",
            "--admin",
            "--password-stdin",
            "--json",
            stdin="dana-pw\n",
        ).stdout
    )
    assert dana["is_admin"] is True
    as_dana = str(base.replace(username=prefix + "dana", password="dana-pw"))
    _console(as_owner, "db", "roles")  # again, as after an upgrade: the login prefix stays
    # Step 2, by the admin's own login: an agent, its login, a permission, a new password.
    added = _console(as_dana, "agents", "add", "bob", "--perm", "messaging_agent")
    assert f"login: {prefix}bob" in added.stdout
    password = added.stdout.split("password: ", 1)[1].split()[0]
    as_bob = str(base.replace(username=prefix + "bob", password=password))
    assert json.loads(_console(as_bob, "agents", "show", "bob", "--json").stdout)["name"] == "bob"
    _console(as_dana, "agents", "set", "bob", "--grant", "end_messaging_session")
    refused = _console(as_bob, "agents", "set", "bob", "--capacity", "50", code=1)
    assert "permission denied" in refused.stderr
    _console(as_dana, "agents", "disable", "bob")
    _console(as_bob, "agents", "show", "bob", code=1)

    # The admin's login cannot reach past its groups: no DDL, no owner's role.
    async def admin_raw() -> None:
        conn = await asyncpg.connect(DatabaseURL(as_dana).asyncpg_dsn())
        try:
            for statement in (
                "DROP TABLE sessions",
                f"GRANT {owner} TO {prefix}dana",
                f"SELECT ac_login_groups('{owner}', ARRAY['admin'])",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(admin_raw())
    lines = json.loads(_console(as_dana, "audit", "--since", "1h", "--json").stdout)
    assert [(a["db_role"], a["action"], a["target"]) for a in lines] == [
        (owner, "login", "dana"),
        (prefix + "dana", "login", "bob"),
        (prefix + "dana", "agent", "bob"),
        (prefix + "dana", "disable", "bob"),
    ]

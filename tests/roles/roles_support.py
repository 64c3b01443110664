"""The floor the role tests share (issue 15): a PostgreSQL database with its roles set up,
bob and carol (agents; no end_messaging_session), erin (an agent who may end any session
from the list), dana (an admin), the gateway's login; sessions of bob and carol. Each test
gets its own database and its own role names (roles are the cluster's, not a database's),
dropped afterwards."""

from __future__ import annotations

import asyncio
import atexit
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, drafts, logins, presence, routing
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from agent_console.store.url import DatabaseURL
from conftest import PG_URL, REQUIRE_PG, drop_pg_database, new_pg_database, pg_exec, sa_url

EC_MSG = ("enhanced_chat_user", "enhanced_chat_rep", "messaging_agent")
ALL = (*EC_MSG, "end_messaging_session")
SMS = "standard_sms"


@dataclass
class Floor:
    url: str  # the owner's (the test cluster's superuser)
    prefix: str
    logins: dict[str, str] = field(default_factory=dict)  # who -> URL with their login
    sessions: dict[str, int] = field(default_factory=dict)  # "bob" -> bob's session

    def login_url(self, who: str) -> str:
        return self.logins[who]

    def dsn(self, who: str) -> str:
        return DatabaseURL(self.login_url(who)).asyncpg_dsn()


async def _give(owner: Ctx, agent: str, customer: str) -> int:
    """A customer writes in and routing gives the session to ``agent`` (the only one Online)."""
    await presence.set_presence(owner, agent, Presence.ONLINE)
    r = await conversations.inbound(owner, customer, SMS, f"hello from {customer}")
    got = await routing.route(owner)
    assert [(a.session_id, a.agent) for a in got] == [(r.session_id, agent)]
    await presence.set_presence(owner, agent, Presence.BUSY)
    return r.session_id


async def _build(url: str, prefix: str) -> Floor:
    floor = Floor(url, prefix)
    owner = await open_ctx(url)
    try:
        await agents.add_agent(owner, "bob", permissions=EC_MSG)
        await agents.add_agent(owner, "carol", permissions=EC_MSG)
        await agents.add_agent(owner, "erin", permissions=ALL)
        await agents.add_agent(owner, "dana", permissions=ALL, is_admin=True)
        await logins.set_up_roles(owner, prefix, prefix)
        base = DatabaseURL(url)
        for name in ("bob", "carol", "erin", "dana"):
            login, password = await logins.add_login(owner, name)
            assert login == prefix + name
            floor.logins[name] = str(base.replace(username=login, password=password))
        for kind, login in (("gateway", prefix + "gw"), ("system", prefix + "jobs")):
            password = await logins.make_system_login(owner, kind, login)
            floor.logins[kind] = str(base.replace(username=login, password=password))
        floor.sessions["bob"] = await _give(owner, "bob", "alice")
        floor.sessions["carol"] = await _give(owner, "carol", "amir")
        floor.sessions["carol2"] = await _give(owner, "carol", "ada")
        await presence.set_presence(owner, "erin", Presence.ONLINE)  # takes transfers
        await drafts.save_draft(owner, "carol", floor.sessions["carol"], "carol's own words")
        queued = await conversations.inbound(owner, "zoe", SMS, "still waiting")
        floor.sessions["queued"] = queued.session_id  # not routed yet
    finally:
        await owner.db.dispose()
    # carol's second session is due to end by itself (R7: an agent's outreach the customer
    # never answered), for the timers' job
    await owner_read(
        floor,
        "UPDATE sessions SET initiated_by = 'agent', customer_replied = false, "
        "auto_end_at = (now() AT TIME ZONE 'UTC') - interval '1 hour' WHERE id = $1",
        floor.sessions["carol2"],
    )
    return floor


async def _drop_roles(prefix: str, keep: frozenset[str] = frozenset()) -> None:
    """Drop the roles named ``prefix``..., except ``keep``."""
    assert PG_URL is not None
    conn = await asyncpg.connect(DatabaseURL(PG_URL).asyncpg_dsn())
    try:
        names = await conn.fetch("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", prefix + "%")
        for row in names:
            if row["rolname"] not in keep:
                await conn.execute(f'DROP ROLE IF EXISTS "{row["rolname"]}"')
    finally:
        await conn.close()


#: This process's floor, built once: (its database, to clone; the floor; its roles).
_template: tuple[str, Floor, frozenset[str]] | None = None


async def _role_names(prefix: str) -> frozenset[str]:
    assert PG_URL is not None
    conn = await asyncpg.connect(DatabaseURL(PG_URL).asyncpg_dsn())
    try:
        rows = await conn.fetch("SELECT rolname FROM pg_roles WHERE rolname LIKE $1", prefix + "%")
    finally:
        await conn.close()
    return frozenset(str(r["rolname"]) for r in rows)


def _floor_template() -> tuple[str, Floor, frozenset[str]]:
    """The floor, built once per test process and cloned for each test (``CREATE DATABASE
    ... TEMPLATE``: a fraction of a second, where building it takes one or two). The roles are
    the cluster's, so every clone shares them; a test's own roles are dropped after it."""
    global _template
    if _template is None:
        url, name = new_pg_database()
        prefix = "r" + uuid.uuid4().hex[:8] + "_"
        floor = asyncio.run(_build(url, prefix))
        _template = (name, floor, asyncio.run(_role_names(prefix)))

        def drop() -> None:
            drop_pg_database(name)
            asyncio.run(_drop_roles(prefix))

        atexit.register(drop)
    return _template


def make_floor() -> Iterator[Floor]:
    """A fresh copy of the floor (its own database; the process's roles), its database and the
    roles the test made dropped afterwards."""
    if PG_URL is None:
        if REQUIRE_PG:
            pytest.fail("AGENT_CONSOLE_REQUIRE_PG is set but AGENT_CONSOLE_TEST_PG_URL is not")
        pytest.skip("PostgreSQL only: set AGENT_CONSOLE_TEST_PG_URL (CI does)")
    template, base, roles = _floor_template()
    name = "t_" + uuid.uuid4().hex[:12]
    asyncio.run(pg_exec(PG_URL, f"CREATE DATABASE {name} TEMPLATE {template}"))
    url = sa_url(PG_URL, name)
    floor = Floor(
        url,
        base.prefix,
        logins={k: str(DatabaseURL(v).replace(database=name)) for k, v in base.logins.items()},
        sessions=dict(base.sessions),
    )
    try:
        yield floor
    finally:
        drop_pg_database(name)
        asyncio.run(_drop_roles(base.prefix, keep=roles))


async def open_as(floor: Floor, who: str) -> Ctx:
    return await open_ctx(floor.login_url(who), create=False)


async def owner_read(floor: Floor, query: str, *args: Any) -> Any:
    conn = await asyncpg.connect(DatabaseURL(floor.url).asyncpg_dsn())
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def snapshot(floor: Floor, *, bulk: bool = False) -> list[Any]:
    """Everything a refused operation must leave as it was; with ``bulk``, the bulk ends too
    (a service's bulk end that the rules refuse row by row still records its attempt)."""
    out = []
    tables = [
        ("sessions", "id"),
        ("messages", "id"),
        ("agents", "id"),
        ("settings", "key"),
        ("end_records", "session_id"),
        ("drafts", "session_id"),
    ]
    if bulk:
        tables += [("bulk_operations", "id"), ("bulk_items", "bulk_id, seq")]
    for table, order in tables:
        out.append(
            [dict(r) for r in await owner_read(floor, f"SELECT * FROM {table} ORDER BY {order}")]
        )
    return out

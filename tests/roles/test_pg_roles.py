"""Who is who on a shared PostgreSQL deployment (issue 15): each agent its own login role, and
the database itself refusing what the rules about *who* forbid -- through the services and
through raw SQL with asyncpg; a refused operation changes nothing.

The floor (roles_support.py): bob and carol (agents), erin (an agent who may end any
session from the list), dana (an admin), the gateway's login; sessions of bob and carol.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from roles_support import SMS, Floor, make_floor, open_as, owner_read, snapshot

from agent_console.domain.errors import ConsoleError, Refused
from agent_console.domain.vocab import Presence
from agent_console.services import (
    agents,
    conversations,
    drafts,
    ending,
    presence,
    routing,
    settings,
    timers,
    transfer,
)
from agent_console.services.bulk.operation import bulk_end
from agent_console.services.context import Ctx
from agent_console.services.views import EndOutcome


@pytest.fixture
def floor() -> Iterator[Floor]:
    yield from make_floor()


# -- the operations, each as a service call ---------------------------------------------------
#
# ``who`` is the login; an operation acts for that agent, and the gateway's login tries to act
# for bob (it is no agent: the database lets it take customers' lines in and route, no more).

Op = Callable[[Ctx, Floor, str], Awaitable[Any]]


def agent_of(who: str) -> str:
    return "bob" if who in ("gateway", "system") else who


def own_session(floor: Floor, who: str) -> int:
    return floor.sessions[agent_of(who)]


async def reply_own(ctx: Ctx, floor: Floor, who: str) -> Any:
    return await conversations.send(ctx, agent_of(who), own_session(floor, who), "on it")


async def reply_carols(ctx: Ctx, floor: Floor, who: str) -> Any:
    return await conversations.send(ctx, who, floor.sessions["carol"], "mine now")


async def end_chat_own(ctx: Ctx, floor: Floor, who: str) -> Any:
    return await ending.end_session(ctx, agent_of(who), own_session(floor, who))


async def end_chat_carols(ctx: Ctx, floor: Floor, who: str) -> Any:
    r = await ending.end_session(ctx, who, floor.sessions["carol"])
    if r.result is not EndOutcome.ENDED:
        raise Refused(r.reason)
    return r


async def close_tab_own(ctx: Ctx, floor: Floor, who: str) -> Any:
    await ending.end_session(ctx, agent_of(who), own_session(floor, who))
    return await conversations.close_tab(ctx, agent_of(who), own_session(floor, who))


async def bulk_end_carols(ctx: Ctx, floor: Floor, who: str) -> Any:
    ids = [floor.sessions["carol"], floor.sessions["carol2"]]
    report = await bulk_end(ctx, agent_of(who), ids=ids)
    if report.ended != 2:
        raise Refused(f"bulk end ended {report.ended}")
    return report


async def set_a_setting(ctx: Ctx, floor: Floor, who: str) -> Any:
    admin = "dana" if who in ("gateway", "system") else who
    return await settings.set_setting(ctx, "agents_can_end", "off", admin=admin)


async def add_an_agent(ctx: Ctx, floor: Floor, who: str) -> Any:
    return await agents.add_agent(ctx, "mallory", is_admin=True)


async def transfer_own_to_erin(ctx: Ctx, floor: Floor, who: str) -> Any:
    return await transfer.transfer(ctx, agent_of(who), own_session(floor, who), "erin")


async def go_offline(ctx: Ctx, floor: Floor, who: str) -> Any:
    return await presence.set_presence(ctx, agent_of(who), Presence.OFFLINE)


async def customer_writes_in(ctx: Ctx, floor: Floor, who: str) -> Any:
    """A customer's line comes in (the gateway's work, not an agent's)."""
    return await conversations.inbound(ctx, "yan", SMS, "anyone there?")


async def route_the_queue(ctx: Ctx, floor: Floor, who: str) -> Any:
    """Routing gives the queued session to erin (Online, with room)."""
    got = await routing.route(ctx)
    assert [(a.session_id, a.agent) for a in got] == [(floor.sessions["queued"], "erin")]
    return got


async def save_a_draft(ctx: Ctx, floor: Floor, who: str) -> Any:
    return await drafts.save_draft(ctx, agent_of(who), own_session(floor, who), "half a thought")


async def sweep_the_timers(ctx: Ctx, floor: Floor, who: str) -> Any:
    """R7: the session due ends by itself (the system's job; not an agent's to run)."""
    ended = await timers.sweep(ctx)
    if [r.session_id for r in ended] != [floor.sessions["carol2"]]:
        raise Refused(f"the sweep ended {ended}")
    return ended


ALLOWED, REFUSED = True, False

#: (operation, login, allowed), as the rules say. The refusals of an agent's login come from
#: the services first (the database refusing the same is the raw SQL table below); the
#: gateway's and the non-admins' configuration writes are refused by the database.
TABLE: list[tuple[Op, str, bool]] = [
    (reply_own, "bob", ALLOWED),
    (reply_own, "gateway", REFUSED),
    (reply_carols, "bob", REFUSED),
    (end_chat_own, "bob", ALLOWED),
    (end_chat_own, "gateway", REFUSED),
    (end_chat_carols, "bob", REFUSED),
    (close_tab_own, "bob", ALLOWED),
    (save_a_draft, "bob", ALLOWED),
    (save_a_draft, "gateway", REFUSED),
    (transfer_own_to_erin, "bob", ALLOWED),
    (transfer_own_to_erin, "gateway", REFUSED),
    (go_offline, "bob", ALLOWED),
    (go_offline, "gateway", REFUSED),
    (bulk_end_carols, "bob", REFUSED),
    (bulk_end_carols, "carol", REFUSED),  # the list's bulk end needs end_messaging_session
    (bulk_end_carols, "erin", ALLOWED),
    (bulk_end_carols, "dana", ALLOWED),
    (bulk_end_carols, "gateway", REFUSED),
    (set_a_setting, "bob", REFUSED),
    (set_a_setting, "dana", ALLOWED),
    (set_a_setting, "gateway", REFUSED),
    (add_an_agent, "bob", REFUSED),
    (add_an_agent, "dana", ALLOWED),
    (add_an_agent, "gateway", REFUSED),
    (customer_writes_in, "gateway", ALLOWED),
    (customer_writes_in, "bob", REFUSED),
    (route_the_queue, "gateway", ALLOWED),
    (route_the_queue, "bob", ALLOWED),  # any console's presence change may route
    (route_the_queue, "dana", ALLOWED),
    (route_the_queue, "system", ALLOWED),
    (sweep_the_timers, "system", ALLOWED),
    (sweep_the_timers, "bob", REFUSED),  # carol's session is out of bob's reach
    (sweep_the_timers, "gateway", REFUSED),
    (set_a_setting, "system", REFUSED),
    (add_an_agent, "system", REFUSED),
    (reply_own, "system", REFUSED),
]


@pytest.mark.parametrize(
    ("op", "who", "allowed"), TABLE, ids=[f"{o.__name__}-{w}" for o, w, _ in TABLE]
)
def test_the_services_as_each_agents_own_login(
    floor: Floor, op: Op, who: str, allowed: bool
) -> None:
    async def go() -> None:
        before = await snapshot(floor)
        ctx = await open_as(floor, who)
        try:
            if allowed:
                await op(ctx, floor, who)
                return
            with pytest.raises(ConsoleError):
                await op(ctx, floor, who)
        finally:
            await ctx.db.dispose()
        assert await snapshot(floor) == before

    asyncio.run(go())


# -- raw SQL with asyncpg: the database refuses by itself --------------------------------------

#: (login, statement, what the database does): "denied" raises insufficient_privilege,
#: "0 rows" is row-level security hiding the row (nothing to change), "ok" succeeds.
RAW: list[tuple[str, str, str]] = [
    ("bob", "UPDATE sessions SET status = 'Ended' WHERE id = {carol}", "0 rows"),
    ("bob", "UPDATE sessions SET owner_id = {bob_id} WHERE id = {carol}", "0 rows"),
    ("bob", "DELETE FROM sessions WHERE id = {carol}", "denied"),
    ("bob", "UPDATE settings SET value = 'false'", "denied"),
    ("bob", "INSERT INTO settings VALUES ('agents_can_end', 'false', now(), 'bob')", "denied"),
    ("bob", "UPDATE agents SET capacity = 100 WHERE name = 'bob'", "denied"),
    ("bob", "UPDATE agents SET is_admin = true WHERE name = 'bob'", "denied"),
    ("bob", "UPDATE agents SET presence = 'Offline' WHERE name = 'carol'", "denied"),
    ("bob", "UPDATE agents SET db_role = current_user WHERE name = 'dana'", "denied"),
    (
        "bob",
        "INSERT INTO agents (name, capacity, used_units, permissions, is_admin, presence, "
        "logged_in, created_at) VALUES ('eve', 5, 0, '', true, 'Offline', false, now())",
        "denied",
    ),
    ("bob", "DELETE FROM macros", "denied"),
    ("bob", "SELECT secret FROM channel_connections", "denied"),
    (
        "bob",
        "INSERT INTO messages (session_id, author_kind, author, text, created_at, "
        "visible_to_customer) VALUES ({carol}, 'agent', 'bob', 'hi', now(), true)",
        "denied",
    ),
    (
        "bob",
        "INSERT INTO end_records (session_id, actor_kind, actor, surface, reason, at, "
        "db_role) VALUES ({carol}, 'agent', 'carol', 'conversation', '', now(), 'carol')",
        "denied",
    ),
    ("bob", "UPDATE drafts SET text = 'x'", "0 rows"),
    ("bob", "DROP TABLE sessions", "denied"),
    ("bob", "CREATE TABLE mine (x int)", "denied"),
    ("bob", "ALTER TABLE sessions DISABLE ROW LEVEL SECURITY", "denied"),
    ("bob", "SELECT ac_login_create('bob', 'bob2', 'pw', ARRAY['admin'])", "denied"),
    ("bob", "UPDATE sessions SET last_message_at = now() WHERE id = {bob}", "ok"),
    ("erin", "UPDATE sessions SET owner_id = {erin_id} WHERE id = {carol}", "denied"),
    ("dana", "INSERT INTO settings VALUES ('agents_can_end', 'false', now(), 'dana')", "ok"),
    ("dana", "UPDATE sessions SET owner_id = {bob_id} WHERE id = {carol}", "ok"),
    ("dana", "UPDATE end_records SET db_role = 'someone'", "denied"),
    ("dana", "DROP TABLE sessions", "denied"),
    ("dana", "ALTER TABLE settings ADD COLUMN x int", "denied"),
    ("gateway", "UPDATE settings SET value = 'false'", "denied"),
    ("gateway", "UPDATE agents SET capacity = 100", "denied"),
    ("gateway", "SELECT count(*) FROM channel_connections WHERE secret <> ''", "ok"),
    ("gateway", "DROP TABLE messages", "denied"),
]


async def _ids(floor: Floor) -> dict[str, int]:
    rows = await owner_read(floor, "SELECT name, id FROM agents")
    out = {f"{r['name']}_id": r["id"] for r in rows}
    return {**out, **floor.sessions}


@pytest.mark.parametrize(("who", "sql", "outcome"), RAW, ids=[f"{w}:{s[:40]}" for w, s, _ in RAW])
def test_raw_sql_as_each_login(floor: Floor, who: str, sql: str, outcome: str) -> None:
    asyncio.run(_raw(floor, who, sql, outcome, {}))


_NEW_BULK = (
    "INSERT INTO bulk_operations (agent_id, surface, selection, status, total, ended, "
    "skipped, created_at, heartbeat_at) VALUES ({id}, 'list', '[]', 'interrupted', 1, 0, 0, "
    "now(), now())"
)

#: Another agent's bulk end, neither planted under its name nor changed: its console offers
#: to resume an unfinished one, and ``run_bulk`` ends the rows as the agent the row names.
#: ``{bulk}`` is erin's, interrupted, one row (bob's session) still to do.
BULK: list[tuple[str, str, str]] = [
    ("bob", _NEW_BULK.replace("{id}", "{erin_id}"), "denied"),
    (
        "bob",
        "INSERT INTO bulk_items (bulk_id, seq, session_id) VALUES ({bulk}, 2, {carol})",
        "denied",
    ),
    ("bob", "UPDATE bulk_items SET result = 'skipped' WHERE bulk_id = {bulk}", "0 rows"),
    ("bob", "UPDATE bulk_operations SET status = 'completed' WHERE id = {bulk}", "0 rows"),
    ("bob", "SELECT count(*) FROM bulk_items WHERE bulk_id = {bulk}", "ok"),
    ("bob", _NEW_BULK.replace("{id}", "{bob_id}"), "ok"),
    ("erin", "UPDATE bulk_items SET result = 'skipped' WHERE bulk_id = {bulk}", "ok"),
    ("dana", "UPDATE bulk_operations SET status = 'completed' WHERE id = {bulk}", "ok"),
]


@pytest.mark.parametrize(("who", "sql", "outcome"), BULK, ids=[f"{w}:{s[:40]}" for w, s, _ in BULK])
def test_a_bulk_end_is_its_agents_alone(floor: Floor, who: str, sql: str, outcome: str) -> None:
    async def go() -> None:
        ids = await _ids(floor)
        (row,) = await owner_read(floor, _NEW_BULK.format(id=ids["erin_id"]) + " RETURNING id")
        bulk = row["id"]
        await owner_read(
            floor,
            "INSERT INTO bulk_items (bulk_id, seq, session_id) VALUES ($1, 1, $2)",
            bulk,
            ids["bob"],
        )
        await _raw(floor, who, sql, outcome, {"bulk": bulk})

    asyncio.run(go())


async def _raw(floor: Floor, who: str, sql: str, outcome: str, more: dict[str, int]) -> None:
    """Run ``sql`` as ``who``'s login and check what the database did (see :data:`RAW`); a
    refused statement leaves every table of :func:`snapshot` as it was."""
    statement = sql.format(**await _ids(floor), **more)
    before = await snapshot(floor, bulk=True)
    conn = await asyncpg.connect(floor.dsn(who))
    try:
        if outcome == "denied":
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(statement)
        else:
            status = await conn.execute(statement)
            assert (status.endswith(" 0")) == (outcome == "0 rows"), status
    finally:
        await conn.close()
    if outcome != "ok":
        assert await snapshot(floor, bulk=True) == before

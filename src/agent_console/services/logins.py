"""Agents' database logins on a shared PostgreSQL deployment (issue 15): setting the roles up,
making, changing and taking away an agent's login, and who a connection is.

On SQLite, and on a PostgreSQL deployment whose roles were never set up (``agent-console db
roles``), identity is what the console is told (``--as``, the config's ``agent``): one
person's console, or a development database. Once roles are set up, the connection's role
(``current_user``) says who the agent is: naming someone else is refused, except for an admin
(a supervisor), whom the rules let act for others; the schema's owner (the admin tasks'
connection) must say whom it acts for.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.errors import NotFound, Refused
from ..domain.vocab import Permission
from ..store import queries as q
from ..store import roles
from ..store.audit import AuditLine, record_audit
from ..store.audit import audit_since as audit_lines
from ..store.models import Agent
from ..store.rows import AgentRecord
from .context import Ctx


@dataclass(frozen=True)
class Connected:
    """Who a PostgreSQL connection is, as the database sees it."""

    role: str
    #: The agent whose login it is (None: not an agent's login).
    agent: str | None
    is_admin: bool
    #: The schema's owner or a superuser: the admin tasks' connection.
    owner: bool


def new_password() -> str:
    """A generated password: 24 URL-safe characters (~143 bits)."""
    return secrets.token_urlsafe(18)


def kinds_of(permissions: str, is_admin: bool) -> list[str]:
    """The groups an agent's login belongs in, by its permissions and admin flag."""
    kinds = ["agent"]
    if is_admin or Permission.END_MESSAGING_SESSION in q.parse_permissions(permissions):
        kinds.append("ender")
    if is_admin:
        kinds.append("admin")
    return kinds


async def roles_set_up(ctx: Ctx) -> bool:
    """Whether this is a PostgreSQL deployment with its roles set up."""
    if ctx.db.is_sqlite:
        return False
    async with ctx.db.read() as conn:
        return bool(await roles.group_roles(conn))


async def set_up_roles(
    ctx: Ctx, prefix: str | None, login_prefix: str | None = None
) -> dict[str, str]:
    """``db roles``: the groups, privileges, policies and login functions (PostgreSQL, by the
    schema's owner). ``prefix``: the groups' names (default: the database's name and ``_``);
    ``login_prefix``: put before an agent's name to make its login's."""
    if ctx.db.is_sqlite:
        raise Refused("database roles are for PostgreSQL; SQLite is one person's console")
    async with ctx.db.write() as conn:
        _role, owner = await roles.connected_role(conn)
        if not owner:
            raise Refused("setting the roles up needs the schema's owner (the db upgrade login)")
        if prefix is None:
            prefix = str(await conn.scalar(text("SELECT current_database()"))) + "_"
        return await roles.install(conn, prefix, login_prefix)


async def connected(ctx: Ctx) -> Connected | None:
    """Who the connection is; None on SQLite or where roles were never set up."""
    if ctx.db.is_sqlite:
        return None
    async with ctx.db.read() as conn:
        if not await roles.group_roles(conn):
            return None
        role, owner = await roles.connected_role(conn)
        row = (
            await conn.execute(select(Agent.name, Agent.is_admin).where(Agent.db_role == role))
        ).first()
    if row is None:
        return Connected(role, None, False, owner)
    return Connected(role, str(row.name), bool(row.is_admin), owner)


async def acting_agent(ctx: Ctx, claimed: str | None) -> str:
    """The agent this connection acts as: ``claimed`` (``--as``, the config's ``agent``) where
    identity is declared, else the connection's own agent; refused when the connection may not
    act as ``claimed``."""
    who = await connected(ctx)
    if who is None or (who.agent is None and who.owner):
        if not claimed:
            raise Refused("say who you are: --as NAME (or set agent in the config file)")
        return claimed
    if who.agent is None:
        raise Refused(f"connected as role {who.role}, which is no agent's login")
    if not claimed or claimed == who.agent:
        return who.agent
    if who.is_admin:  # a supervisor acting for another agent: the records keep both
        return claimed
    raise Refused(f"connected as {who.agent}; --as {claimed} needs {claimed}'s login")


async def check_claims(ctx: Ctx, names: list[str]) -> None:
    """Refused unless this connection may act as each of ``names`` (see :func:`acting_agent`)."""
    for name in names:
        await acting_agent(ctx, name)


@dataclass
class LoginWanted:
    """Asks :func:`.agents.add_agent` for the new agent's login too: ``password`` (None:
    generated); ``made`` is filled with (login, password) once it is."""

    password: str | None = None
    made: tuple[str, str] | None = None


async def make_login(
    conn: AsyncConnection, at: datetime, row: AgentRecord, password: str | None
) -> tuple[str, str]:
    """``row``'s agent gets a login, in the caller's transaction: (login, password)."""
    if not await roles.group_roles(conn):
        raise Refused("this deployment has no roles: run `agent-console db roles` first")
    if row.db_role is not None:
        raise Refused(f"agent {row.name} already has a login ({row.db_role})")
    password = password or new_password()
    login = await roles.stored_login_prefix(conn) + row.name
    kinds = kinds_of(row.permissions, bool(row.is_admin))
    await roles.create_login(conn, row.name, login, password, kinds)
    await record_audit(conn, at, await _who(conn), "login", row.name, f"role {login}")
    return login, password


async def add_login(ctx: Ctx, name: str, password: str | None = None) -> tuple[str, str]:
    """Give agent ``name`` a login (an admin's or the owner's connection): its role name and
    password (generated when not given, to be shown once)."""
    async with ctx.db.write() as conn:
        return await make_login(conn, ctx.now(), await q.agent_row(conn, name), password)


async def _who(conn: AsyncConnection) -> str:
    """The connection's role, as the audit's actor of a login change."""
    return (await roles.connected_role(conn))[0]


async def _login_of(conn: AsyncConnection, name: str) -> str:
    row = await q.agent_row(conn, name)
    if row.db_role is None:
        raise NotFound(f"agent {name} has no login")
    return row.db_role


async def set_login_password(ctx: Ctx, name: str, password: str | None = None) -> tuple[str, str]:
    """A new password for ``name``'s login, made if it has none (generated when not given):
    the login and the password."""
    async with ctx.db.read() as conn:
        has_login = (await q.agent_row(conn, name)).db_role is not None
    if not has_login:
        return await add_login(ctx, name, password)
    password = password or new_password()
    async with ctx.db.write() as conn:
        login = await _login_of(conn, name)
        await roles.set_password(conn, login, password)
        await record_audit(conn, ctx.now(), await _who(conn), "password", name, f"role {login}")
    return login, password


async def audit_since(ctx: Ctx, since: datetime, limit: int = 1000) -> list[AuditLine]:
    """The audit trail since ``since`` (ends included), oldest first."""
    async with ctx.db.read() as conn:
        return await audit_lines(conn, since, limit)


async def disable_login(ctx: Ctx, name: str) -> str:
    """Take ``name``'s login away (its open connections end); the role name."""
    async with ctx.db.write() as conn:
        login = await _login_of(conn, name)
        await roles.disable_login(conn, login)
        await record_audit(conn, ctx.now(), await _who(conn), "disable", name, f"role {login}")
    return login


async def sync_groups(conn: AsyncConnection, name: str) -> None:
    """Put ``name``'s login (if any) in the groups its permissions and admin flag say."""
    row = await q.agent_row(conn, name)
    if row.db_role is not None:
        await roles.set_login_groups(
            conn, row.db_role, kinds_of(row.permissions, bool(row.is_admin))
        )


async def make_system_login(ctx: Ctx, kind: str, login: str) -> str:
    """A login for the gateway or the system jobs (the owner's connection); its password."""
    password = new_password()
    async with ctx.db.write() as conn:
        _role, owner = await roles.connected_role(conn)
        if not owner:
            raise Refused("system logins are made by the schema's owner")
        await roles.make_system_login(conn, kind, login, password)
    return password

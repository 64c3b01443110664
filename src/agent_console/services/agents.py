"""Agents: add, change, list (admins are agents with the admin flag)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.errors import Refused
from ..domain.vocab import Permission, Presence
from ..store import queries as q
from ..store.audit import record_audit
from ..store.models import Agent
from .context import Ctx
from .logins import LoginWanted, make_login, sync_groups
from .row_views import agent_view as _view
from .views import AgentView

ALL_PERMISSIONS = tuple(p.value for p in Permission)


def parse_permission(text: str) -> Permission:
    try:
        return Permission(text.strip())
    except ValueError:
        raise ValueError(
            f"unknown permission {text!r}; permissions are: {', '.join(ALL_PERMISSIONS)}"
        ) from None


def _check_name(name: str) -> str:
    clean = name.strip()
    if not clean or len(clean) > 120 or not clean.isprintable():
        raise ValueError(f"bad agent name {name!r}: 1-120 printable characters")
    return clean


async def add_agent(
    ctx: Ctx,
    name: str,
    *,
    capacity: int = 5,
    permissions: Iterable[str] = (),
    is_admin: bool = False,
    login: LoginWanted | None = None,
) -> AgentView:
    """A new agent, Offline and logged out. ``login``: on a PostgreSQL deployment with roles,
    the agent's login is made in the same transaction (``login.made`` says its name and
    password): an agent is never left half-made without it."""
    name = _check_name(name)
    if not 1 <= capacity <= 1000:
        raise ValueError(f"capacity must be between 1 and 1000, got {capacity}")
    perms = q.format_permissions(parse_permission(p) for p in permissions)
    try:
        async with ctx.db.write() as conn:
            await conn.execute(
                insert(Agent).values(
                    name=name,
                    capacity=capacity,
                    used_units=0,
                    permissions=perms,
                    is_admin=is_admin,
                    presence=Presence.OFFLINE.value,
                    logged_in=False,
                    created_at=ctx.now(),
                )
            )
            row = await q.agent_row(conn, name)
            await q.record_changes(conn, ctx.now(), "agent", [(None, row.id)])
            if login is not None:
                login.made = await make_login(conn, ctx.now(), row, login.password)
    except IntegrityError:
        raise Refused(f"agent {name!r} already exists") from None
    return _view(row)


async def set_agent(
    ctx: Ctx,
    name: str,
    *,
    capacity: int | None = None,
    grant: Iterable[str] = (),
    revoke: Iterable[str] = (),
    is_admin: bool | None = None,
    admin: str | None = None,
) -> AgentView:
    """Change an agent; with ``admin`` (the console's settings screen) only an admin may."""
    async with ctx.db.write() as conn:
        if admin is not None:
            await require_admin(conn, admin)
        row = await q.agent_row(conn, name, lock=True)
        values: dict[str, object] = {}
        if capacity is not None:
            if not 1 <= capacity <= 1000:
                raise ValueError(f"capacity must be between 1 and 1000, got {capacity}")
            values["capacity"] = capacity
        perms = set(q.parse_permissions(row.permissions))
        perms |= {parse_permission(p) for p in grant}
        perms -= {parse_permission(p) for p in revoke}
        values["permissions"] = q.format_permissions(perms)
        if is_admin is not None:
            values["is_admin"] = is_admin
        await conn.execute(update(Agent).where(Agent.id == row.id).values(**values))
        await sync_groups(conn, name)  # its login's groups follow (PostgreSQL with roles)
        await q.record_changes(conn, ctx.now(), "agent", [(None, row.id)])
        await record_audit(
            conn,
            ctx.now(),
            admin or "-",
            "agent",
            name,
            _change_line(capacity, grant, revoke, is_admin),
        )
        return _view(await q.agent_row(conn, name))


def _change_line(
    capacity: int | None, grant: Iterable[str], revoke: Iterable[str], is_admin: bool | None
) -> str:
    parts = [f"capacity {capacity}"] if capacity is not None else []
    parts += [f"+{p}" for p in grant] + [f"-{p}" for p in revoke]
    if is_admin is not None:
        parts.append("admin" if is_admin else "not admin")
    return ", ".join(parts)


async def get_agent(ctx: Ctx, name: str) -> AgentView:
    async with ctx.db.read() as conn:
        return _view(await q.agent_row(conn, name))


async def list_agents(ctx: Ctx) -> list[AgentView]:
    async with ctx.db.read() as conn:
        rows = (await conn.execute(select(Agent).order_by(Agent.name))).all()
    return [_view(r) for r in rows]


async def require_admin(
    conn: AsyncConnection, name: str, *, doing: str = "change settings"
) -> None:
    row = await q.agent_row(conn, name)
    if not row.is_admin:
        raise Refused(f"only admins can {doing}: {name} is not an admin")

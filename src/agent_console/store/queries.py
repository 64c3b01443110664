"""Reads and small writes shared by the services, on an open connection."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.channels import CHANNELS_BY_ID, channel
from ..domain.ending import Agent as AgentFacts
from ..domain.ending import EndFacts, SessionFacts
from ..domain.errors import NotFound
from ..domain.policy import Policy, policy_from_rows
from ..domain.text import unstorable
from ..domain.vocab import ActorKind, CapacityModel, Permission, SessionStatus, Surface
from ..domain.vocab import parse_permissions as parse_permissions
from .change_log import PULSE_CHANNEL as PULSE_CHANNEL
from .change_log import record_changes as record_changes
from .change_log import record_selected_changes as record_selected_changes
from .models import Agent, Change, Customer, EndRecord, Session, Setting
from .prebuilt import ids_in, ids_value, per_dialect
from .prebuilt import in_ids as in_ids
from .read_memo import read_memo
from .rows import AgentRecord, EndingRecord, SessionRecord


def format_permissions(perms: Iterable[Permission | str]) -> str:
    return " ".join(sorted({str(Permission(p)) for p in perms}))


@per_dialect
def _agent_by_name(dialect: str) -> Any:
    """The agent named ``name``; PostgreSQL: with the three lock modes (None, key share,
    update) of :func:`agent_row`."""
    plain = select(Agent).where(Agent.name == bindparam("name"))
    if dialect != "postgresql":
        return {"plain": plain}
    return {
        "plain": plain,
        "hold": plain.with_for_update(read=True, key_share=True),
        "lock": plain.with_for_update(),
    }


@per_dialect
def _settings(dialect: str) -> Any:
    return select(Setting.key, Setting.value)


async def agent_row(
    conn: AsyncConnection, name: str, *, lock: bool = False, hold: bool = False
) -> AgentRecord:
    """The agent's row; PostgreSQL: ``lock`` takes it FOR UPDATE, ``hold`` FOR KEY SHARE.

    ``hold`` keeps routers away (they take agents FOR UPDATE SKIP LOCKED) without making a
    writer that only changes ``used_units`` wait: an end that frees units locks its sessions
    first and the agent after, so a holder may lock those sessions without a deadlock.
    """
    if unstorable(name) is not None:  # no such name can have been stored
        raise NotFound(f"unknown agent {name!r}")
    memo = read_memo(conn) if not (lock or hold) else None
    if memo is not None and ("agent", name) in memo:
        return cast(AgentRecord, memo["agent", name])
    modes = _agent_by_name(conn)
    stmt = modes.get("hold" if hold else "lock" if lock else "plain", modes["plain"])
    row = (await conn.execute(stmt, {"name": name})).first()
    if row is None:
        raise NotFound(f"unknown agent {name!r}")
    if memo is not None:
        memo["agent", name] = row
    return cast(AgentRecord, row)


def agent_facts(row: AgentRecord) -> AgentFacts:
    return AgentFacts(
        id=row.id,
        name=row.name,
        permissions=parse_permissions(row.permissions),
        is_admin=row.is_admin,
    )


async def load_policy(conn: AsyncConnection) -> Policy:
    memo = read_memo(conn)
    if memo is not None and ("policy",) in memo:
        return cast(Policy, memo["policy",])
    rows = (await conn.execute(_settings(conn))).all()
    policy = policy_from_rows({k: v for k, v in rows})
    if memo is not None:
        memo["policy",] = policy
    return policy


def session_columns() -> list[Any]:
    owner = Agent.__table__.alias("owner")
    return [Session, owner.c.name.label("owner_name"), Customer.name.label("customer_name")]


def session_select() -> Any:
    owner = Agent.__table__.alias("owner")
    return (
        select(
            Session.__table__,
            owner.c.name.label("owner_name"),
            Customer.name.label("customer_name"),
        )
        .select_from(Session.__table__)
        .join(Customer.__table__, Customer.id == Session.customer_id)
        .outerjoin(owner, owner.c.id == Session.owner_id)
    )


def dialect_insert(conn: AsyncConnection) -> Callable[..., Any]:
    """The dialect's ``insert`` (with ``on_conflict_do_*``) for ``conn``."""
    return insert_for(conn.dialect.name)


def insert_for(dialect: str) -> Callable[..., Any]:
    """The ``insert`` (with ``on_conflict_do_*``) of the dialect named ``dialect``.
    PostgreSQL's is imported only on PostgreSQL: the SQLite start of the console does not
    load that dialect."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    return sqlite_insert


async def insert_bulk_items(conn: AsyncConnection, bulk_id: int, ids: Sequence[int]) -> None:
    """A bulk operation's frozen selection, ``seq`` 0.. in the given order, in one statement
    (the ids travel as one JSON array or one PostgreSQL array, not one row of parameters each)."""
    if not ids:
        return
    if conn.dialect.name == "postgresql":
        stmt = text(
            "INSERT INTO bulk_items (bulk_id, seq, session_id) "
            "SELECT :bulk_id, ord - 1, sid FROM unnest(CAST(:ids AS BIGINT[])) "
            "WITH ORDINALITY AS t(sid, ord)"
        )
        await conn.execute(stmt, {"bulk_id": bulk_id, "ids": list(ids)})
        return
    stmt = text(
        "INSERT INTO bulk_items (bulk_id, seq, session_id) "
        "SELECT :bulk_id, CAST(key AS INTEGER), value FROM json_each(:ids)"
    )
    await conn.execute(stmt, {"bulk_id": bulk_id, "ids": json.dumps(list(ids))})


async def lock_sessions(conn: AsyncConnection, ids: Sequence[int]) -> None:
    """PostgreSQL: lock the rows (in id order, so two lockers never deadlock).

    SQLite needs nothing: the writing transaction already holds the database's write lock.
    """
    if conn.dialect.name == "postgresql" and ids:
        await conn.execute(_lock_sessions(conn), {"ids": ids_value(conn, sorted(ids))})


@per_dialect
def _lock_sessions(dialect: str) -> Any:
    """The sessions bound as ``ids``, locked in id order (every reply and end runs it)."""
    return (
        select(Session.id)
        .where(ids_in(dialect, Session.id, "ids"))
        .order_by(Session.id)
        .with_for_update()
    )


@per_dialect
def _session_facts(dialect: str) -> Any:
    return (
        session_select()
        .add_columns(
            EndRecord.actor_kind.label("end_actor_kind"),
            EndRecord.actor.label("end_actor"),
            EndRecord.surface.label("end_surface"),
            EndRecord.at.label("end_at"),
        )
        .outerjoin(EndRecord.__table__, EndRecord.session_id == Session.id)
        .where(ids_in(dialect, Session.id, "ids"))
    )


async def session_facts(
    conn: AsyncConnection, ids: Sequence[int]
) -> dict[int, tuple[SessionFacts, SessionRecord]]:
    """Facts for the rules plus the raw row, for each existing id (missing ids are absent)."""
    if not ids:
        return {}
    found = await conn.execute(_session_facts(conn), {"ids": ids_value(conn, ids)})
    rows = cast("Sequence[SessionRecord]", found.all())
    return {row.id: (facts_of(row), row) for row in rows}


@per_dialect
def _end_facts(dialect: str) -> Any:
    owner = Agent.__table__.alias("owner")
    return (
        select(
            Session.id,
            Session.customer_id,
            Session.channel,
            Session.status,
            Session.owner_id,
            Session.capacity_model,
            Session.units,
            Session.units_held,
            owner.c.name.label("owner_name"),
            EndRecord.actor_kind.label("end_actor_kind"),
            EndRecord.actor.label("end_actor"),
            EndRecord.surface.label("end_surface"),
            EndRecord.at.label("end_at"),
        )
        .select_from(Session.__table__)
        .outerjoin(owner, owner.c.id == Session.owner_id)
        .outerjoin(EndRecord.__table__, EndRecord.session_id == Session.id)
        .where(ids_in(dialect, Session.id, "ids"))
    )


async def end_facts(
    conn: AsyncConnection, ids: Sequence[int]
) -> dict[int, tuple[SessionFacts, EndingRecord]]:
    """Like :func:`session_facts`, with only the columns ending needs (the hot path of bulk end)."""
    if not ids:
        return {}
    found = await conn.execute(_end_facts(conn), {"ids": ids_value(conn, ids)})
    rows = cast("Sequence[EndingRecord]", found.all())
    return {row.id: (facts_of(row), row) for row in rows}


def facts_of(row: EndingRecord) -> SessionFacts:
    ended = None
    if row.end_actor_kind is not None:
        assert row.end_actor is not None and row.end_surface is not None and row.end_at
        ended = EndFacts(
            actor_kind=ActorKind(row.end_actor_kind),
            actor=row.end_actor,
            surface=Surface(row.end_surface),
            at=row.end_at,
        )
    return SessionFacts(
        id=row.id,
        status=_STATUSES[row.status],
        channel=channel(row.channel),
        owner_id=row.owner_id,
        owner_name=row.owner_name,
        capacity_model=_MODELS[row.capacity_model],
        ended=ended,
    )


# Enum(value) is slow next to a dict; bulk end builds facts for thousands of rows.
_STATUSES = {s.value: s for s in SessionStatus}
_MODELS = {m.value: m for m in CapacityModel}


async def customer_id(conn: AsyncConnection, name: str, now: datetime, *, create: bool) -> int:
    if unstorable(name) is not None and not create:
        raise NotFound(f"unknown customer {name!r}")
    found = await conn.scalar(_customer_named(conn), {"name": name})
    if found is not None:
        return int(found)
    if not create:
        raise NotFound(f"unknown customer {name!r}")
    # Two first messages from a new customer may arrive at once: the second insert does
    # nothing and both read the one row (the name is unique).
    await conn.execute(_customer_insert(conn), {"name": name, "created_at": now})
    return int(await conn.scalar(_customer_named(conn), {"name": name}) or 0)


@per_dialect
def _customer_named(dialect: str) -> Any:
    """The id of the customer named ``name`` (every inbound message asks it)."""
    return select(Customer.id).where(Customer.name == bindparam("name"))


@per_dialect
def _customer_insert(dialect: str) -> Any:
    """A new customer ``name`` unless one has that name already."""
    return (
        insert_for(dialect)(Customer)
        .values(name=bindparam("name"), created_at=bindparam("created_at"))
        .on_conflict_do_nothing(index_elements=[Customer.name])
    )


async def max_change_seq(conn: AsyncConnection) -> int:
    return int(await conn.scalar(select(func.coalesce(func.max(Change.seq), 0))) or 0)


KNOWN_CHANNELS = tuple(CHANNELS_BY_ID)

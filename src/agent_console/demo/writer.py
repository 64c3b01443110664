"""The seed's bulk writer: what a plan needs in the database first (settings, quick replies,
agents), then whole planned sessions per transaction, sent in the driver's own form.

Speed (100,000 sessions, ~600,000 rows, in about 10 s on SQLite): rows come planned in the
driver's form (see :class:`~agent_console.demo.rows.Clock`) and go out with
``exec_driver_sql``, one executemany per table per chunk -- SQLAlchemy's per-row parameter
processing of a Core ``insert()`` executemany was a third of the run.

Session ids (and customer ids) are explicit and reserved per chunk: on SQLite ``max(id) + 1``
under the chunk's write lock, on PostgreSQL ``nextval`` of the column's sequence (so the
sequence is advanced past them and concurrent writers never collide with them). Each chunk
holds whole sessions -- the session, its new customers, its transcript, its end record, its
CSAT request and the capacity it takes from its owner -- so every committed chunk leaves
:func:`agent_console.services.check.check` clean.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.ending import Agent as AgentFacts
from ..domain.errors import Refused, StoreError
from ..domain.vocab import CapacityModel
from ..services.context import Ctx
from ..store import queries as q
from ..store.models import (
    Agent,
    CsatRequest,
    Customer,
    EndRecord,
    Message,
    QuickReply,
    Session,
    Setting,
)
from ..store.search import indexing_in_bulk
from .roster import AgentDraft
from .rows import (
    CSAT_COLUMNS,
    CUSTOMER_COLUMNS,
    END_COLUMNS,
    MESSAGE_COLUMNS,
    ROW_CUSTOMER,
    ROW_ID,
    SESSION_COLUMNS,
    Clock,
    PlannedSession,
    RosterAgent,
)
from .texts import QUICK_REPLIES

#: SQLite page cache while seeding, in KiB (negative: a size, not a page count).
SEED_CACHE_KIB = -65536
SEED_BY = "seed"

#: Channels the seed sets to status-based capacity (unless a setting already exists).
STATUS_BASED_CHANNELS = (
    "enhanced_web_chat_v2",
    "enhanced_whatsapp",
    "enhanced_line",
    "standard_sms",
)
#: Channels whose sessions the seed makes heavier (unless a setting already exists).
HEAVY_CHANNELS = {"byoc": 2}

STATUS_BASED = CapacityModel.STATUS_BASED.value


@asynccontextmanager
async def big_cache(conn: AsyncConnection) -> AsyncIterator[None]:
    """SQLite: a 64 MB page cache while a chunk is written (the default 2 MB makes the six
    session indexes spill and re-read pages), then the connection's usual size again."""
    if conn.dialect.name != "sqlite":
        yield
        return
    usual = await conn.exec_driver_sql("PRAGMA cache_size")
    size = int(usual.scalar_one())
    await conn.exec_driver_sql(f"PRAGMA cache_size = {SEED_CACHE_KIB}")
    try:
        yield
    finally:
        await conn.exec_driver_sql(f"PRAGMA cache_size = {size}")


async def ensure_settings(conn: AsyncConnection, now: datetime) -> None:
    """Both capacity models in use: a few channels status-based, unless an admin chose."""
    have = set((await conn.scalars(select(Setting.key))).all())
    wanted = [(f"channel.{cid}.capacity_model", STATUS_BASED) for cid in STATUS_BASED_CHANNELS] + [
        (f"channel.{cid}.units", str(n)) for cid, n in HEAVY_CHANNELS.items()
    ]
    rows = [
        {"key": k, "value": v, "updated_at": now, "updated_by": SEED_BY}
        for k, v in wanted
        if k not in have
    ]
    if rows:
        await conn.execute(insert(Setting), rows)
        await q.record_changes(conn, now, "settings", [(None, None)])


async def ensure_quick_replies(conn: AsyncConnection, now: datetime) -> None:
    """A few quick replies to pick from (f4), unless one with the name is there already."""
    have = set((await conn.scalars(select(QuickReply.name))).all())
    rows = [
        {"name": n, "text": t, "created_at": now, "updated_at": now, "updated_by": SEED_BY}
        for n, t in QUICK_REPLIES
        if n not in have
    ]
    if rows:
        await conn.execute(insert(QuickReply), rows)


async def ensure_agents(
    conn: AsyncConnection, drafts: list[AgentDraft], now: datetime
) -> list[RosterAgent]:
    """The roster: existing agents are reused as they are, missing ones are created."""
    wanted = {d.name for d in drafts}
    existing = {r.name: r for r in (await conn.execute(select(Agent))).all() if r.name in wanted}
    roster: list[RosterAgent] = []
    created: list[int] = []
    for d in drafts:
        row = existing.get(d.name)
        if row is None:
            agent_id = int(
                (
                    await conn.execute(
                        insert(Agent)
                        .values(
                            name=d.name,
                            capacity=d.capacity,
                            used_units=0,
                            permissions=q.format_permissions(d.perms),
                            is_admin=d.is_admin,
                            presence=d.presence.value,
                            logged_in=d.logged_in,
                            created_at=d.joined,
                            presence_since=now,
                        )
                        .returning(Agent.id)
                    )
                ).scalar_one()
            )
            created.append(agent_id)
            facts = AgentFacts(agent_id, d.name, d.perms, d.is_admin)
            roster.append(
                RosterAgent(
                    agent_id, d.name, d.capacity, 0, d.perms, d.presence.value, d.logged_in, facts
                )
            )
        else:
            have = q.parse_permissions(row.permissions)
            facts = AgentFacts(row.id, row.name, have, bool(row.is_admin))
            roster.append(
                RosterAgent(
                    row.id,
                    row.name,
                    row.capacity,
                    row.used_units,
                    have,
                    row.presence,
                    bool(row.logged_in),
                    facts,
                )
            )
    if created:
        await q.record_changes(conn, now, "agent", [(None, a) for a in created])
    return roster


def _insert_sql(conn: AsyncConnection, table: str, columns: Sequence[str]) -> str:
    style = conn.dialect.paramstyle
    if style == "qmark":
        marks = ", ".join("?" for _ in columns)
    elif style == "numeric_dollar":
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    else:
        raise StoreError(f"seeding does not support the {style} parameter style")
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


async def _reserve_ids(conn: AsyncConnection, table: str, count: int) -> list[int]:
    """``count`` fresh ids for ``table``.

    SQLite: ``max(id) + 1`` onwards, safe under the chunk's write lock. PostgreSQL: ``nextval``
    of the column's sequence, so the sequence moves past them and writers running at the same
    time (which take ids from the sequence) can never collide with these explicit ids.
    """
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        rows = await conn.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                "FROM generate_series(1, :n)"
            ),
            {"n": count},
        )
        return sorted(int(r[0]) for r in rows)
    base = int(await conn.scalar(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")) or 0)
    return list(range(base + 1, base + 1 + count))


async def write_chunk(
    conn: AsyncConnection,
    part: list[PlannedSession],
    clock: Clock,
    customers: list[str],
    customer_ids: dict[int, int],
    now: datetime,
) -> int:
    """Write whole sessions: customers, sessions, transcripts, ends, CSAT, capacity."""
    store = clock.store
    new = list(dict.fromkeys(p.customer for p in part if p.customer not in customer_ids))
    if new:
        first_seen: dict[int, int] = {}
        for p in part:
            first_seen.setdefault(p.customer, p.created)
        ids = await _reserve_ids(conn, "customers", len(new))
        fresh = []
        for idx, cid in zip(new, ids, strict=True):
            customer_ids[idx] = cid
            fresh.append((cid, customers[idx], store(first_seen[idx])))
        async with indexing_in_bulk(conn, "customers"):
            await conn.exec_driver_sql(_insert_sql(conn, "customers", CUSTOMER_COLUMNS), fresh)

    sids = await _reserve_ids(conn, "sessions", len(part))
    sessions: list[tuple[Any, ...]] = []
    messages: list[tuple[Any, ...]] = []
    ends: list[tuple[Any, ...]] = []
    csat: list[tuple[Any, ...]] = []
    used: dict[int, int] = {}
    for p, sid in zip(part, sids, strict=True):
        row = p.row
        cid = customer_ids[p.customer]
        row[ROW_ID], row[ROW_CUSTOMER] = sid, cid
        sessions.append(tuple(row))
        messages.extend([(sid, *m) for m in p.messages])
        if p.end is not None:
            ends.append((sid, *p.end))
            if p.csat is not None:
                csat.append((sid, cid, *p.csat))
        if p.consumes and p.owner is not None:
            used[p.owner.id] = used.get(p.owner.id, 0) + p.consumes

    for agent_id, units in used.items():
        result = await conn.execute(
            update(Agent)
            .where(Agent.id == agent_id, Agent.used_units + units <= Agent.capacity)
            .values(used_units=Agent.used_units + units)
        )
        if result.rowcount != 1:
            raise Refused(
                f"agent {agent_id}'s capacity changed while seeding; this chunk was not written"
            )
    await conn.exec_driver_sql(_insert_sql(conn, "sessions", SESSION_COLUMNS), sessions)
    if messages:
        async with indexing_in_bulk(conn, "messages"):
            await conn.exec_driver_sql(_insert_sql(conn, "messages", MESSAGE_COLUMNS), messages)
    if ends:
        await conn.exec_driver_sql(_insert_sql(conn, "end_records", END_COLUMNS), ends)
    if csat:
        await conn.exec_driver_sql(_insert_sql(conn, "csat_requests", CSAT_COLUMNS), csat)
    await q.record_changes(conn, now, "seed", [(None, None)])
    return len(messages)


async def count_rows(ctx: Ctx) -> dict[str, int]:
    """Row counts of the tables a seed fills (for reports and benchmarks)."""
    out: dict[str, int] = {}
    async with ctx.db.read() as conn:
        for table in (Agent, Customer, Session, Message, EndRecord, CsatRequest):
            out[table.__tablename__] = int(
                await conn.scalar(select(func.count()).select_from(table)) or 0
            )
    return out

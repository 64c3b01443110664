"""The persisted, resumable bulk end (R3, R11): what runs once a preview is confirmed.

``start_bulk`` freezes the selection (ids, or every id a filter matches) as ``bulk_items``
in one transaction. ``run_bulk`` ends pending items chunk by chunk, each chunk one transaction
through :func:`end_core`, recording every row's ``ended`` / ``skipped: reason``. A crash leaves
each chunk untouched or complete; running the operation again resumes with the rows still
pending, and the end record's primary key means nothing can end twice. A caller may also stop
it between two chunks (``stop``: the console quitting); it is then ``interrupted``, resumable
the same way.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ...domain.ending import Actor
from ...domain.errors import NotFound, Refused
from ...domain.vocab import Surface
from ...store import queries as q
from ...store.models import Agent, BulkItem, BulkOperation
from ..context import Ctx
from ..ending import end_core
from ..listing import Selection, SessionFilter, matching_ids
from ..views import BulkReport, EndOutcome, EndResult

CHUNK = 2000
STALE_AFTER = timedelta(seconds=30)
Progress = Callable[[int, int], None]
#: Asked before each chunk: True stops the run there (the operation is left resumable).
Stop = Callable[[], bool]


async def selected_ids(
    conn: AsyncConnection, ctx: Ctx, ids: Sequence[int] | None, flt: SessionFilter | None
) -> list[int]:
    """The session ids a selection holds now: the given ids (once each), or a filter's matches."""
    if ids is not None:
        return list(dict.fromkeys(ids))
    if flt is None:
        raise Refused("bulk end needs session ids or a filter")
    return await matching_ids(conn, flt, ctx.now())


async def start_bulk(
    ctx: Ctx, agent_name: str, *, ids: Sequence[int] | None = None, flt: SessionFilter | None = None
) -> int:
    """Persist the operation and its frozen selection; returns the operation id."""
    async with ctx.db.write() as conn:
        now = ctx.now()
        agent = q.agent_facts(await q.agent_row(conn, agent_name))
        selected = await selected_ids(conn, ctx, ids, flt)
        description = {"ids": list(ids)} if ids is not None else {"filter": _filter_json(flt)}
        bulk_id = int(
            (
                await conn.execute(
                    insert(BulkOperation)
                    .values(
                        agent_id=agent.id,
                        surface=Surface.LIST.value,
                        selection=json.dumps(description),
                        status="running",
                        total=len(selected),
                        created_at=now,
                        heartbeat_at=now,
                    )
                    .returning(BulkOperation.id)
                )
            ).scalar_one()
        )
        await q.insert_bulk_items(conn, bulk_id, selected)
    return bulk_id


async def start_selection(ctx: Ctx, agent_name: str, selection: Selection) -> int:
    """Persist a bulk end of a (frozen) selection; run it with :func:`run_bulk`."""
    if selection.flt is not None:
        return await start_bulk(ctx, agent_name, flt=selection.flt)
    return await start_bulk(ctx, agent_name, ids=selection.ids or ())


def _filter_json(flt: SessionFilter | None) -> dict[str, object]:
    if flt is None:
        return {}
    out: dict[str, object] = {}
    for key in ("statuses", "channels", "owner", "unassigned", "customer"):
        value = getattr(flt, key)
        if value:
            out[key] = list(value) if isinstance(value, tuple) else value
    for key in ("min_age", "max_age"):
        value = getattr(flt, key)
        if value is not None:
            out[key + "_seconds"] = value.total_seconds()
    return out


async def run_bulk(
    ctx: Ctx,
    bulk_id: int,
    *,
    chunk: int | None = None,
    progress: Progress | None = None,
    stop: Stop | None = None,
) -> BulkReport:
    """End the operation's pending rows, chunk by chunk; safe to call again after a crash.

    ``stop`` is asked before each chunk; when it says so the run ends there, between two
    committed chunks, and the operation is marked ``interrupted`` (run it again to resume).
    """
    chunk = chunk or CHUNK
    # The per-row results of this call, in order: when it did every row itself (the usual
    # case) the report is built from them instead of reading them all back.
    mine: list[EndResult] = []
    total = -1
    while True:
        if stop is not None and stop():
            return await _interrupt(ctx, bulk_id)
        async with ctx.db.write() as conn:
            now = ctx.now()
            op = (
                await conn.execute(select(BulkOperation).where(BulkOperation.id == bulk_id))
            ).first()
            if op is None:
                raise NotFound(f"no bulk operation {bulk_id}")
            pending_stmt = (
                select(BulkItem.seq, BulkItem.session_id)
                .where(BulkItem.bulk_id == bulk_id, BulkItem.result.is_(None))
                .order_by(BulkItem.seq)
                .limit(chunk)
            )
            if conn.dialect.name == "postgresql":  # two resumers never take the same rows
                pending_stmt = pending_stmt.with_for_update(skip_locked=True)
            pending = (await conn.execute(pending_stmt)).all()
            started = op.created_at
            if not pending:
                total = op.total
                if op.status != "completed":
                    await conn.execute(
                        update(BulkOperation)
                        .where(BulkOperation.id == bulk_id)
                        .values(status="completed", finished_at=now, heartbeat_at=now)
                    )
                break
            agent = (await conn.execute(select(Agent).where(Agent.id == op.agent_id))).one()
            actor = Actor.of_agent(q.agent_facts(agent))
            policy = await q.load_policy(conn)
            results = await end_core(
                conn,
                actor,
                Surface.LIST,
                [p.session_id for p in pending],
                policy,
                ctx.now,
                bulk_id=bulk_id,
            )
            # One UPDATE per distinct outcome (most rows share one) rather than one per row.
            by_id = {r.session_id: r for r in results}
            mine.extend(by_id[p.session_id] for p in pending)
            groups: dict[tuple[str, str], list[int]] = defaultdict(list)
            for p in pending:
                r = by_id[p.session_id]
                groups[(r.result, r.reason)].append(p.seq)
            for (outcome, why), seqs in groups.items():
                await conn.execute(
                    update(BulkItem)
                    .where(
                        BulkItem.bulk_id == bulk_id,
                        q.in_ids(conn, BulkItem.seq, seqs),
                        BulkItem.result.is_(None),
                    )
                    .values(result=outcome, reason=why)
                )
            ended = sum(1 for r in results if r.result is EndOutcome.ENDED)
            await conn.execute(
                update(BulkOperation)
                .where(BulkOperation.id == bulk_id)
                .values(
                    ended=BulkOperation.ended + ended,
                    skipped=BulkOperation.skipped + (len(results) - ended),
                    heartbeat_at=now,
                    status="running",
                )
            )
            done = op.ended + op.skipped + len(results)
            total = op.total
        if progress is not None:
            progress(done, total)
    if len(mine) == total:
        ended = sum(1 for r in mine if r.result is EndOutcome.ENDED)
        return BulkReport(bulk_id, "completed", total, ended, total - ended, 0, mine, started)
    return await bulk_report(ctx, bulk_id)


async def _interrupt(ctx: Ctx, bulk_id: int) -> BulkReport:
    """Mark a running operation ``interrupted`` (stopped on request, resumable) and report it."""
    async with ctx.db.write() as conn:
        await conn.execute(
            update(BulkOperation)
            .where(BulkOperation.id == bulk_id, BulkOperation.status == "running")
            .values(status="interrupted")
        )
    return await bulk_report(ctx, bulk_id, with_results=False)


async def bulk_end(
    ctx: Ctx,
    agent_name: str,
    *,
    ids: Sequence[int] | None = None,
    flt: SessionFilter | None = None,
    progress: Progress | None = None,
    chunk: int | None = None,
) -> BulkReport:
    """Start a bulk end and run it to its end (the CLI, the bench, tests)."""
    bulk_id = await start_bulk(ctx, agent_name, ids=ids, flt=flt)
    return await run_bulk(ctx, bulk_id, progress=progress, chunk=chunk)


async def bulk_report(ctx: Ctx, bulk_id: int, *, with_results: bool = True) -> BulkReport:
    """An operation's status and counts (and, with ``with_results``, its finished rows)."""
    async with ctx.db.read() as conn:
        op = (await conn.execute(select(BulkOperation).where(BulkOperation.id == bulk_id))).first()
        if op is None:
            raise NotFound(f"no bulk operation {bulk_id}")
        pending = int(
            await conn.scalar(
                select(func.count())
                .select_from(BulkItem)
                .where(BulkItem.bulk_id == bulk_id, BulkItem.result.is_(None))
            )
            or 0
        )
        results: list[EndResult] = []
        if with_results:
            items = (
                await conn.execute(
                    select(BulkItem.session_id, BulkItem.result, BulkItem.reason)
                    .where(BulkItem.bulk_id == bulk_id, BulkItem.result.is_not(None))
                    .order_by(BulkItem.seq)
                )
            ).all()
            results = [EndResult(i.session_id, EndOutcome(i.result), i.reason or "") for i in items]
    status = op.status
    if status == "running" and ctx.now() - op.heartbeat_at > STALE_AFTER:
        status = "interrupted"
    return BulkReport(
        bulk_id=bulk_id,
        status=status,
        total=op.total,
        ended=op.ended,
        skipped=op.skipped,
        pending=pending,
        results=results,
        started_at=op.created_at,
    )


async def unfinished_bulks(ctx: Ctx, agent_name: str | None = None) -> list[BulkReport]:
    """Operations not completed (running elsewhere, or interrupted and resumable), oldest
    first; with ``agent_name``, only those that agent started."""
    async with ctx.db.read() as conn:
        stmt = select(BulkOperation.id).where(BulkOperation.status != "completed")
        if agent_name is not None:
            agent = q.agent_facts(await q.agent_row(conn, agent_name))
            stmt = stmt.where(BulkOperation.agent_id == agent.id)
        ids = (await conn.scalars(stmt.order_by(BulkOperation.id))).all()
    return [await bulk_report(ctx, i, with_results=False) for i in ids]


__all__ = [
    "CHUNK",
    "STALE_AFTER",
    "Actor",
    "Progress",
    "Stop",
    "bulk_end",
    "bulk_report",
    "run_bulk",
    "selected_ids",
    "start_bulk",
    "start_selection",
    "unfinished_bulks",
]

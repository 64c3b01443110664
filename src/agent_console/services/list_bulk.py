"""The list's End Sessions (R3, R11) as a person sees it: counts and pages, never 10,000 rows.

:func:`preview_selection` counts what a selection will do (will end / will skip, by kind of
reason) and freezes the selection as counted; :func:`preview_lines` pages its rows with the
text each shows; :func:`start_selection` hands it to the persisted, chunked operation of
:mod:`.bulk` (run with :func:`.bulk.run_bulk`); :func:`result_counts` and :func:`result_lines`
show what happened, row by row, in the same way.
"""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import func, select

from ..domain.channels import channel as channel_of
from ..domain.ending import may_end
from ..domain.vocab import Surface, session_label
from ..store import queries as q
from ..store.models import Agent, BulkItem, Customer, EndRecord, Session
from .bulk import start_bulk
from .context import Ctx
from .ending import actor_for_agent
from .listing import Selection, Sort, filter_clauses, frozen_filter, list_sessions
from .views import BulkPreviewSummary, OutcomeCount, OutcomeLine, OutcomePage, PageCursor

_PARENTHESIS = re.compile(r"\s*\(.*\)$")
_UNITS_FREED = re.compile(r"\d+ units? freed")


def reason_group(outcome: str, reason: str) -> str:
    """The kind of a reason, for counting rows: reasons name sessions, people and times."""
    if reason.startswith("already ended"):
        return "already ended"
    if reason.startswith("no session"):
        return "no such session"
    if outcome in ("end", "ended"):
        return _UNITS_FREED.sub("units freed", _PARENTHESIS.sub("", reason))
    head, sep, _ = reason.partition(":")
    return head if sep else reason


def outcome_text(outcome: str, reason: str) -> str:
    """What a row shows: "will end", "will skip: reason", "ended...", "skipped: reason"."""
    if outcome == "end":
        return "will end"
    if outcome == "skip":
        return f"will skip: {reason}"
    if outcome == "ended":
        return reason or "ended"
    return f"skipped: {reason}"


def _counted(counter: Counter[tuple[str, str]]) -> list[OutcomeCount]:
    """Ends first, then skips; the most frequent kind first within each."""
    first = {"end": 0, "ended": 0}
    return [
        OutcomeCount(will, reason, n, outcome_text(will, reason))
        for (will, reason), n in sorted(
            counter.items(), key=lambda item: (first.get(item[0][0], 1), -item[1], item[0][1])
        )
    ]


async def preview_selection(ctx: Ctx, agent_name: str, selection: Selection) -> BulkPreviewSummary:
    """Counts of will end / will skip (by kind of reason) for a selection, and the selection
    frozen as counted (a filter's ages made absolute, later sessions left out) to confirm.

    Rows are grouped in SQL by every fact the rules read (status, channel, owner, capacity
    model, whether an end record exists): each group is decided once, on one of its rows, by
    the same :func:`may_end` as the run. 10,000 rows are a few dozen decisions.
    """
    now = ctx.now()
    async with ctx.db.read() as conn:
        actor = await actor_for_agent(conn, agent_name)
        policy = await q.load_policy(conn)
        flt = selection.as_filter()
        ended = EndRecord.session_id.is_not(None)
        groups = (
            await conn.execute(
                select(
                    func.count().label("n"),
                    func.min(Session.id).label("first"),
                    func.max(Session.id).label("last"),
                )
                .select_from(Session.__table__)
                .outerjoin(EndRecord.__table__, EndRecord.session_id == Session.id)
                .where(*await filter_clauses(conn, flt, now))
                .group_by(
                    Session.status, Session.channel, Session.owner_id, Session.capacity_model, ended
                )
            )
        ).all()
        facts = await q.end_facts(conn, [g.first for g in groups])
    counter: Counter[tuple[str, str]] = Counter()
    for g in groups:
        d = may_end(actor, facts[g.first][0], Surface.LIST, policy)
        key = ("end", "") if d.allowed else ("skip", reason_group("skip", d.reason))
        counter[key] += int(g.n)
    matched = sum(int(g.n) for g in groups)
    total = matched
    if selection.flt is not None:
        last = max((int(g.last) for g in groups), default=0)
        frozen = Selection(flt=frozen_filter(selection.flt, now, last))
    else:
        picked = tuple(dict.fromkeys(selection.ids or ()))
        frozen = Selection(ids=picked)
        total = len(picked)
        if total > matched:
            counter[("skip", "no such session")] += total - matched
    will_end = counter[("end", "")]
    return BulkPreviewSummary(
        total=total,
        will_end=will_end,
        will_skip=total - will_end,
        counts=_counted(+counter),
        selection=frozen,
    )


async def preview_lines(
    ctx: Ctx,
    agent_name: str,
    selection: Selection,
    *,
    sort: Sort | None = None,
    cursor: PageCursor | None = None,
    limit: int = 100,
) -> OutcomePage:
    """One page of a selection's rows, each with "will end" or "will skip: reason"."""
    page = await list_sessions(ctx, selection.as_filter(), sort=sort, cursor=cursor, limit=limit)
    async with ctx.db.read() as conn:
        actor = await actor_for_agent(conn, agent_name)
        policy = await q.load_policy(conn)
        facts = await q.end_facts(conn, [row.id for row in page.rows])
    lines = []
    for row in page.rows:
        found = facts.get(row.id)
        if found is None:
            will, why = "skip", f"no session {row.label}"
        else:
            d = may_end(actor, found[0], Surface.LIST, policy)
            will, why = ("end", d.reason) if d.allowed else ("skip", d.reason)
        lines.append(
            OutcomeLine(
                row.id,
                row.label,
                row.customer,
                row.channel_name,
                row.status,
                row.owner,
                will,
                why,
                outcome_text(will, why),
            )
        )
    return OutcomePage(lines, page.next_cursor)


async def start_selection(ctx: Ctx, agent_name: str, selection: Selection) -> int:
    """Persist a bulk end of a (frozen) selection; run it with :func:`.bulk.run_bulk`."""
    if selection.flt is not None:
        return await start_bulk(ctx, agent_name, flt=selection.flt)
    return await start_bulk(ctx, agent_name, ids=selection.ids or ())


async def result_counts(ctx: Ctx, bulk_id: int) -> list[OutcomeCount]:
    """A bulk operation's finished rows counted by outcome and kind of reason."""
    async with ctx.db.read() as conn:
        rows = (
            await conn.execute(
                select(BulkItem.result, BulkItem.reason, func.count())
                .where(BulkItem.bulk_id == bulk_id, BulkItem.result.is_not(None))
                .group_by(BulkItem.result, BulkItem.reason)
            )
        ).all()
    counter: Counter[tuple[str, str]] = Counter()
    for result, reason, n in rows:
        outcome = str(result)
        counter[(outcome, reason_group(outcome, reason or ""))] += int(n)
    return _counted(counter)


async def result_lines(
    ctx: Ctx, bulk_id: int, *, cursor: PageCursor | None = None, limit: int = 100
) -> OutcomePage:
    """One page of a bulk operation's per-row results, in selection order."""
    limit = max(1, min(limit, 1000))
    owner = Agent.__table__.alias("owner")
    stmt = (
        select(
            BulkItem.seq,
            BulkItem.session_id,
            BulkItem.result,
            BulkItem.reason,
            Session.channel,
            Session.status,
            owner.c.name.label("owner_name"),
            Customer.name.label("customer_name"),
        )
        .select_from(BulkItem.__table__)
        .outerjoin(Session.__table__, Session.id == BulkItem.session_id)
        .outerjoin(Customer.__table__, Customer.id == Session.customer_id)
        .outerjoin(owner, owner.c.id == Session.owner_id)
        .where(BulkItem.bulk_id == bulk_id, BulkItem.result.is_not(None))
    )
    if cursor is not None:
        stmt = stmt.where(BulkItem.seq > cursor.id)
    async with ctx.db.read() as conn:
        rows = (await conn.execute(stmt.order_by(BulkItem.seq).limit(limit + 1))).all()
    more = len(rows) > limit
    rows = rows[:limit]
    lines = [
        OutcomeLine(
            r.session_id,
            session_label(r.session_id),
            r.customer_name or "",
            channel_of(r.channel).name if r.channel else "",
            r.status or "",
            r.owner_name,
            r.result,
            r.reason or "",
            outcome_text(r.result, r.reason or ""),
        )
        for r in rows
    ]
    last = rows[-1].seq if more and rows else None
    return OutcomePage(lines, PageCursor(last, last) if last is not None else None)

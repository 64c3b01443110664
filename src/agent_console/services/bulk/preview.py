"""Bulk End Sessions previewed (R3, R11): what a selection will do, nothing written.

:func:`preview_bulk` gives every row's verdict (the CLI); :func:`preview_selection` counts a
list selection (will end / will skip, by kind of reason) and freezes it as counted, and
:func:`preview_lines` pages its rows with the text each shows. Confirming hands the frozen
selection to the persisted operation (:func:`.operation.start_selection`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import func, select

from ...domain.ending import may_end
from ...domain.vocab import Surface, session_label
from ...store import queries as q
from ...store.models import EndRecord, Session
from ..context import Ctx
from ..ending import actor_for_agent
from ..listing import Selection, SessionFilter, Sort, filter_clauses, frozen_filter, list_sessions
from ..views import (
    BulkPreview,
    BulkPreviewRow,
    BulkPreviewSummary,
    OutcomeLine,
    OutcomePage,
    PageCursor,
)
from .operation import CHUNK, selected_ids
from .outcomes import counted, outcome_text, reason_group


async def preview_bulk(
    ctx: Ctx, agent_name: str, *, ids: Sequence[int] | None = None, flt: SessionFilter | None = None
) -> BulkPreview:
    """Per row: will end, or will skip and why -- nothing is written."""
    async with ctx.db.read() as conn:
        actor = await actor_for_agent(conn, agent_name)
        policy = await q.load_policy(conn)
        selected = await selected_ids(conn, ctx, ids, flt)
        rows: list[BulkPreviewRow] = []
        for start in range(0, len(selected), CHUNK):
            part = selected[start : start + CHUNK]
            facts = await q.session_facts(conn, part)
            for sid in part:
                if sid not in facts:
                    rows.append(BulkPreviewRow(sid, "skip", f"no session {session_label(sid)}"))
                    continue
                d = may_end(actor, facts[sid][0], Surface.LIST, policy)
                rows.append(BulkPreviewRow(sid, "end" if d.allowed else "skip", d.reason))
    will_end = sum(1 for r in rows if r.will == "end")
    return BulkPreview(
        total=len(rows), will_end=will_end, will_skip=len(rows) - will_end, rows=rows
    )


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
        counts=counted(+counter),
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

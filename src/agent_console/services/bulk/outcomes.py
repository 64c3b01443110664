"""How bulk-end rows read, counted by kind of reason and paged: the words of the preview
(:mod:`.preview`) and of a finished operation's results (:mod:`.operation`).
"""

from __future__ import annotations

import re
from collections import Counter

from sqlalchemy import func, select

from ...domain.channels import channel as channel_of
from ...domain.vocab import session_label
from ...store.models import Agent, BulkItem, Customer, Session
from ..context import Ctx
from ..views import EndOutcome, OutcomeCount, OutcomeLine, OutcomePage, PageCursor

_PARENTHESIS = re.compile(r"\s*\(.*\)$")
_UNITS_FREED = re.compile(r"\d+ units? freed")


def reason_group(outcome: str, reason: str) -> str:
    """The kind of a reason, for counting rows: reasons name sessions, people and times."""
    if reason.startswith("already ended"):
        return "already ended"
    if reason.startswith("no session"):
        return "no such session"
    if outcome in ("end", EndOutcome.ENDED):
        return _UNITS_FREED.sub("units freed", _PARENTHESIS.sub("", reason))
    head, sep, _ = reason.partition(":")
    return head if sep else reason


def outcome_text(outcome: str, reason: str) -> str:
    """What a row shows: "will end", "will skip: reason", "ended...", "skipped: reason"."""
    if outcome == "end":
        return "will end"
    if outcome == "skip":
        return f"will skip: {reason}"
    if outcome == EndOutcome.ENDED:
        return reason or EndOutcome.ENDED.value
    return f"skipped: {reason}"


def counted(counter: Counter[tuple[str, str]]) -> list[OutcomeCount]:
    """Ends first, then skips; the most frequent kind first within each."""
    first = {"end": 0, EndOutcome.ENDED.value: 0}
    return [
        OutcomeCount(will, reason, n, outcome_text(will, reason))
        for (will, reason), n in sorted(
            counter.items(), key=lambda item: (first.get(item[0][0], 1), -item[1], item[0][1])
        )
    ]


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
    return counted(counter)


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

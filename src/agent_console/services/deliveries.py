"""Which of some sessions have outbound events that did not reach their channel (yet).

The console reads this on every refresh for the agent's own sessions (a few hundred at most)
to mark the ones with a failed delivery and to tell the agent when one fails or starts being
retried. It stays cheap whatever the outbox holds: the events are found through the outbox's
``(session_id, id)`` index, counted in SQL, and only the newest event per session and state is
loaded. Read-only: the outbox itself is written by ``services.outbox``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select

from ..domain.outbox import DeliveryState
from ..store.models import OutboxEvent
from ..store.prebuilt import ids_in, ids_value, per_dialect
from .context import Ctx
from .outbox import FAILED, PENDING
from .transcript import DELIVERY_COLUMNS, delivery_view
from .views import DeliveryView


@dataclass(frozen=True)
class SessionDeliveries:
    """One session's events that did not reach its channel: how many failed (gave up) and
    how many are being retried, and the newest of each (None: none in that state)."""

    session_id: int
    failed: int
    retrying: int
    newest_failed: DeliveryView | None
    newest_retrying: DeliveryView | None

    @property
    def worst(self) -> str:
        """``failed`` when any event gave up, else ``retrying``."""
        return DeliveryState.FAILED.value if self.failed else DeliveryState.RETRYING.value


@per_dialect
def _problem_statements(dialect: str) -> dict[str, Any]:
    """Per session of ``ids`` and state, the failed or retrying events (count, newest id); the
    events ``ids``."""
    # Retrying: still pending after at least one failed attempt (as ``delivery_view`` says).
    troubled = or_(
        OutboxEvent.state == FAILED,
        and_(OutboxEvent.state == PENDING, OutboxEvent.attempts > 0),
    )
    groups = (
        select(
            OutboxEvent.session_id,
            OutboxEvent.state,
            func.count().label("n"),
            func.max(OutboxEvent.id).label("newest"),
        )
        .where(ids_in(dialect, OutboxEvent.session_id, "ids"), troubled)
        .group_by(OutboxEvent.session_id, OutboxEvent.state)
    )
    newest = select(*DELIVERY_COLUMNS).where(ids_in(dialect, OutboxEvent.id, "ids"))
    return {"groups": groups, "newest": newest}


async def delivery_problems(ctx: Ctx, session_ids: Sequence[int]) -> dict[int, SessionDeliveries]:
    """The sessions among ``session_ids`` with a failed or retrying event, by session id
    (sessions whose events were all sent, or are waiting for their first try, are left out)."""
    if not session_ids:
        return {}
    async with ctx.db.read() as conn:
        statements = _problem_statements(conn)
        found = await conn.execute(statements["groups"], {"ids": ids_value(conn, session_ids)})
        groups = found.all()
        if not groups:
            return {}
        newest_ids = ids_value(conn, [g.newest for g in groups])
        newest = {
            r.id: delivery_view(r)
            for r in (await conn.execute(statements["newest"], {"ids": newest_ids})).all()
        }
    counts: dict[int, dict[str, tuple[int, DeliveryView | None]]] = {}
    for g in groups:
        state = DeliveryState.FAILED.value if g.state == FAILED else DeliveryState.RETRYING.value
        counts.setdefault(g.session_id, {})[state] = (int(g.n), newest.get(g.newest))
    out: dict[int, SessionDeliveries] = {}
    for session_id, by_state in counts.items():
        failed, newest_failed = by_state.get(DeliveryState.FAILED.value, (0, None))
        retrying, newest_retrying = by_state.get(DeliveryState.RETRYING.value, (0, None))
        out[session_id] = SessionDeliveries(
            session_id, failed, retrying, newest_failed, newest_retrying
        )
    return out

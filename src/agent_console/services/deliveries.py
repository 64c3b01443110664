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

from sqlalchemy import and_, func, or_, select

from ..domain.outbox import DeliveryState
from ..store import queries as q
from ..store.models import OutboxEvent
from .context import Ctx
from .listing import DELIVERY_COLUMNS, delivery_view
from .outbox import FAILED, PENDING
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


async def delivery_problems(ctx: Ctx, session_ids: Sequence[int]) -> dict[int, SessionDeliveries]:
    """The sessions among ``session_ids`` with a failed or retrying event, by session id
    (sessions whose events were all sent, or are waiting for their first try, are left out)."""
    if not session_ids:
        return {}
    # Retrying: still pending after at least one failed attempt (as ``delivery_view`` says).
    troubled = or_(
        OutboxEvent.state == FAILED,
        and_(OutboxEvent.state == PENDING, OutboxEvent.attempts > 0),
    )
    async with ctx.db.read() as conn:
        groups = (
            await conn.execute(
                select(
                    OutboxEvent.session_id,
                    OutboxEvent.state,
                    func.count().label("n"),
                    func.max(OutboxEvent.id).label("newest"),
                )
                .where(q.in_ids(conn, OutboxEvent.session_id, session_ids), troubled)
                .group_by(OutboxEvent.session_id, OutboxEvent.state)
            )
        ).all()
        if not groups:
            return {}
        newest = {
            r.id: delivery_view(r)
            for r in (
                await conn.execute(
                    select(*DELIVERY_COLUMNS).where(
                        q.in_ids(conn, OutboxEvent.id, [g.newest for g in groups])
                    )
                )
            ).all()
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

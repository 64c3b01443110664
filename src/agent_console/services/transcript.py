"""A session's transcript as the detail shows it: the newest messages, each cut to a window
of text in SQL, and what became of the outbound events that carry them (deliveries).

Read on every refresh of an open session, so the statements are built once
(``store/prebuilt.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Integer, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.outbox import DeliveryState, describe_failure
from ..store.models import Message, OutboxEvent
from ..store.prebuilt import ids_in, ids_value, per_dialect
from .outbox import public_event_id
from .views import DeliveryView, MessageView


def _text_window(lengths: list[tuple[int, int]], per_message: int, budget: int) -> list[int]:
    """The ids (newest first, as ``lengths`` is) whose first ``per_message`` characters are
    loaded: the newest messages until ``budget`` characters (the one crossing it included)."""
    chosen: list[int] = []
    used = 0
    for message_id, length in lengths:
        if used >= budget:
            break
        chosen.append(message_id)
        used += min(length, per_message)
    return chosen


@per_dialect
def _message_lengths(dialect: str) -> Any:
    """The newest ``limit`` messages of session ``sid``: id, length, and how many messages
    the session has in all (the same on every row: a subquery run once, so the count costs
    no round trip of its own)."""
    sid: Any = bindparam("sid")
    total = (
        select(func.count()).select_from(Message).where(Message.session_id == sid).scalar_subquery()
    )
    return (
        select(Message.id, func.length(Message.text), total)
        .where(Message.session_id == sid)
        .order_by(Message.id.desc())
        .limit(bindparam("limit", type_=Integer))
    )


@per_dialect
def _message_count(dialect: str) -> Any:
    """How many messages session ``sid`` has."""
    return select(func.count()).select_from(Message).where(Message.session_id == bindparam("sid"))


@per_dialect
def _message_heads(dialect: str) -> Any:
    """Messages ``ids``, each cut to ``per_message`` characters, oldest first."""
    return (
        select(
            Message.id,
            Message.author_kind,
            Message.author,
            func.substr(Message.text, 1, bindparam("per_message", type_=Integer)).label("head"),
            func.length(Message.text).label("length"),
            Message.created_at,
            Message.visible_to_customer,
        )
        .where(ids_in(dialect, Message.id, "ids"))
        .order_by(Message.id)
    )


async def newest_messages(
    conn: AsyncConnection, session_id: int, limit: int, per_message: int, budget: int
) -> tuple[list[MessageView], int]:
    """The newest messages (oldest first), each cut to ``per_message`` characters in SQL, up
    to ``budget`` characters in all: what a refresh loads is bounded whatever is stored; and
    how many messages the session has in all."""
    if limit <= 0:
        count = await conn.scalar(_message_count(conn), {"sid": session_id})
        return [], int(count or 0)
    lengths = (
        await conn.execute(_message_lengths(conn), {"sid": session_id, "limit": limit})
    ).all()
    total = int(lengths[0][2]) if lengths else 0  # no row: the session has no message
    ids = _text_window([(r[0], int(r[1] or 0)) for r in lengths], per_message, budget)
    if not ids:
        return [], total
    rows = (
        await conn.execute(
            _message_heads(conn), {"ids": ids_value(conn, ids), "per_message": per_message}
        )
    ).all()
    deliveries = await delivery_views(conn, OutboxEvent.message_id, ids)
    views = [
        MessageView(
            r.id,
            r.author_kind,
            r.author,
            r.head or "",
            r.created_at,
            bool(r.visible_to_customer),
            int(r.length or 0),
            deliveries.get(r.id),
        )
        for r in rows
    ]
    return views, total


async def delivery_views(
    conn: AsyncConnection, key: Any, ids: Sequence[int]
) -> dict[int, DeliveryView]:
    """The outbox events whose ``key`` column (message_id or csat_id) is in ``ids``, as what
    the agent sees of them, keyed by that column."""
    if not ids:
        return {}
    stmt = _deliveries_by(conn)[key.key]
    rows = (await conn.execute(stmt, {"ids": ids_value(conn, ids)})).all()
    return {r.key: delivery_view(r) for r in rows}


@per_dialect
def _deliveries_by(dialect: str) -> dict[str, Any]:
    """By the name of the outbox column they are keyed by (``message_id``, ``csat_id``): the
    events whose column is in ``ids``."""
    return {
        key.key: select(key.label("key"), *DELIVERY_COLUMNS).where(ids_in(dialect, key, "ids"))
        for key in (OutboxEvent.message_id, OutboxEvent.csat_id)
    }


#: What :func:`delivery_view` reads of an outbox event.
DELIVERY_COLUMNS = (
    OutboxEvent.id,
    OutboxEvent.type,
    OutboxEvent.state,
    OutboxEvent.attempts,
    OutboxEvent.next_attempt_at,
    OutboxEvent.delivered_at,
    OutboxEvent.last_status,
    OutboxEvent.last_error,
)


def delivery_view(r: Any) -> DeliveryView:
    failure = describe_failure(r.last_status, r.last_error) if r.attempts else None
    if r.state == "delivered":
        state, at = DeliveryState.SENT, r.delivered_at
    elif r.state == "failed":
        state, at = DeliveryState.FAILED, None
        failure = r.last_error if r.last_status is None else failure
    elif r.attempts:
        state, at = DeliveryState.RETRYING, None
    else:
        state, at = DeliveryState.PENDING, None
    return DeliveryView(
        event_id=public_event_id(r.id),
        type=r.type,
        state=state.value,
        attempts=int(r.attempts),
        next_attempt_at=r.next_attempt_at if state is DeliveryState.RETRYING else None,
        at=at,
        error=failure if state is not DeliveryState.SENT else None,
    )

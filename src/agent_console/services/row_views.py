"""The store's rows as the views the screens show: the one mapping from a row (of agents, of
sessions with their owner's and customer's names) to its view. Domain and views only, no
SQLAlchemy: the console's first read (:mod:`.first_screen`) maps its standard-library rows
through these same functions, so both reads show a row the same way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..domain.channels import channel as channel_of
from ..domain.vocab import (
    AuthorKind,
    Presence,
    SessionStatus,
    parse_permissions,
    session_label,
)
from ..store.rows import AgentRecord, SessionColumns
from .views import AgentView, SessionNeeds, SessionRow


def agent_view(r: AgentRecord) -> AgentView:
    """An ``agents`` row as the agent's view."""
    return AgentView(
        id=r.id,
        name=r.name,
        capacity=r.capacity,
        used=r.used_units,
        permissions=sorted(parse_permissions(r.permissions)),
        is_admin=bool(r.is_admin),
        presence=Presence(r.presence),
        logged_in=bool(r.logged_in),
        away_reason=r.away_reason,
        presence_since=r.presence_since,
        presence_by=r.presence_by,
        presence_note=r.presence_note,
    )


def session_row(row: SessionColumns) -> SessionRow:
    """A ``sessions`` row (with its owner's and customer's names) as a row of a list."""
    ch = channel_of(row.channel)
    return SessionRow(
        id=row.id,
        label=session_label(row.id),
        status=SessionStatus(row.status),
        channel=row.channel,
        channel_name=ch.name,
        channel_kind=ch.kind.value,
        family=ch.family.value,
        owner=row.owner_name,
        customer=row.customer_name,
        initiated_by=row.initiated_by,
        capacity_model=row.capacity_model,
        units=row.units,
        units_held=row.units_held,
        tab_open=bool(row.tab_open),
        created_at=row.created_at,
        last_message_at=row.last_message_at,
        ended_at=row.ended_at,
        auto_end_at=row.auto_end_at,
    )


def session_needs_from_rows(
    ids: Sequence[int],
    agent_id: int,
    counts: Iterable[Sequence[Any]],
    lines: Iterable[Any],
    ends: Iterable[Any],
) -> dict[int, SessionNeeds]:
    """What each of ``ids`` asks of agent ``agent_id``, from the rows of the needs reads
    (``services.reading``): ``counts`` (session, unread customer lines, newest customer line's
    id, newest agent line's id), ``lines`` (the newest customer lines: ``session_id``,
    ``head``, ``created_at``) and ``ends`` (end records: ``session_id``, ``agent_id``,
    ``actor_kind``, ``actor``). Every id gets an entry."""
    customer, agent = AuthorKind.CUSTOMER.value, AuthorKind.AGENT.value
    unread: dict[int, int] = {}
    newest: dict[tuple[int, str], int] = {}
    for sid, count, last_customer, last_agent in counts:
        unread[int(sid)] = int(count or 0)
        if last_customer is not None:
            newest[int(sid), customer] = int(last_customer)
        if last_agent is not None:
            newest[int(sid), agent] = int(last_agent)
    heads = {int(row.session_id): row for row in lines}
    ended = {int(row.session_id): row for row in ends}
    out: dict[int, SessionNeeds] = {}
    for sid in ids:
        line = heads.get(sid)
        end = ended.get(sid)
        last_customer = newest.get((sid, customer), 0)
        out[sid] = SessionNeeds(
            session_id=sid,
            unread=int(unread.get(sid, 0)),
            last_customer_message=last_customer,
            last_customer_text=None if line is None else str(line.head),
            last_customer_at=None if line is None else line.created_at,
            customer_waiting=last_customer > newest.get((sid, agent), 0),
            ended_by_me=end is not None and end.agent_id == agent_id,
            end_actor_kind=None if end is None else str(end.actor_kind),
            end_actor=None if end is None else str(end.actor),
        )
    return out


def newest_customer_lines(counts: Iterable[Sequence[Any]]) -> list[int]:
    """The ids of the newest customer line of each session of the ``counts`` rows."""
    return [int(row[2]) for row in counts if row[2] is not None]

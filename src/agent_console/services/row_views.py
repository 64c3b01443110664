"""The store's rows as the views the screens show: the one mapping from a row (of agents, of
sessions with their owner's and customer's names) to its view. Domain and views only, no
SQLAlchemy: the console's first read (:mod:`.first_screen`) maps its standard-library rows
through these same functions, so both reads show a row the same way."""

from __future__ import annotations

from ..domain.channels import channel as channel_of
from ..domain.vocab import Presence, SessionStatus, parse_permissions, session_label
from ..store.rows import AgentRecord, SessionColumns
from .views import AgentView, SessionRow


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

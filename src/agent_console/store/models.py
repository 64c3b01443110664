"""SQLAlchemy 2 typed models: the schema the Alembic migrations create."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid; BigInteger elsewhere.
Id = BigInteger().with_variant(Integer(), "sqlite")
Stamp = UTCDateTime()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table_of(model: type[Base]) -> Table:
    """A model's Core table: Core statements skip the ORM's per-row bulk machinery."""
    return cast(Table, model.__table__)


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (Index("ix_agents_db_role", "db_role", unique=True),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    capacity: Mapped[int] = mapped_column(Integer, default=5)
    used_units: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    permissions: Mapped[str] = mapped_column(String(400), default="")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    presence: Mapped[str] = mapped_column(String(16), default="Offline")
    logged_in: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    #: Why a Busy agent is away ("Lunch"; migration 0008); None with any other presence.
    away_reason: Mapped[str | None] = mapped_column(String(64))
    #: When the agent's presence (with its reason, logged in or out) last changed; None until
    #: the first change (an agent never signed in, or one from before migration 0008).
    presence_since: Mapped[datetime | None] = mapped_column(Stamp)
    #: The supervisor who last set this agent's presence or logged them out, and the reason
    #: they gave (migration 0009); both None when the agent set their presence themself.
    presence_by: Mapped[str | None] = mapped_column(String(120))
    presence_note: Mapped[str | None] = mapped_column(Text)
    #: The agent's own PostgreSQL login role (migration 0010): the connection's
    #: ``current_user`` names the agent through it. None: no login of its own (SQLite).
    db_role: Mapped[str | None] = mapped_column(String(63))


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(Stamp)


class Session(Base):
    """A messaging session. ``units_held`` is what it currently takes from its owner."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index("ix_sessions_status_id", "status", "id"),
        Index("ix_sessions_channel_id", "channel", "id"),
        Index("ix_sessions_owner_status", "owner_id", "status", "id"),
        # A console's open tabs of ended sessions, read on every refresh (migration 0011).
        Index("ix_sessions_owner_tabs", "owner_id", "status", "tab_open", "id"),
        Index("ix_sessions_customer_status", "customer_id", "status"),
        Index("ix_sessions_created_id", "created_at", "id"),
        Index("ix_sessions_auto_end_at", "auto_end_at"),
        # The list's "last message" order (keyset on this expression, then id; migration 0003).
        Index(
            "ix_sessions_last_activity_id",
            text("coalesce(last_message_at, created_at)"),
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    initiated_by: Mapped[str] = mapped_column(String(16))
    capacity_model: Mapped[str] = mapped_column(String(16))
    units: Mapped[int] = mapped_column(Integer, default=1)
    units_held: Mapped[int] = mapped_column(Integer, default=0)
    tab_open: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    assigned_at: Mapped[datetime | None] = mapped_column(Stamp)
    last_message_at: Mapped[datetime | None] = mapped_column(Stamp)
    first_agent_message_at: Mapped[datetime | None] = mapped_column(Stamp)
    customer_replied: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_end_at: Mapped[datetime | None] = mapped_column(Stamp)
    escalated_to: Mapped[str | None] = mapped_column(String(120))
    ended_at: Mapped[datetime | None] = mapped_column(Stamp)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: When the customer's oldest unanswered line came (the first customer message after the
    #: newest agent message); None when the customer waits for nothing or the session ended.
    #: Kept by the writes (migration 0009); the supervisor board's "longest wait".
    customer_waiting_since: Mapped[datetime | None] = mapped_column(Stamp)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_session_id", "session_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    author_kind: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    visible_to_customer: Mapped[bool] = mapped_column(Boolean, default=True)


class BulkOperation(Base):
    """A bulk end (R11): its rows live in ``bulk_items``; a crash leaves it resumable."""

    __tablename__ = "bulk_operations"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    surface: Mapped[str] = mapped_column(String(16))
    selection: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    total: Mapped[int] = mapped_column(Integer, default=0)
    ended: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    heartbeat_at: Mapped[datetime] = mapped_column(Stamp)
    finished_at: Mapped[datetime | None] = mapped_column(Stamp)


class BulkItem(Base):
    __tablename__ = "bulk_items"
    __table_args__ = (Index("ix_bulk_items_pending", "bulk_id", "result", "seq"),)

    bulk_id: Mapped[int] = mapped_column(ForeignKey("bulk_operations.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign key: a selection may name an id with no session; its row is "skipped".
    session_id: Mapped[int] = mapped_column(Id)
    result: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)


class EndRecord(Base):
    """Append-only: one row per ended session (R12). The primary key makes "ended once" a fact."""

    __tablename__ = "end_records"

    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    surface: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(Stamp)
    bulk_id: Mapped[int | None] = mapped_column(ForeignKey("bulk_operations.id"))
    #: The database role that ended it: ``CURRENT_USER`` by the column's default on
    #: PostgreSQL (agents' roles may not set it); None on SQLite (migration 0010).
    db_role: Mapped[str | None] = mapped_column(Text)


class CsatRequest(Base):
    """R9: at most one survey request per session; the customer's answer once it comes."""

    __tablename__ = "csat_requests"
    __table_args__ = (UniqueConstraint("session_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    requested_at: Mapped[datetime] = mapped_column(Stamp)
    requested_by: Mapped[str] = mapped_column(Text)
    score: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime | None] = mapped_column(Stamp)


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(Stamp)
    updated_by: Mapped[str] = mapped_column(Text)


class Macro(Base):
    """R10: one agent action bundling steps; ``steps`` is a JSON list of step names."""

    __tablename__ = "macros"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    steps: Mapped[str] = mapped_column(Text)


class Trigger(Base):
    """R10: a rule run on an event, e.g. "when escalated, end the messaging session"."""

    __tablename__ = "triggers"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    event: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Change(Base):
    """The change feed: one row per change other consoles should see."""

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(Stamp)
    kind: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    agent_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))


class Draft(Base):
    """An agent's unsent reply in one session's composer, kept across crashes and failed sends.

    Cleared in the same transaction as the send that commits it (services/conversations.py).
    """

    __tablename__ = "drafts"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(Stamp)


class AgentPreference(Base):
    """What one agent chose and wants kept across openings and restarts (the list's filters,
    sort and search: ``key`` names the preference, ``value`` is JSON). Per agent in the
    database, so every console of a shared deployment opens the agent's list the same way."""

    __tablename__ = "agent_preferences"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(Stamp)


class QuickReply(Base):
    """A canned text agents insert into the composer (placeholders: domain/quick_replies.py).

    Admins write them; ``name`` is unique (the services also refuse a name differing only in
    case)."""

    __tablename__ = "quick_replies"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    updated_at: Mapped[datetime] = mapped_column(Stamp)
    updated_by: Mapped[str] = mapped_column(Text)


class ReadMarker(Base):
    """How far an agent has read a session: the newest message that was on their screen.

    Unread counts are the customer messages after it (services/reading.py); it only moves
    forward.
    """

    __tablename__ = "read_markers"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"), primary_key=True)
    last_read_message_id: Mapped[int] = mapped_column(Id)
    read_at: Mapped[datetime] = mapped_column(Stamp)


# -- channels: the gateway's way in and out (issue 10) ------------------------------------------


class ChannelConnection(Base):
    """Where a connected channel's outbound events go, and the secret both sides sign with."""

    __tablename__ = "channel_connections"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    webhook_url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)
    connected_at: Mapped[datetime] = mapped_column(Stamp)
    connected_by: Mapped[str] = mapped_column(Text)


class CustomerHandle(Base):
    """The id a channel knows a customer by (a phone number, a web chat visitor id...)."""

    __tablename__ = "customer_handles"
    __table_args__ = (Index("ix_customer_handles_customer_id", "customer_id", "channel"),)

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    created_at: Mapped[datetime] = mapped_column(Stamp)


class InboundReceipt(Base):
    """A channel's message id, stored once with the first answer: a provider's retry gets
    that answer again instead of storing the message twice."""

    __tablename__ = "inbound_receipts"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("sessions.id"))
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(Stamp)


class OutboxEvent(Base):
    """One event for a channel's webhook, written in the transaction of what it reports.

    ``message_id`` names the agent line a ``message.created`` event carries; ``text`` holds the
    end line or the CSAT question of the other types. ``state`` is pending (not yet delivered:
    ``attempts`` says whether it was tried), delivered or failed.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_id", "state", "id"),
        Index("ix_outbox_session_id", "session_id", "id"),
        Index("ix_outbox_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id"))
    type: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    csat_id: Mapped[int | None] = mapped_column(ForeignKey("csat_requests.id"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Stamp)
    state: Mapped[str] = mapped_column(String(16))
    next_attempt_at: Mapped[datetime] = mapped_column(Stamp)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(Stamp)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(Stamp)


class WebchatEvent(Base):
    """The web chat page's mailbox: what its customers see (their own lines, and the events the
    deployment delivered to the page's webhook), read by the page's live stream."""

    __tablename__ = "webchat_events"
    __table_args__ = (
        Index("ix_webchat_events_customer", "channel", "customer_ref", "id"),
        UniqueConstraint("event_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64))
    customer_ref: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str] = mapped_column(String(220))
    type: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    author: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(Stamp)


class AuditEntry(Base):
    """Who changed what the floor runs on (issue 15): setting changes, transfers,
    supervisors' presence changes and logouts, changes to agents. ``db_role`` is the database
    role that made the change (``CURRENT_USER`` by the column's default on PostgreSQL; None
    on SQLite); ``actor`` is the agent the services acted for. Ends are in ``end_records``."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_at", "at", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(Stamp)
    db_role: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")


class DbRole(Base):
    """A group role of a deployment set up with ``agent-console db roles`` (PostgreSQL), by
    kind: agent, ender, admin, gateway, system. Empty on SQLite."""

    __tablename__ = "db_roles"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    role_name: Mapped[str] = mapped_column(String(63))

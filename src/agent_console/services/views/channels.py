"""Channels: a connection, its creation, and what a provider's message and CSAT answer got."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# -- channels (the gateway) -------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelView:
    """A channel and its connection (never its secret), with its outbox in counts."""

    channel: str
    name: str
    connected: bool
    webhook_url: str | None
    connected_at: datetime | None
    connected_by: str | None
    pending: int
    retrying: int
    failed: int


@dataclass(frozen=True)
class ConnectResult:
    """A connection made or changed; ``secret`` is shown this once (None: it was given)."""

    channel: ChannelView
    secret: str | None


@dataclass(frozen=True)
class ReceiveResult:
    """What an inbound channel message did; ``replayed``: this message id was seen before,
    and this is the first answer again."""

    session_id: int
    status: str
    new_session: bool
    replayed: bool


@dataclass(frozen=True)
class CsatAnswer:
    session_id: int
    score: int
    answered_at: datetime
    replayed: bool

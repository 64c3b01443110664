"""Messages widgets post up to their screen, and the app posts to screens.

Widgets never call services: they say what the agent asked for and the screen does it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from textual.message import Message

from ..domain.feed import RESYNC, FeedNews, Interest


class FirstReadShown(Message):
    """The console screen has drawn the first read's sessions: the database may open now
    (its imports would otherwise slow that first frame down)."""


class DatabaseChanged(Message):
    """Somebody committed something: ``news`` says what it touched (or ``RESYNC``: anything
    may have changed). A screen refreshes what the news concerns (:meth:`concerns`).

    The poll may post this faster than a screen refreshes: a queued copy gives way to a
    resync behind it (which says at least as much); otherwise each is read in turn.
    """

    def __init__(self, news: FeedNews = RESYNC) -> None:
        super().__init__()
        self.news = news

    def concerns(self, interest: Interest) -> bool:
        return self.news.concerns(interest)

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DatabaseChanged) and message.news.resync


@runtime_checkable
class ShowsFeed(Protocol):
    """A screen that shows what the change feed can change says what (its ``feed_interest``);
    the app asks the feed for the union of the screens on its stack."""

    @property
    def feed_interest(self) -> Interest: ...


class ConsoleLoaded(Message):
    """The console screen shows the agent's sessions for the first time (start-up is over)."""


@dataclass
class SessionPicked(Message):
    """The agent chose a session in the list (or the palette) to open it."""

    session_id: int


@dataclass
class ReplySubmitted(Message):
    """The agent pressed enter in the composer."""

    session_id: int
    text: str


@dataclass
class EndChatPressed(Message):
    """The End Chat button was pressed."""

    session_id: int


@dataclass
class UndoEndPressed(Message):
    """The Undo button of a waiting End Chat was pressed."""

    session_id: int


@dataclass
class CloseTabPressed(Message):
    """The close-tab button of an ended session was pressed."""

    session_id: int


class PresenceClicked(Message):
    """The presence indicator in the status bar was clicked."""


class CapacityClicked(Message):
    """The capacity meter in the status bar was clicked (opens the capacity ledger)."""


@dataclass
class DraftChanged(Message):
    """The agent changed the composer's text: keep it as the session's draft (debounced)."""

    session_id: int
    text: str


@dataclass
class DraftWanted(Message):
    """A session was opened with nothing in the composer: load its saved draft, if any."""

    session_id: int

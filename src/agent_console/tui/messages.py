"""Messages widgets post up to their screen, and the app posts to screens.

Widgets never call services: they say what the agent asked for and the screen does it.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


class DatabaseChanged(Message):
    """Somebody committed something: refresh what is on screen.

    The poll may post this faster than a screen refreshes; queued copies collapse into one.
    """

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DatabaseChanged)


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

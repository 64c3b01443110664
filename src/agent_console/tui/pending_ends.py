"""End Chat's few seconds of Undo: which chats the agent asked to end, and when each is due.

Pressing End Chat writes nothing: the session is put here with a due time (now + the undo
delay, on the console's clock, so tests move it by hand). Until then nobody else sees anything
(another console, the customer); Undo takes it out again. When it is due the console ends it
through the usual service. Each session has its own countdown, so the agent can end one chat,
open the next and end that one too. Nothing here is written anywhere: a console killed during
the delay leaves the session as it was (Active), and a console that quits ends them first.

No Textual here: the console screen owns the timer and the words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

#: How long End Chat waits, and offers Undo, before the end is committed.
UNDO_SECONDS = 5.0


@dataclass(frozen=True)
class PendingEnd:
    session_id: int
    due: datetime


class PendingEnds:
    """The chats waiting to be ended, oldest first."""

    def __init__(self, delay: float = UNDO_SECONDS) -> None:
        self.delay = timedelta(seconds=delay)
        self._pending: dict[int, PendingEnd] = {}

    def __bool__(self) -> bool:
        return bool(self._pending)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._pending

    @property
    def ids(self) -> list[int]:
        return list(self._pending)

    def start(self, session_id: int, now: datetime) -> PendingEnd:
        """Start the countdown of ``session_id`` (a second press keeps the first due time)."""
        found = self._pending.get(session_id)
        if found is None:
            found = self._pending[session_id] = PendingEnd(session_id, now + self.delay)
        return found

    def cancel(self, session_id: int) -> bool:
        """Undo: True when the session was waiting to be ended."""
        return self._pending.pop(session_id, None) is not None

    def newest(self) -> int | None:
        """The session whose End Chat was pressed last, if any is waiting."""
        return next(reversed(self._pending), None)

    def seconds_left(self, session_id: int, now: datetime) -> int | None:
        """Whole seconds until ``session_id`` is ended (rounded up), None if not waiting."""
        found = self._pending.get(session_id)
        if found is None:
            return None
        return max(0, math.ceil((found.due - now).total_seconds()))

    def take_due(self, now: datetime) -> list[int]:
        """The sessions due by ``now``, taken out (the caller ends them)."""
        due = [sid for sid, pending in self._pending.items() if pending.due <= now]
        for sid in due:
            del self._pending[sid]
        return due

    def take_all(self) -> list[int]:
        """Every waiting session, taken out (quitting, logging out, going Offline)."""
        ids, self._pending = list(self._pending), {}
        return ids

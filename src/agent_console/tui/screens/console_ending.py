"""End Chat with its Undo time, and Close tab: a part of :class:`.console.ConsoleScreen`.

End Chat is not committed at once: the session waits a few seconds (:mod:`..pending_ends`,
on the console's clock) with an Undo bar, then the service ends it. Going Offline, logging
out and quitting commit the waiting ends first (:meth:`EndChatActions.end_pending_now`).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from textual.worker import WorkerCancelled, WorkerFailed

from ...domain.errors import ConsoleError
from ...domain.text import escape_log, plural
from ...domain.vocab import session_label
from ...services.views import EndOutcome
from ..messages import CloseTabPressed, EndChatPressed, UndoEndPressed
from ..notify_errors import notified_errors
from ..screen_work import screen_work
from ..widgets.conversation import ConversationPane

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from ...services.views import EndResult

#: How often a waiting End Chat looks at the clock (its countdown and its commit).
PENDING_TICK = 0.2


if TYPE_CHECKING:
    from .console_host import ConsoleHost as _Host
else:
    _Host = object


class EndChatActions(_Host):
    """End Chat, Undo, Copy draft and Close tab (a part of ConsoleScreen)."""

    def action_end_chat(self) -> None:
        if self.detail is not None:
            self._start_end(self.detail.session.id)

    def on_end_chat_pressed(self, message: EndChatPressed) -> None:
        self._start_end(message.session_id)

    def _start_end(self, session_id: int) -> None:
        """End Chat: nothing is written yet; the session waits out its Undo time first."""
        if self._pending_ends.delay.total_seconds() <= 0:
            self._end_chat(session_id)
            return
        self._pending_ends.start(session_id, self.backend.now())
        if self._pending_timer is None:
            self._pending_timer = self.set_interval(PENDING_TICK, self._tick_pending)
        self._show_pending()

    def _seconds_left(self, session_id: int | None) -> int | None:
        if session_id is None:
            return None
        return self._pending_ends.seconds_left(session_id, self.backend.now())

    def _tick_pending(self) -> None:
        """Each tick: end what is due, and count down the open chat's Undo bar (the footer
        and the list change only when a chat starts or stops waiting)."""
        due = self._pending_ends.take_due(self.backend.now())
        for session_id in due:
            self._end_chat(session_id)
        if due:
            self._show_pending()
        elif self.detail is not None:
            self.query_one(ConversationPane).set_pending(self._seconds_left(self.detail.session.id))

    def _show_pending(self) -> None:
        """A chat started or stopped waiting: the Undo bar, the list's "ending", the keys."""
        if not self._pending_ends and self._pending_timer is not None:
            self._pending_timer.stop()
            self._pending_timer = None
        if self.detail is not None:
            self.query_one(ConversationPane).set_pending(self._seconds_left(self.detail.session.id))
        self._show_sessions()
        self._refresh_keys()

    def action_undo_end(self) -> None:
        """Undo the open chat's End Chat, or else the last one pressed (the agent may have
        moved on to the next chat already)."""
        open_id = self.detail.session.id if self.detail is not None else None
        target = open_id if open_id in self._pending_ends else self._pending_ends.newest()
        if target is not None:
            self._undo_end(target)

    def on_undo_end_pressed(self, message: UndoEndPressed) -> None:
        self._undo_end(message.session_id)

    def _undo_end(self, session_id: int) -> None:
        if self._pending_ends.cancel(session_id):
            self.notify(f"{session_label(session_id)} not ended: End Chat undone", markup=False)
        self._show_pending()

    @property
    def pending_ends(self) -> list[int]:
        """The sessions whose End Chat waits out its Undo time, oldest first."""
        return self._pending_ends.ids

    async def end_pending_now(self) -> list[str]:
        """End every chat waiting out its Undo time, now (quitting, logging out, going
        Offline: the agent asked for these ends), and let the ends already under way finish.
        Returns one line per chat ended here, as said."""
        said: list[str] = []
        for session_id in self._pending_ends.take_all():
            said.append(await self._commit_end(session_id))
        for worker in list(self.app.workers):
            if worker.node is self and worker.group == "end-chat" and not worker.is_finished:
                with contextlib.suppress(WorkerCancelled, WorkerFailed):
                    await worker.wait()
        if self.app.is_running:
            self._show_pending()
        return said

    @screen_work(group="end-chat")
    async def _end_chat(self, session_id: int) -> None:
        await self._commit_end(session_id)
        self.request_refresh()

    async def _commit_end(self, session_id: int) -> str:
        """End the chat through the service and say how it went (returns what was said)."""
        label = session_label(session_id)
        try:
            result: EndResult = await self.backend.end_chat(session_id)
        except ConsoleError as exc:
            text = f"{label} not ended: {exc}"
            self._say(escape_log(text), "error")
            return text
        if result.result is EndOutcome.ENDED:
            text = f"{label} {result.reason}"
            self._say(escape_log(text), "information")
        else:
            text = f"{label} not ended: {result.reason}"
            self._say(escape_log(text), "warning")
        return text

    def _say(self, text: str, severity: SeverityLevel) -> None:
        if self.app.is_running:
            self.notify(text, severity=severity, markup=False)

    def action_copy_draft(self) -> None:
        pane = self.query_one(ConversationPane)
        text = pane.draft_text
        if not text or pane.session_id is None:
            return
        self.app.copy_to_clipboard(text)
        self.notify(
            f"Draft of {session_label(pane.session_id)} copied "
            f"({plural(len(text), 'character')}): paste it where you need it",
            markup=False,
        )

    def action_close_tab(self) -> None:
        if self.detail is not None:
            self._close_tab(self.detail.session.id)

    def on_close_tab_pressed(self, message: CloseTabPressed) -> None:
        self._close_tab(message.session_id)

    @screen_work(group="close-tab")
    async def _close_tab(self, session_id: int) -> None:
        with notified_errors(self) as attempt:
            result = await self.backend.close_tab(session_id)
        if not attempt.failed:
            freed = (
                f"; {result.units_freed} unit(s) freed ({result.used}/{result.capacity} used)"
                if result.units_freed
                else ""
            )
            self.notify(f"Closed the tab of {session_label(result.session_id)}{freed}")
        self.request_refresh()

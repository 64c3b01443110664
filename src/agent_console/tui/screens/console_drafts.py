"""Replies and drafts: a part of :class:`.console.ConsoleScreen`.

A reply is sent in a worker (a refused one goes back into the composer); the composer's draft
is written to the database once it has been still for ``DRAFT_DEBOUNCE`` seconds, and read
back when a session is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...domain.errors import ConsoleError
from ...domain.vocab import session_label
from ..messages import DraftChanged, DraftWanted, ReplySubmitted
from ..notify_errors import notified_errors
from ..screen_work import screen_work
from ..widgets.conversation import ConversationPane

#: Seconds the composer must be still before its draft is written to the database.
DRAFT_DEBOUNCE = 0.3


if TYPE_CHECKING:
    from .console_host import ConsoleHost as _Host
else:
    _Host = object


class ReplyDrafts(_Host):
    """Sending replies and keeping drafts (a part of ConsoleScreen)."""

    def on_reply_submitted(self, message: ReplySubmitted) -> None:
        # The send clears the saved draft when it commits: a debounced save of the old text
        # must not bring it back afterwards.
        self._pending_drafts.pop(message.session_id, None)
        self._send(message.session_id, message.text)

    @screen_work(group="send")
    async def _send(self, session_id: int, text: str) -> None:
        with notified_errors(self, types=(ConsoleError, ValueError)) as attempt:
            await self.backend.send(session_id, text)
        if attempt.failed:
            self.query_one(ConversationPane).restore_draft(session_id, text)
        self.request_refresh()

    def on_draft_changed(self, message: DraftChanged) -> None:
        # Debounced: written once the composer has been still for DRAFT_DEBOUNCE seconds.
        self._pending_drafts[message.session_id] = message.text
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DEBOUNCE, self._flush_drafts)

    def _flush_drafts(self) -> None:
        pending, self._pending_drafts = self._pending_drafts, {}
        if pending:
            self._save_drafts(pending)

    @screen_work(group="drafts")
    async def _save_drafts(self, pending: dict[int, str]) -> None:
        for session_id, text in pending.items():
            with notified_errors(
                self,
                types=(ConsoleError, ValueError),
                prefix=f"draft of {session_label(session_id)} not saved: ",
                say=self._report_once,
            ):
                await self.backend.save_draft(session_id, text)

    def on_draft_wanted(self, message: DraftWanted) -> None:
        pending = self._pending_drafts.get(message.session_id)
        if pending is not None:
            for pane in self.query(ConversationPane).results(ConversationPane):
                pane.restore_draft(message.session_id, pending, save=False)
            return
        self._load_draft(message.session_id)

    @screen_work(group="drafts-load")
    async def _load_draft(self, session_id: int) -> None:
        label = session_label(session_id)
        prefix = f"draft of {label} not loaded: "
        with notified_errors(self, prefix=prefix, say=self._report_once) as attempt:
            text = await self.backend.load_draft(session_id)
        if attempt.failed:
            return
        # The screen may have gone (the console closing) while the database answered.
        if not self.app.is_running:
            return
        for pane in self.query(ConversationPane).results(ConversationPane):
            pane.restore_draft(session_id, text, save=False)

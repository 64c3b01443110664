"""The conversation pane: header, transcript, End Chat (or close the tab), and the composer.

Whether End Chat or Close tab may be used, and why not, comes from the session's ``actions``
as the service answered them; this widget only shows the answer. Whether the session's
channel is connected comes from the session detail too: when it is not, the transcript's top
border says so once (nothing the agent writes there reaches the customer).

While an End Chat waits out its few seconds of Undo (the screen keeps the countdown), the
End Chat bar gives way to the Undo bar. A session that ends with a draft in the composer
(another console ended it, or the agent ended it mid-sentence) says who ended it and that the
draft is kept, with the key that copies it.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, Static

from ...domain.sms import composer_count, is_sms_channel
from ...domain.text import one_line
from ...domain.vocab import SessionStatus
from ...services.views import ActionId
from ..messages import (
    CloseTabPressed,
    DraftChanged,
    DraftWanted,
    EndChatPressed,
    ReplySubmitted,
    UndoEndPressed,
)
from .composer import Composer
from .conversation_text import (
    draft_note,
    end_outlook,
    end_summary,
    find_action,
    header_content,
    not_connected_note,
    r7_countdown,
    tab_note,
    undo_note,
)
from .transcript import Transcript

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import SessionDetail

#: The buttons' labels (the actions themselves are found by their ``ActionId``).
END_CHAT = "End Chat"
UNDO_END = "Undo"
CLOSE_TAB = "Close tab"
#: Below this pane width the "what will happen" line takes its short form.
COMPACT_WIDTH = 70
NO_SESSION = "No session open. Choose one on the left."
REPLY_PLACEHOLDER = "Reply: enter sends, shift+enter new line"


class ConversationPane(Vertical):
    """Set with :meth:`show`; posts ReplySubmitted / EndChatPressed / CloseTabPressed."""

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self._tz = tz
        self.session_id: int | None = None
        self._drafts: dict[int, str] = {}
        self._outlook: tuple[SessionDetail, str] | None = None
        self._ended = False
        self._header: SessionDetail | None = None
        self._detail: SessionDetail | None = None
        self._now: datetime | None = None
        self._keys: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(NO_SESSION, id="conversation-header", markup=False)
        yield Transcript(tz=self._tz, id="transcript")
        with Horizontal(id="end-bar"):
            yield Button(END_CHAT, id="end-chat", variant="error")
            yield Label("", id="end-reason", markup=False)
        with Horizontal(id="undo-bar"):
            yield Button(UNDO_END, id="undo-end", variant="warning")
            yield Label("", id="undo-note", markup=False)
        yield Label("", id="end-outlook", markup=False)
        with Horizontal(id="tab-bar"):
            yield Button(CLOSE_TAB, id="close-tab", variant="primary")
            yield Label("", id="tab-note", markup=False)
        yield Label("", id="end-summary", markup=False)
        yield Label("", id="draft-note", markup=False)
        yield Composer(placeholder=REPLY_PLACEHOLDER, id="composer")

    def on_mount(self) -> None:
        self.query_one("#tab-bar").display = False
        self.query_one("#end-bar").display = False
        self.query_one("#undo-bar").display = False
        self.query_one("#draft-note").display = False
        self.query_one("#end-outlook").display = False
        self.query_one("#end-summary").display = False
        self.query_one("#composer", Composer).disabled = True
        self.query_one("#transcript").display = False
        self.query_one("#composer").display = False

    def show(
        self,
        detail: SessionDetail | None,
        *,
        keys: dict[str, str],
        end_line: str = "",
        empty_text: str = NO_SESSION,
        now: datetime | None = None,
        pending_left: int | None = None,
    ) -> None:
        """Render ``detail`` (None: no session open). ``keys`` maps action -> key shown;
        ``end_line`` is the line the customer would see if the agent ended the chat now;
        ``now`` (the services' clock) times the R7 countdown; ``pending_left`` the seconds
        before its End Chat is committed (None: not pressed)."""
        header = self.query_one("#conversation-header", Static)
        transcript = self.query_one("#transcript", Transcript)
        end_bar = self.query_one("#end-bar")
        tab_bar = self.query_one("#tab-bar")
        outlook = self.query_one("#end-outlook", Label)
        summary = self.query_one("#end-summary", Label)
        composer = self.query_one("#composer", Composer)
        self._detail = detail
        if detail is None:
            if self.session_id is not None and composer.value:
                self._drafts[self.session_id] = composer.value
            composer.owner = None
            with self.prevent(Composer.Changed):
                composer.set_text("")
            self.session_id = None
            header.update(empty_text)
            self._detail = None
            for part in (transcript, end_bar, tab_bar, composer, outlook, summary):
                part.display = False
            self.query_one("#undo-bar").display = False
            self.query_one("#draft-note").display = False
            composer.disabled = True
            return
        composer.display = True
        if detail.session.id != self.session_id:
            # Each session keeps its own unsent draft while the agent looks elsewhere; one not
            # in memory (a restart, a crash) is loaded from the database by the screen.
            if self.session_id is not None and composer.value:
                self._drafts[self.session_id] = composer.value
            kept = self._drafts.pop(detail.session.id, "")
            self._set_composer(kept, announce=False)
            if not kept:
                self.post_message(DraftWanted(detail.session.id))
        self.session_id = detail.session.id
        composer.owner = detail.session.id
        self._show_count()
        self.show_countdown(now)
        self._keys = keys
        self._header = detail
        self._show_header()
        transcript.display = True
        transcript.show(
            detail.session.id,
            detail.messages,
            detail.messages_total,
            connected=detail.channel_connected,
        )
        transcript.set_note(not_connected_note(detail), not_connected_note(detail, compact=True))

        ended = detail.session.status == "Ended"
        tab_bar.display = ended
        self._ended = ended
        if ended:
            summary.update(end_summary(detail, self._tz))
            close = find_action(detail, ActionId.CLOSE_TAB)
            self.query_one("#close-tab", Button).disabled = close is None or not close.allowed
            self.query_one("#tab-note", Label).update(
                tab_note(detail, close, keys.get("close_tab", ""))
            )
        else:
            end = find_action(detail, ActionId.END_CHAT)
            allowed = end is not None and end.allowed
            self.query_one("#end-chat", Button).disabled = not allowed
            reason = self.query_one("#end-reason", Label)
            reason.set_class(not allowed, "-refused")
            if allowed:
                key = keys.get("end_chat", "")
                reason.update(Content(f"{key} ends the chat" if key else ""))
                self._outlook = (detail, end_line)
                self._show_outlook()
            else:
                why = end.reason if end is not None else "not available"
                reason.update(Content.assemble("Cannot end: ", one_line(why, 200)))
        composer.disabled = ended
        composer.placeholder = "This session has ended" if ended else REPLY_PLACEHOLDER
        self.set_pending(pending_left)
        self._show_draft_note()

    def set_pending(self, seconds_left: int | None) -> None:
        """Show the Undo bar counting ``seconds_left`` for the open session (None: End Chat's
        own bar, or nothing once the session has ended)."""
        detail = self._detail
        if detail is None:
            return
        waiting = seconds_left is not None and not self._ended
        end = find_action(detail, ActionId.END_CHAT)
        allowed = end is not None and end.allowed
        self.query_one("#end-bar").display = not self._ended and not waiting
        self.query_one("#undo-bar").display = waiting
        self.query_one("#end-outlook").display = not self._ended and allowed and not waiting
        if waiting:
            assert seconds_left is not None
            note = undo_note(detail.session.label, seconds_left, self._keys.get("undo_end", ""))
            label = self.query_one("#undo-note", Label)
            if label.content != note:  # the countdown ticks 5 times a second, the text once
                label.update(note)

    @property
    def draft_text(self) -> str:
        """What the composer holds (an ended session's draft too)."""
        return self.query_one("#composer", Composer).value

    @property
    def draft_stranded(self) -> bool:
        """The open session has ended with a draft in the composer."""
        return self._ended and bool(self.draft_text)

    def _show_draft_note(self) -> None:
        note = self.query_one("#draft-note", Label)
        stranded = self.draft_stranded and self._detail is not None
        note.display = stranded
        # The note says who ended it and when: the end summary would say it a second time.
        self.query_one("#end-summary").display = self._ended and not self._narrow and not stranded
        if stranded:
            assert self._detail is not None
            note.update(
                draft_note(
                    self._detail.end,
                    self._detail.as_of,
                    self._tz,
                    self._keys.get("copy_draft", ""),
                )
            )

    @property
    def end_reason_text(self) -> str:
        return str(self.query_one("#end-reason", Label).content)

    @property
    def tab_note_text(self) -> str:
        return str(self.query_one("#tab-note", Label).content)

    @property
    def _narrow(self) -> bool:
        return 0 < self.size.width < COMPACT_WIDTH

    def set_end_line(self, end_line: str) -> None:
        """The line ending now would send, as the clock moves on (it names the time)."""
        if self._outlook is None or self._outlook[1] == end_line:
            return
        self._outlook = (self._outlook[0], end_line)
        self._show_outlook()

    def _show_outlook(self) -> None:
        if self._outlook is None:
            return
        detail, end_line = self._outlook
        outlook = self.query_one("#end-outlook", Label)
        full = end_outlook(detail, end_line)
        compact = self._narrow
        outlook.update(end_outlook(detail, end_line, compact=True) if compact else full)
        outlook.tooltip = full if compact else None

    @property
    def channel_note_text(self) -> str:
        """What the transcript says about its channel ("" when it is connected)."""
        return self.query_one("#transcript", Transcript).note_text

    def _show_header(self) -> None:
        """The header, fitted to the pane's width so the status always shows (80x24)."""
        if self._header is None or self.session_id is None:
            return
        header = self.query_one("#conversation-header", Static)
        width = header.content_size.width or max(self.size.width - 4, 0)
        header.update(header_content(self._header, width or None))

    def on_resize(self) -> None:
        # A narrow pane keeps its rows for the transcript: the short "what will happen" line,
        # and no end summary (the transcript's system line says who ended it).
        self._show_header()
        self._show_outlook()
        self.show_countdown(None)
        if self.session_id is not None:
            self._show_draft_note()

    @property
    def end_outlook_text(self) -> str:
        return str(self.query_one("#end-outlook", Label).content)

    @property
    def end_summary_text(self) -> str:
        return str(self.query_one("#end-summary", Label).content)

    @property
    def undo_note_text(self) -> str:
        """The Undo bar's words ("" when no End Chat of the open session is waiting)."""
        if not self.query_one("#undo-bar").display:
            return ""
        return str(self.query_one("#undo-note", Label).content)

    @property
    def draft_note_text(self) -> str:
        """What an ended session with a draft says about it ("" when there is none)."""
        if not self.query_one("#draft-note").display:
            return ""
        return str(self.query_one("#draft-note", Label).content)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if self.session_id is None:
            return
        if event.button.id == "end-chat":
            self.post_message(EndChatPressed(self.session_id))
        elif event.button.id == "undo-end":
            self.post_message(UndoEndPressed(self.session_id))
        elif event.button.id == "close-tab":
            self.post_message(CloseTabPressed(self.session_id))

    def on_composer_submitted(self, event: Composer.Submitted) -> None:
        event.stop()
        text = event.text
        if self.session_id is None or not text.strip():
            return
        # The send clears the saved draft when it commits; clearing the composer must not.
        with self.prevent(Composer.Changed):
            event.composer.set_text("")
        self._show_count()
        self.post_message(ReplySubmitted(self.session_id, text))

    def on_composer_changed(self, event: Composer.Changed) -> None:
        event.stop()
        self._show_count()
        # The change belongs to the session the composer showed when it was typed (a change
        # queued before the pane switched sessions is that session's draft, not this one's).
        if event.owner is None:
            return
        self.post_message(DraftChanged(event.owner, event.text))

    def _show_count(self) -> None:
        """Characters in the reply (and SMS segments on an SMS channel), on its border."""
        composer = self.query_one("#composer", Composer)
        detail = self._detail
        if detail is None or detail.session.status == SessionStatus.ENDED.value:
            composer.border_subtitle = None
            return
        composer.border_subtitle = composer_count(
            composer.text, sms=is_sms_channel(detail.session.channel)
        )

    @property
    def count_text(self) -> str:
        """What the composer's border says of its text ("" when nothing)."""
        return str(self.query_one("#composer", Composer).border_subtitle or "")

    def show_countdown(self, now: datetime | None) -> None:
        """R7's countdown on the transcript's bottom border (agent-initiated sessions the
        customer has not answered); ``now`` None keeps the last time given."""
        if now is not None:
            self._now = now
        if self._now is None:
            return
        transcript = self.query_one("#transcript", Transcript)
        detail = self._detail
        text = r7_countdown(detail, self._now) if detail is not None else ""
        # The border draws its subtitle between its corners, with a space each side.
        if detail is not None and len(text) + 6 > transcript.size.width > 0:
            text = r7_countdown(detail, self._now, compact=True)
        transcript.border_subtitle = text or None

    @property
    def countdown_text(self) -> str:
        return str(self.query_one("#transcript", Transcript).border_subtitle or "")

    def restore_draft(self, session_id: int, text: str, *, save: bool = True) -> None:
        """Put back a reply the service refused (``save``: keep it as the draft again), or a
        draft loaded from the database (not saved again), unless the agent typed meanwhile."""
        composer = self.query_one("#composer", Composer)
        if self.session_id != session_id or composer.value or not text:
            return
        self._set_composer(text, announce=save)

    def _set_composer(self, text: str, *, announce: bool) -> None:
        """Set the composer's text with the cursor at its end; ``announce`` posts the change
        (so it is saved as the draft), otherwise the change is silent."""
        composer = self.query_one("#composer", Composer)
        if announce:
            composer.set_text(text)
        else:
            with self.prevent(Composer.Changed):
                composer.set_text(text)
        self._show_count()
        self._show_draft_note()

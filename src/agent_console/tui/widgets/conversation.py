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

from ...domain.capacity import consumes
from ...domain.ending import ended_by, fmt_moment, fmt_time
from ...domain.needs import countdown_text
from ...domain.outbox import DeliveryState
from ...domain.sms import composer_count, is_sms_channel
from ...domain.text import one_line
from ...domain.vocab import ActorKind, CapacityModel, Initiator, SessionStatus, Surface
from ...services.views import ActionId
from ...services.views import find_action as find_in
from ..messages import (
    CloseTabPressed,
    DraftChanged,
    DraftWanted,
    EndChatPressed,
    ReplySubmitted,
    UndoEndPressed,
)
from .composer import Composer
from .session_list import STATUS_STYLES
from .transcript import Transcript, delivery_text

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import ActionView, EndView, SessionDetail

#: The buttons' labels (the actions themselves are found by their ``ActionId``).
END_CHAT = "End Chat"
UNDO_END = "Undo"
CLOSE_TAB = "Close tab"
#: Below this pane width the "what will happen" line takes its short form.
COMPACT_WIDTH = 70
NO_SESSION = "No session open. Choose one on the left."
REPLY_PLACEHOLDER = "Reply: enter sends, shift+enter new line"


def r7_countdown(detail: SessionDetail, now: datetime, *, compact: bool = False) -> str:
    """R7's countdown for an agent-initiated session the customer has not answered ("" for
    any other session); ``compact`` is the short form for a narrow transcript."""
    row = detail.session
    if (
        row.initiated_by != Initiator.AGENT.value
        or row.auto_end_at is None
        or row.status == SessionStatus.ENDED.value
    ):
        return ""
    return countdown_text(
        row.auto_end_at, now, standard=row.channel_kind == "standard", compact=compact
    )


def find_action(detail: SessionDetail, action: ActionId) -> ActionView | None:
    """The session's action ``action`` (None: not offered to this agent)."""
    return find_in(detail.actions, action)


def csat_score(detail: SessionDetail) -> int | None:
    """The customer's answer to the session's CSAT survey (R9), None when not answered."""
    for csat in detail.csat_requests:
        if csat.score is not None:
            return csat.score
    return None


#: In a narrow header, the cells the channel keeps before the customer's name is cut, and the
#: cells the name keeps before the channel is left out.
CHANNEL_MIN = 10
NAME_MIN = 8


def header_content(detail: SessionDetail, width: int | None = None) -> Content:
    """``S-12  Alice  ·  Enhanced WhatsApp  ·  Active  ·  tab-based, holds 1/1``.

    With ``width`` (the header's cells), what does not fit gives way in this order: the
    capacity part, then the channel (cut with "…", then left out), then the customer's name
    -- the session's label and its status always show.
    """
    row = detail.session
    score = csat_score(detail)
    sep = ("  ·  ", "$foreground-muted")
    label = Content.styled(row.label, "bold")
    customer = Content.styled(one_line(row.customer, 40), "bold $msg-customer")
    channel = Content(one_line(row.channel_name, 40))
    status = Content.assemble(
        (row.status, "bold " + STATUS_STYLES.get(row.status, "")),
        *((sep, (f"CSAT {score}/5", "bold")) if score is not None else ()),
    )
    held = Content.styled(
        f"{row.capacity_model}, holds {row.units_held}/{row.units}", "$foreground-muted"
    )
    full = Content.assemble(label, "  ", customer, sep, channel, sep, status, sep, held)
    if width is None or full.cell_length <= width:
        return full
    short = Content.assemble(label, "  ", customer, sep, channel, sep, status)
    if short.cell_length <= width:
        return short
    # The customer and the channel share what is left; the channel is cut first (to about
    # ten cells), then the name; a channel with no room left is left out.
    room = width - Content.assemble(label, "  ", sep, sep, status).cell_length
    names = min(customer.cell_length, max(room - min(channel.cell_length, CHANNEL_MIN), NAME_MIN))
    if room - names >= 4:
        return Content.assemble(
            label,
            "  ",
            customer.truncate(names, ellipsis=True),
            sep,
            channel.truncate(room - names, ellipsis=True),
            sep,
            status,
        )
    room += Content.assemble(sep).cell_length
    if room < 2:
        return Content.assemble(label, "  ", status)
    return Content.assemble(label, "  ", customer.truncate(room, ellipsis=True), sep, status)


def not_connected_note(detail: SessionDetail, *, compact: bool = False) -> Content:
    """The transcript's one note for a session whose channel is not connected (empty when it
    is); ``compact`` leaves out the channel's name (the header shows it)."""
    if detail.channel_connected:
        return Content("")
    if compact:
        return Content("Not connected: nothing reaches the customer")
    name = one_line(detail.session.channel_name, 40)
    return Content(f"{name} is not connected: nothing here reaches the customer")


def tab_note(detail: SessionDetail, close: ActionView | None, key: str) -> Content:
    """What an ended session's tab says: R2's "close the tab to free capacity" when it holds
    units under tab-based capacity."""
    row = detail.session
    press = f" Press {key} or the button to close it." if key else ""
    if close is None or not close.allowed:
        why = close.reason if close is not None else "the tab cannot be closed"
        return Content.assemble(("Session ended. ", "bold"), one_line(why, 200))
    if row.capacity_model == "tab-based" and row.units_held > 0:
        units = f"{row.units_held} unit{'s' if row.units_held != 1 else ''}"
        return Content.assemble(
            ("Session ended — close the tab to free capacity", "bold $capacity-full"),
            f" ({units} held).{press}",
        )
    return Content.assemble(("Session ended.", "bold"), f" Its capacity is free.{press}")


def units_text(units: int) -> str:
    return f"{units} unit{'s' if units != 1 else ''}"


def end_outlook(detail: SessionDetail, end_line: str, *, compact: bool = False) -> Content:
    """What ending now does: the line the customer sees, CSAT (R9) and capacity (R2).

    The CSAT answer is the service's (the session's "CSAT on end" action); whether the units
    stay held after the end is the domain's capacity rule. ``compact`` is the short form for a
    narrow pane (the full one is the label's tooltip).
    """
    row = detail.session
    csat = find_action(detail, ActionId.CSAT_ON_END)
    held = units_text(row.units_held)
    model = CapacityModel(row.capacity_model)
    stays = consumes(model, SessionStatus.ENDED, tab_open=True, owned=True)
    if compact:
        parts: list[str | tuple[str, str] | Content] = [("Ending: ", "bold")]
        if end_line:
            parts += [(f"“{end_line}”", "italic"), " · "]
        if csat is not None:
            parts.append("CSAT survey" if csat.allowed else "no CSAT survey")
        if row.units_held:
            parts.append(f" · {held} held until tab closed" if stays else f" · {held} freed")
        return Content.assemble(*parts)
    parts = [("If you end it now: ", "bold")]
    if end_line:
        parts += ["the customer sees ", (f"“{end_line}”", "italic")]
    if csat is not None and csat.reason:
        parts += ["; " if end_line else "", one_line(csat.reason, 120)]
    if row.units_held:
        one = row.units_held == 1
        if stays:
            verb = "stays" if one else "stay"
            parts.append(f"; its {held} {verb} held until you close the tab ({model.value})")
        else:
            verb = "is" if one else "are"
            parts.append(f"; its {held} {verb} freed at once ({model.value})")
    parts.append(".")
    return Content.assemble(*parts)


def end_summary(detail: SessionDetail, tz: tzinfo | None) -> Content:
    """Who ended an ended session, when, from where, and whether a CSAT survey went out."""
    end = detail.end
    if end is None:
        return Content("")
    who = ended_by(ActorKind(end.actor_kind), end.actor)
    surface = Surface(end.surface)
    where = (
        ""
        if surface in (Surface.LOGOUT, Surface.TIMER, Surface.MACRO, Surface.TRIGGER)
        else (f" from the {surface.label}")
    )
    local = end.at.astimezone(tz)
    today = detail.as_of.astimezone(tz).date() if detail.as_of is not None else local.date()
    on = "" if local.date() == today else f" on {local.day} {local:%b %Y}"
    return Content.assemble(
        "Ended by ",
        (one_line(who, 60), "bold"),
        f"{on} at {local:%H:%M}{where}; {csat_summary(detail, tz)}.",
    )


def csat_summary(detail: SessionDetail, tz: tzinfo | None) -> str:
    """Whether a CSAT survey was sent (and, on a connected channel, whether it got there),
    and the customer's answer."""
    if not detail.csat_requests:
        return "no CSAT survey was sent"
    csat = detail.csat_requests[0]
    if csat.score is not None:
        return f"a CSAT survey was sent and the customer rated it {csat.score}/5"
    if csat.delivery is None or csat.delivery.state == DeliveryState.SENT.value:
        return "a CSAT survey was sent"
    went = delivery_text(csat.delivery, tz, connected=detail.channel_connected)
    return f"a CSAT survey was requested ({went})"


def undo_note(label: str, seconds: int, key: str) -> Content:
    """The Undo bar's words: ``Ending S-1 in 5 s — ^z undoes it; ...``."""
    undo = Content.assemble(" — ", (key, "bold"), " undoes it") if key else Content("")
    return Content.assemble(
        ("Ending ", "bold"),
        (label, "bold"),
        (f" in {seconds} s", "bold"),
        undo,
        "; nothing is sent until then.",
    )


def draft_note(end: EndView | None, as_of: datetime | None, tz: tzinfo | None, key: str) -> Content:
    """What an ended session with a draft in the composer says: who ended it, when, and that
    the draft is kept (``key`` copies it)."""
    kept = (
        Content.assemble("your draft is kept: ", (key, "bold"), " copies it.")
        if key
        else (Content("your draft is kept in the composer."))
    )
    if end is None:
        return Content.assemble("This session has ended — ", kept)
    who = ended_by(ActorKind(end.actor_kind), end.actor)
    zone = tz if tz is not None else end.at.astimezone().tzinfo  # None: the machine's zone
    assert zone is not None
    today = (as_of or end.at).astimezone(zone).date()
    same_day = end.at.astimezone(zone).date() == today
    when = fmt_time(end.at, zone) if same_day else fmt_moment(end.at, zone)
    return Content.assemble(
        ("Ended by ", "bold"), (one_line(who, 60), "bold"), f" at {when} — ", kept
    )


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

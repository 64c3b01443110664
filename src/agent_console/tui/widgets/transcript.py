"""The conversation so far: customer, agent and system lines with HH:MM times.

Every message is customer-controlled text: it is made safe with ``safe_text`` and put into
:class:`Content` as plain text, never parsed as markup.

What is rendered is bounded, whatever the conversation holds: one message shows at most
:data:`DISPLAY_LIMIT` characters and :data:`LINE_LIMIT` lines ("… N more characters"), and the
transcript renders the newest messages up to :data:`BUDGET` characters ("… N earlier messages
not shown"). **Show more** multiplies both bounds (up to :data:`MAX_FACTOR` times), so a 1 MB
message, a 200,000-character line or a 50,000-line conversation costs a screenful of work,
not a megabyte of wrapping on every refresh. The stored text is never changed.

What is *loaded* is bounded too: a session detail holds only the start of each long message
(``MessageView.length`` says how long it really is, and the cut says "… N of M characters not
shown"). When Show more needs more than the console loaded, the transcript posts
:class:`Transcript.TextWanted` and the console loads that larger (still capped) window.

A line that went out to the customer's channel (an agent reply, the R12 end line) says what
became of it, as the session detail says (``MessageView.delivery``): "✓ sent" or "sending…"
at its end, and trouble (retrying at a time with the last error, not delivered) on a line of
its own under it. A line with no delivery shows nothing more; a session whose channel is not
connected says so once, on the transcript's border (the conversation pane does that), not on
every line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

from ...domain.outbox import DeliveryState
from ...domain.text import one_line, safe_text, steady_width, truncate_for_display
from ...services.views import (
    DETAIL_MESSAGES,
    DETAIL_TEXT_CAP,
    DETAIL_TEXT_WINDOW,
    MESSAGE_TEXT_CAP,
    MESSAGE_TEXT_WINDOW,
)

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import DeliveryView, MessageView

#: Characters of one message shown before "… N more characters".
DISPLAY_LIMIT = 4000
#: Lines of one message shown before "… N more characters".
LINE_LIMIT = 200
#: Characters of the whole transcript rendered (the newest messages first).
BUDGET = 40_000
#: How far "Show more" may raise the bounds (each press multiplies them by SHOW_MORE_STEP).
SHOW_MORE_STEP = 4
MAX_FACTOR = 64
# Show more never asks the services for more than they give (their caps bound every refresh).
if DISPLAY_LIMIT * MAX_FACTOR > MESSAGE_TEXT_CAP or BUDGET * MAX_FACTOR > DETAIL_TEXT_CAP:
    raise RuntimeError("the transcript's Show more bounds exceed the services' text caps")
AUTHOR_WIDTH = 24
MUTED = "$foreground-muted"
_AUTHOR_STYLES = {
    "customer": "bold $msg-customer",
    "agent": "bold $msg-agent",
    "system": "italic $msg-system",
}


#: Continuation lines of a message start under its text column's left edge ("HH:MM  ").
HANGING_INDENT = " " * 7
#: Characters of a delivery's last error shown after a line ("HTTP 500", "timed out ...").
ERROR_WIDTH = 80
_DELIVERY_STYLES = {
    DeliveryState.RETRYING: "$text-warning",
    DeliveryState.FAILED: "bold $text-error",
}


def delivery_text(delivery: DeliveryView, tz: tzinfo | None, *, connected: bool = True) -> str:
    """What became of one outgoing line: "✓ sent", "sending…", "⟳ retrying at 14:03:12
    (HTTP 500)" (the next attempt in the console's time zone), "✗ not delivered: HTTP 500".
    A line still waiting while its channel is not connected says that it waits for it."""
    state = DeliveryState(delivery.state)
    error = one_line(delivery.error or "", ERROR_WIDTH)
    if state is DeliveryState.SENT:
        return "✓ sent"
    if state is DeliveryState.FAILED:
        return f"✗ not delivered: {error or 'gave up'}"
    if not connected:
        return "… not sent yet: the channel is not connected"
    if state is DeliveryState.RETRYING:
        at = delivery.next_attempt_at
        when = f" at {at.astimezone(tz).strftime('%H:%M:%S')}" if at is not None else ""
        return f"⟳ retrying{when}" + (f" ({error})" if error else "")
    return "sending…"


def delivery_trouble(delivery: DeliveryView, *, connected: bool = True) -> bool:
    """Whether the line has not reached the customer and is not simply on its way."""
    state = DeliveryState(delivery.state)
    if state is DeliveryState.SENT:
        return False
    return state is not DeliveryState.PENDING or not connected


def delivery_mark(
    delivery: DeliveryView | None, tz: tzinfo | None, *, connected: bool = True
) -> tuple[str | Content, ...]:
    """What follows a line that was sent to the channel (nothing when none was): a muted
    "✓ sent" or "sending…" on the same line; trouble on a line of its own, under the text,
    in its state's colour (a long error never leaves the mark split at the line's end)."""
    if delivery is None:
        return ()
    text = delivery_text(delivery, tz, connected=connected)
    if not delivery_trouble(delivery, connected=connected):
        return ("  ", Content.styled(text, MUTED))
    # Still pending here means waiting for a channel that is not connected: a warning too.
    style = _DELIVERY_STYLES.get(DeliveryState(delivery.state), "$text-warning")
    return ("\n" + HANGING_INDENT, Content.styled(text, style))


def message_text(
    text: str, limit: int = DISPLAY_LIMIT, max_lines: int = LINE_LIMIT, length: int | None = None
) -> str:
    """The shown part of one message: at most ``limit`` characters and ``max_lines`` lines.

    ``text`` may be only the start of the stored text, whose full ``length`` is then given: the
    cut says how much of all of it is not shown."""
    head, _ = truncate_for_display(text, limit)
    parts = head.split("\n", max_lines)
    if len(parts) > max_lines:
        head = "\n".join(parts[:max_lines])
    # steady_width: no emoji modifier a terminal draws wider than counted (past the border).
    shown = steady_width(safe_text(head)).expandtabs(4).replace("\n", "\n" + HANGING_INDENT)
    full = len(text) if length is None else max(length, len(text))
    left_out = full - len(head)
    if left_out:
        shown += f" … ({left_out:,} of {full:,} characters not shown)"
    return shown


def message_line(
    message: MessageView,
    tz: tzinfo | None,
    limit: int = DISPLAY_LIMIT,
    max_lines: int = LINE_LIMIT,
    *,
    connected: bool = True,
) -> Content:
    """One transcript entry: ``09:02  author  text`` (system lines in their own style), and
    what became of it on the channel when it was sent there (see :func:`delivery_text`)."""
    at = message.at.astimezone(tz)
    stamp = (at.strftime("%H:%M"), MUTED)
    body = message_text(message.text, limit, max_lines, message.full_length)
    tail = delivery_mark(message.delivery, tz, connected=connected)
    if message.author_kind == "system":
        note = "" if message.visible_to_customer else " (internal)"
        return Content.assemble(stamp, "  ", ("── " + body + note, _AUTHOR_STYLES["system"]), *tail)
    author = steady_width(safe_text(message.author[: AUTHOR_WIDTH * 4]))
    author = author.replace("\n", " ").replace("\t", " ")[:AUTHOR_WIDTH]
    return Content.assemble(
        stamp,
        "  ",
        (author, _AUTHOR_STYLES.get(message.author_kind, "bold")),
        "  ",
        body,
        *tail,
    )


@dataclass(frozen=True)
class Window:
    """Which of the loaded messages are rendered, and how much of each."""

    start: int  # index of the oldest message rendered
    limit: int  # characters per message
    max_lines: int  # lines per message
    cut: bool  # some message shows less than all of its text


def window(messages: Sequence[MessageView], factor: int = 1) -> Window:
    """The newest messages whose shown text fits ``BUDGET * factor`` characters (at least one)."""
    limit, max_lines, budget = DISPLAY_LIMIT * factor, LINE_LIMIT * factor, BUDGET * factor
    used, start, cut = 0, len(messages), False
    for i in range(len(messages) - 1, -1, -1):
        text = messages[i].text
        cost = min(len(text), limit)
        if used + cost > budget and start < len(messages):
            break
        used += cost
        start = i
        too_long = messages[i].full_length > limit
        cut = cut or too_long or text.count("\n", 0, limit) >= max_lines
    return Window(start, limit, max_lines, cut)


def transcript_content(
    messages: Sequence[MessageView],
    *,
    total: int,
    tz: tzinfo | None,
    factor: int = 1,
    connected: bool = True,
) -> Content:
    """The rendered transcript (bounded: see :func:`window`); ``connected``: whether the
    session's channel is connected (lines still waiting for it say so when it is not)."""
    shown = window(messages, factor)
    visible = messages[shown.start :]
    lines: list[Content] = []
    if total > len(visible):
        earlier = total - len(visible)
        lines.append(Content.styled(f"… {earlier:,} earlier messages not shown", MUTED))
    day = None
    for message in visible:
        local_day = message.at.astimezone(tz).date()
        if local_day != day:
            day = local_day
            lines.append(Content.styled(local_day.strftime("── %a %d %b %Y ──"), MUTED))
        lines.append(message_line(message, tz, shown.limit, shown.max_lines, connected=connected))
    if not messages:
        lines.append(Content.styled("No messages yet.", MUTED))
    return Content("\n").join(lines)


class Transcript(VerticalScroll):
    """Scrolls to the newest line when new messages arrive, unless the agent scrolled up.

    A **Show more** button above the text appears when something is not rendered; each press
    renders more of the loaded messages (older ones, and more of each long one), and asks for
    a larger loaded window (:class:`TextWanted`) when it needs more than the default one.
    """

    class TextWanted(Message):
        """Show more needs up to ``per_message`` characters of each message of the session
        and ``total`` characters in all (both within the services' caps)."""

        def __init__(self, session_id: int, per_message: int, total: int) -> None:
            super().__init__()
            self.session_id = session_id
            self.per_message = per_message
            self.total = total

    DEFAULT_CSS = """
    Transcript > #transcript-more {
        width: 100%;
    }
    Transcript > #transcript-text {
        min-height: 100%;
    }
    """

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self._tz = tz
        self._shown: tuple[object, ...] | None = None
        self._messages: Sequence[MessageView] = ()
        self._total = 0
        self._factor = 1
        self._session_id: int | None = None
        self._connected = True
        self._note = (Content(""), Content(""))
        self._note_shown = ""

    def compose(self) -> ComposeResult:
        yield Button("Show more", id="transcript-more", compact=True)
        yield Static(id="transcript-text", markup=False)

    def on_mount(self) -> None:
        self.query_one("#transcript-more", Button).display = False

        # Anchored: the newest line stays in view as lines arrive and when the terminal is
        # resized (Textual's layout keeps it), until the agent scrolls up; scrolling back to
        # the end anchors it again. The text fills at least the view (CSS below), so a short
        # transcript stays at the top instead of being pushed down to the anchor.
        self.anchor()

    def show(
        self,
        session_id: int,
        messages: Sequence[MessageView],
        total: int,
        *,
        connected: bool = True,
    ) -> None:
        # What was loaded counts too: Show more may bring a larger window of the same messages;
        # and so does what became of each sent line (a refresh may bring only that).
        loaded = (len(messages), sum(len(m.text) for m in messages))
        sent = tuple(
            (m.id, m.delivery.state, m.delivery.attempts, m.delivery.error)
            for m in messages
            if m.delivery is not None
        )
        last = messages[-1].id if messages else None
        key = (session_id, total, last, loaded, sent, connected)
        if key == self._shown:
            return
        same_session = self._shown is not None and self._shown[0] == session_id
        follow = not same_session or self.is_vertical_scroll_end or self.max_scroll_y == 0
        if not same_session:
            self._factor = 1
        self._shown = key
        self._session_id = session_id
        self._messages, self._total = messages, total
        self._connected = connected
        self._render_text()
        if follow:
            self.call_after_refresh(self.scroll_end, animate=False)

    def _render_text(self) -> None:
        shown = window(self._messages, self._factor)
        self.query_one("#transcript-text", Static).update(
            transcript_content(
                self._messages,
                total=self._total,
                tz=self._tz,
                factor=self._factor,
                connected=self._connected,
            )
        )
        more = self.query_one("#transcript-more", Button)
        hidden = shown.start
        if len(self._messages) < DETAIL_MESSAGES:  # the text window, not the count, left them
            hidden += max(0, self._total - len(self._messages))
        can_grow = self._factor < MAX_FACTOR and (hidden > 0 or shown.cut)
        more.display = can_grow
        if can_grow:
            what = f"{hidden:,} earlier message{'s' if hidden != 1 else ''}" if hidden else ""
            more.label = f"Show more ({what or 'longer messages'})"

    def set_note(self, note: Content, compact: Content) -> None:
        """A note on the top border ("" for none): ``note`` when it fits, else ``compact``."""
        self._note = (note, compact)
        self._show_note()
        self.call_after_refresh(self._show_note)  # again at the width the layout settles on

    def _show_note(self) -> None:
        note, compact = self._note
        # The border draws a title between its corners, with a space each side.
        if note.cell_length + 6 > self.size.width:
            note = compact
        self._note_shown = str(note)
        self.border_title = note if self._note_shown else None

    def on_resize(self) -> None:
        self._show_note()
        # A resize may arrive while the layout is still settling (the pane shown again after
        # a session without a transcript): check again once it has.
        self.call_after_refresh(self._show_note)

    @property
    def note_text(self) -> str:
        """The note on the top border, as shown ("" when there is none)."""
        return self._note_shown

    def show_more(self) -> None:
        """Render more of the loaded messages (older ones, and more of each long one)."""
        if self._factor < MAX_FACTOR:
            self._factor = min(MAX_FACTOR, self._factor * SHOW_MORE_STEP)
            per_message, total = DISPLAY_LIMIT * self._factor, BUDGET * self._factor
            wider = per_message > MESSAGE_TEXT_WINDOW or total > DETAIL_TEXT_WINDOW
            if self._session_id is not None and wider:
                self.post_message(self.TextWanted(self._session_id, per_message, total))
            self._render_text()
            self.call_after_refresh(self.scroll_home, animate=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "transcript-more":
            event.stop()
            self.show_more()

    @property
    def shown_factor(self) -> int:
        """How many times the bounds were raised by Show more (1: not yet)."""
        return self._factor

    @property
    def plain_text(self) -> str:
        """What the transcript shows, as plain text (for tests and copying)."""
        content = self.query_one("#transcript-text", Static).content
        return str(content)

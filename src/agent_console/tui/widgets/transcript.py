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

from ...domain.text import safe_text, truncate_for_display
from ...services.views import (
    DETAIL_MESSAGES,
    DETAIL_TEXT_CAP,
    DETAIL_TEXT_WINDOW,
    MESSAGE_TEXT_CAP,
    MESSAGE_TEXT_WINDOW,
)

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import MessageView

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
    shown = safe_text(head).expandtabs(4).replace("\n", "\n" + HANGING_INDENT)
    full = len(text) if length is None else max(length, len(text))
    left_out = full - len(head)
    if left_out:
        shown += f" … ({left_out:,} of {full:,} characters not shown)"
    return shown


def message_line(
    message: MessageView, tz: tzinfo | None, limit: int = DISPLAY_LIMIT, max_lines: int = LINE_LIMIT
) -> Content:
    """One transcript entry: ``09:02  author  text`` (system lines in their own style)."""
    at = message.at.astimezone(tz)
    stamp = (at.strftime("%H:%M"), MUTED)
    body = message_text(message.text, limit, max_lines, message.full_length)
    if message.author_kind == "system":
        note = "" if message.visible_to_customer else " (internal)"
        return Content.assemble(stamp, "  ", ("── " + body + note, _AUTHOR_STYLES["system"]))
    author = safe_text(message.author[: AUTHOR_WIDTH * 4])
    author = author.replace("\n", " ").replace("\t", " ")[:AUTHOR_WIDTH]
    return Content.assemble(
        stamp,
        "  ",
        (author, _AUTHOR_STYLES.get(message.author_kind, "bold")),
        "  ",
        body,
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
    messages: Sequence[MessageView], *, total: int, tz: tzinfo | None, factor: int = 1
) -> Content:
    """The rendered transcript (bounded: see :func:`window`)."""
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
        lines.append(message_line(message, tz, shown.limit, shown.max_lines))
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
    """

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self._tz = tz
        self._shown: tuple[object, ...] | None = None
        self._messages: Sequence[MessageView] = ()
        self._total = 0
        self._factor = 1
        self._session_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Button("Show more", id="transcript-more", compact=True)
        yield Static(id="transcript-text", markup=False)

    def on_mount(self) -> None:
        self.query_one("#transcript-more", Button).display = False

    def show(self, session_id: int, messages: Sequence[MessageView], total: int) -> None:
        # What was loaded counts too: Show more may bring a larger window of the same messages.
        loaded = (len(messages), sum(len(m.text) for m in messages))
        key = (session_id, total, messages[-1].id if messages else None, loaded)
        if key == self._shown:
            return
        same_session = self._shown is not None and self._shown[0] == session_id
        follow = not same_session or self.is_vertical_scroll_end or self.max_scroll_y == 0
        if not same_session:
            self._factor = 1
        self._shown = key
        self._session_id = session_id
        self._messages, self._total = messages, total
        self._render_text()
        if follow:
            self.call_after_refresh(self.scroll_end, animate=False)

    def _render_text(self) -> None:
        shown = window(self._messages, self._factor)
        self.query_one("#transcript-text", Static).update(
            transcript_content(self._messages, total=self._total, tz=self._tz, factor=self._factor)
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

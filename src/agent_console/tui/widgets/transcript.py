"""The conversation so far: customer, agent and system lines with HH:MM times.

Every message is customer-controlled text: it is made safe with ``safe_text`` and put into
:class:`Content` as plain text, never parsed as markup. Very long messages are cut for display
(the stored text is untouched) so one huge message cannot stall the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from ...domain.text import safe_text, truncate_for_display

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import MessageView

#: Characters of one message shown before "… N more characters".
DISPLAY_LIMIT = 4000
AUTHOR_WIDTH = 24
MUTED = "$foreground-muted"
_AUTHOR_STYLES = {
    "customer": "bold $msg-customer",
    "agent": "bold $msg-agent",
    "system": "italic $msg-system",
}


#: Continuation lines of a message start under its text column's left edge ("HH:MM  ").
HANGING_INDENT = " " * 7


def message_text(text: str) -> str:
    head, left_out = truncate_for_display(text, DISPLAY_LIMIT)
    shown = safe_text(head).expandtabs(4).replace("\n", "\n" + HANGING_INDENT)
    if left_out:
        shown += f" … ({left_out:,} more characters)"
    return shown


def message_line(message: MessageView, tz: tzinfo | None) -> Content:
    """One transcript entry: ``09:02  author  text`` (system lines in their own style)."""
    at = message.at.astimezone(tz)
    stamp = (at.strftime("%H:%M"), MUTED)
    body = message_text(message.text)
    if message.author_kind == "system":
        note = "" if message.visible_to_customer else " (internal)"
        return Content.assemble(stamp, "  ", ("── " + body + note, _AUTHOR_STYLES["system"]))
    author = safe_text(message.author).replace("\n", " ")[:AUTHOR_WIDTH]
    return Content.assemble(
        stamp,
        "  ",
        (author, _AUTHOR_STYLES.get(message.author_kind, "bold")),
        "  ",
        body,
    )


def transcript_content(
    messages: Sequence[MessageView], *, total: int, tz: tzinfo | None
) -> Content:
    lines: list[Content] = []
    if total > len(messages):
        lines.append(
            Content.styled(f"… {total - len(messages):,} earlier messages not shown", MUTED)
        )
    day = None
    for message in messages:
        local_day = message.at.astimezone(tz).date()
        if local_day != day:
            day = local_day
            lines.append(Content.styled(local_day.strftime("── %a %d %b %Y ──"), MUTED))
        lines.append(message_line(message, tz))
    if not messages:
        lines.append(Content.styled("No messages yet.", MUTED))
    return Content("\n").join(lines)


class Transcript(VerticalScroll):
    """Scrolls to the newest line when new messages arrive, unless the agent scrolled up."""

    def __init__(self, *, tz: tzinfo | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self._tz = tz
        self._shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="transcript-text", markup=False)

    def show(self, session_id: int, messages: Sequence[MessageView], total: int) -> None:
        key = (session_id, total, messages[-1].id if messages else None)
        if key == self._shown:
            return
        same_session = self._shown is not None and self._shown[0] == session_id
        follow = not same_session or self.is_vertical_scroll_end or self.max_scroll_y == 0
        self._shown = key
        self.query_one("#transcript-text", Static).update(
            transcript_content(messages, total=total, tz=self._tz)
        )
        if follow:
            self.call_after_refresh(self.scroll_end, animate=False)

    @property
    def plain_text(self) -> str:
        """What the transcript shows, as plain text (for tests and copying)."""
        content = self.query_one("#transcript-text", Static).content
        return str(content)

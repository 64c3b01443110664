"""The quick reply picker: type to search the quick replies, enter puts the chosen one, its
placeholders filled, into the composer at the cursor. Nothing is sent: the agent reads it and
presses enter as for any reply.

Searching is fuzzy (Textual's ``FuzzySearch``, the command palette's matcher) over each reply's
name and the start of its text as the admin wrote it; names that match come first, best match
first. The search never reads the customer's name: the matcher tries every way a query's
letters fit a candidate, so a repetitive candidate ("abab...", a name a customer can choose)
would take seconds. Each entry shows the text as it will be inserted, as plain text: a
customer's name is never markup (and never a placeholder: ``domain.quick_replies.render``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import FuzzySearch
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ...domain.errors import ConsoleError
from ...domain.quick_replies import render
from ...domain.text import escape_log, one_line
from ...domain.vocab import session_label
from ..screen_work import screen_work
from ..widgets.footer import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import QuickReplyView
    from ..backend import ConsoleBackend

#: Characters of a reply's text that are searched (candidates stay short: see above), and
#: of its filled text that are shown.
SEARCHED_TEXT = 60
SHOWN_TEXT = 84
MATCH_STYLE = "reverse"


@dataclass(frozen=True)
class Ranked:
    """A quick reply, its filled text, and how well it matches the query."""

    reply: QuickReplyView
    filled: str
    #: Where the query's letters are in the name as shown (highlighted).
    name_offsets: tuple[int, ...]
    score: tuple[int, float]


def rank(replies: list[QuickReplyView], values: dict[str, str], query: str) -> list[Ranked]:
    """The replies that match ``query`` (all of them, by name, when it is blank), best first:
    a match in the name before one in the text only, then by the matcher's score."""
    search = FuzzySearch()
    wanted = query.strip()
    out: list[Ranked] = []
    for reply in replies:
        filled = render(reply.text, values)
        if not wanted:
            out.append(Ranked(reply, filled, (), (0, 0.0)))
            continue
        name_score, name_offsets = search.match(wanted, one_line(reply.name, 60))
        if name_score:
            out.append(Ranked(reply, filled, tuple(name_offsets), (1, name_score)))
            continue
        text_score, _ = search.match(wanted, one_line(reply.text, SEARCHED_TEXT))
        if text_score:
            out.append(Ranked(reply, filled, (), (0, text_score)))
    if wanted:
        out.sort(key=lambda r: (-r.score[0], -r.score[1], r.reply.name.lower()))
    return out


def highlighted(text: str, offsets: tuple[int, ...], style: str = "") -> Content:
    """``text`` as plain Content (never markup), the matched characters in reverse."""
    content = Content.styled(text, style) if style else Content(text)
    for offset in offsets:
        if offset < len(text) and not text[offset].isspace():
            content = content.stylize(MATCH_STYLE, offset, offset + 1)
    return content


def reply_prompt(ranked: Ranked) -> Content:
    name = one_line(ranked.reply.name, 60)
    return Content.assemble(
        highlighted(name, ranked.name_offsets, "bold"),
        "\n  ",
        (one_line(ranked.filled, SHOWN_TEXT), "$foreground-muted"),
    )


def insert_at_cursor(composer: Widget, text: str) -> None:
    """Insert ``text`` into the composer at its cursor (an ``Input`` holds one line: line
    breaks become spaces there)."""
    if isinstance(composer, Input):
        composer.insert_text_at_cursor(" ".join(text.splitlines()))
        return
    insert = getattr(composer, "insert", None)  # a multi-line composer (TextArea)
    if not callable(insert):
        raise TypeError(f"not a composer: {composer!r}")
    insert(text)


class QuickReplyPickerScreen(ModalScreen["str | None"]):
    """Dismisses with the chosen reply's filled text, or None."""

    CSS_PATH = "quick_reply_picker.tcss"
    HELP = (
        "Quick replies: type to search (fuzzy, names first), ↑↓ choose, enter inserts the "
        "reply into the composer at the cursor with {customer}, {agent} and {channel} filled. "
        "Nothing is sent until you press enter in the composer. Admins edit the quick replies "
        "from Admin settings."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "close",
            "Cancel",
            id="quick-reply-close",
            tooltip="Back to the composer, its draft untouched",
        ),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, backend: ConsoleBackend, session_id: int, customer: str = "") -> None:
        super().__init__(id="quick-reply-picker")
        self.backend = backend
        self.session_id = session_id
        self.customer = customer
        self.replies: list[QuickReplyView] = []
        self.values: dict[str, str] = {}
        self.shown: list[Ranked] = []
        #: The search the list shows the matches of (typing changes the input at once, the
        #: list when the input's Changed message is handled).
        self.shown_for: str | None = None
        self.loaded = False

    def compose(self) -> ComposeResult:
        with Vertical(id="quick-box"):
            yield Label(
                Content.assemble(
                    ("Quick reply for ", "bold"),
                    (session_label(self.session_id), "bold"),
                    f" · {one_line(self.customer, 30)}" if self.customer else "",
                ),
                id="quick-title",
            )
            yield Input(placeholder="Type to search quick replies", id="quick-search")
            yield OptionList(id="quick-options")
            yield Label("", id="quick-empty", markup=False)
            yield Label(
                Content("enter inserts into the composer (not sent) · ↑↓ choose · escape cancels"),
                id="quick-hint",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#quick-empty").display = False
        self.query_one("#quick-options", OptionList).loading = True
        self.query_one("#quick-search").focus()
        self._load()

    @screen_work(exclusive=True, group="quick-replies")
    async def _load(self) -> None:
        options = self.query_one("#quick-options", OptionList)
        try:
            replies = await self.backend.list_quick_replies()
            values = await self.backend.quick_reply_values(self.session_id)
        except ConsoleError as exc:
            options.loading = False
            self._say(f"Cannot load the quick replies: {exc}")
            return
        if not self.is_attached:  # closed while the database answered
            return
        self.replies, self.values = replies, values
        options.loading = False
        self.loaded = True
        self._show(self.query_one("#quick-search", Input).value)

    def _say(self, text: str) -> None:
        empty = self.query_one("#quick-empty", Label)
        empty.update(Content(escape_log(text)))
        empty.display = True

    def _show(self, query: str) -> None:
        options = self.query_one("#quick-options", OptionList)
        self.shown = rank(self.replies, self.values, query)
        self.shown_for = query
        options.clear_options()
        options.add_options([Option(reply_prompt(r), id=str(r.reply.id)) for r in self.shown])
        if self.shown:
            options.highlighted = 0
        empty = self.query_one("#quick-empty", Label)
        if not self.replies:
            self._say("No quick replies yet: an admin adds them (Admin settings, f4).")
        elif not self.shown:
            self._say(f"No quick reply matches {one_line(query, 40)!r}.")
        else:
            empty.display = False

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self.loaded:
            self._show(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._pick(self.query_one("#quick-options", OptionList).highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option_index)

    def _pick(self, index: int | None) -> None:
        if index is None or not 0 <= index < len(self.shown):
            return
        self.dismiss(self.shown[index].filled)

    def action_move(self, delta: int) -> None:
        options = self.query_one("#quick-options", OptionList)
        if not self.shown:
            return
        current = options.highlighted if options.highlighted is not None else -delta
        options.highlighted = max(0, min(len(self.shown) - 1, current + delta))

    def action_close(self) -> None:
        self.dismiss(None)

    @property
    def shown_names(self) -> list[str]:
        return [r.reply.name for r in self.shown]

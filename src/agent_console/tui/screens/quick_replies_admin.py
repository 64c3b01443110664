"""Quick replies, for admins: the list, add, edit, and delete (asked first).

Every write goes to ``services.quick_replies``, which refuses a non-admin, a taken name and a
text with an unknown placeholder with its own reason, shown in the editor under the fields. A
non-admin sees the list and why they cannot change it. Reached from Admin settings (f4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from ...domain.errors import ConsoleError
from ...domain.quick_replies import PLACEHOLDERS
from ...domain.text import escape_log, one_line
from ..keymap import bound_key, with_key
from ..screen_work import screen_work
from ..widgets.footer import Footer
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.app import ComposeResult

    from ...services.views import QuickReplyView
    from ..backend import ConsoleBackend

PLACEHOLDER_HELP = (
    "Placeholders: "
    + ", ".join("{" + name + "} " + what for name, what in PLACEHOLDERS.items())
    + ". Write {{ and }} for a literal brace."
)


def reply_line(reply: QuickReplyView) -> Content:
    return Content.assemble(
        (one_line(reply.name, 60), "bold"),
        "\n  ",
        (one_line(reply.text, 100), "$foreground-muted"),
    )


class QuickRepliesScreen(Screen[None]):
    """The deployment's quick replies; only admins can change them."""

    CSS_PATH = "quick_replies_admin.tcss"
    HELP = (
        "Quick replies (admin): the canned texts agents insert with f4. a adds one, e or enter "
        "edits the highlighted one, d deletes it (asked first). Only admins can change them; an "
        "unknown placeholder or a taken name is refused with the reason."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add", id="quick-replies-add", tooltip="Add a quick reply"),
        Binding("e", "edit", "Edit", id="quick-replies-edit", tooltip="Edit the highlighted reply"),
        Binding(
            "d,delete",
            "delete",
            "Delete",
            id="quick-replies-delete",
            tooltip="Delete the highlighted reply (asks first)",
        ),
        Binding(
            "escape", "back", "Back", id="quick-replies-back", tooltip="Back to Admin settings"
        ),
        Binding(
            "f5",
            "reload",
            "Reload",
            id="quick-replies-reload",
            show=False,
            tooltip="Reload the quick replies",
        ),
    ]

    def __init__(self, backend: ConsoleBackend) -> None:
        super().__init__(id="quick-replies-admin")
        self.backend = backend
        self.replies: list[QuickReplyView] = []
        self.is_admin = False
        self.loaded = False

    def compose(self) -> ComposeResult:
        with Vertical(id="qr-body"):
            yield Label(Content.styled("Quick replies", "bold"), id="qr-title")
            yield Label("", id="qr-access", markup=False)
            yield OptionList(id="qr-list")
            yield Label("", id="qr-empty", markup=False)
            yield Label(Content(PLACEHOLDER_HELP), id="qr-help")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#qr-empty").display = False
        self.query_one("#qr-list").loading = True
        self.query_one("#qr-list").focus()
        self._load()

    @screen_work(exclusive=True, group="quick-replies-load")
    async def _load(self, select: str | None = None) -> None:
        listing = self.query_one("#qr-list", OptionList)
        try:
            me = await self.backend.my_agent()
            replies = await self.backend.list_quick_replies()
        except ConsoleError as exc:
            listing.loading = False
            self.notify(
                escape_log(f"Cannot load the quick replies: {exc}"), severity="error", markup=False
            )
            return
        if not self.is_attached:
            return
        self.is_admin, self.replies = me.is_admin, replies
        access = self.query_one("#qr-access", Label)
        access.set_class(not me.is_admin, "-refused")
        if me.is_admin:
            access.update(Content("The texts agents insert into a reply with f4."))
        else:
            access.update(
                Content.assemble(
                    ("Only admins can change quick replies: ", "bold"),
                    f"{one_line(me.name, 40)} is not an admin. You can read them here.",
                )
            )
        before = listing.highlighted
        listing.clear_options()
        listing.add_options([Option(reply_line(r), id=str(r.id)) for r in replies])
        names = [r.name for r in replies]
        if select in names:
            listing.highlighted = names.index(select)
        elif replies:
            listing.highlighted = min(before or 0, len(replies) - 1)
        empty = self.query_one("#qr-empty", Label)
        empty.display = not replies
        empty.update(Content("No quick replies yet." + (" a adds one." if me.is_admin else "")))
        listing.loading = False
        self.loaded = True
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "add":
            return True if self.is_admin else None
        if action in ("edit", "delete"):
            return True if self.is_admin and self.current() is not None else None
        return True

    def current(self) -> QuickReplyView | None:
        index = self.query_one("#qr-list", OptionList).highlighted
        return self.replies[index] if index is not None and index < len(self.replies) else None

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.refresh_bindings()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.is_admin:
            self.action_edit()

    def action_add(self) -> None:
        if self.is_admin:
            self.app.push_screen(QuickReplyEditorScreen(self.backend), self._saved)

    def action_edit(self) -> None:
        reply = self.current()
        if self.is_admin and reply is not None:
            self.app.push_screen(QuickReplyEditorScreen(self.backend, reply), self._saved)

    def _saved(self, reply: QuickReplyView | None) -> None:
        if reply is not None:
            self.notify(f"Quick reply {one_line(reply.name, 60)} saved", markup=False)
            self._load(reply.name)

    def action_delete(self) -> None:
        reply = self.current()
        if not self.is_admin or reply is None:
            return
        self.app.push_screen(
            ConfirmScreen(
                f"Delete the quick reply {one_line(reply.name, 60)}?",
                [Content(one_line(reply.text, 200)), Content("Agents can no longer insert it.")],
                confirm="Delete",
            ),
            lambda confirmed: self._delete(reply.name) if confirmed else None,
        )

    @screen_work(exclusive=True, group="quick-replies-write")
    async def _delete(self, name: str) -> None:
        try:
            await self.backend.remove_quick_reply(name)
        except ConsoleError as exc:
            self.notify(escape_log(str(exc)), severity="error", markup=False)
        else:
            self.notify(f"Quick reply {one_line(name, 60)} deleted", markup=False)
        self._load()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        self._load()

    def palette_commands(self) -> Iterable[SystemCommand]:
        if self.is_admin:
            yield SystemCommand("Add a quick reply", "A new canned text", self.action_add)
        yield SystemCommand("Back", "Back to Admin settings", self.action_back)


class QuickReplyEditorScreen(ModalScreen["QuickReplyView | None"]):
    """Add (no ``reply``) or edit one quick reply; dismisses with what was saved, or None."""

    CSS_PATH = "quick_replies_admin.tcss"
    HELP = (
        "Add or edit a quick reply: its name (what agents search for) and its text, with "
        "placeholders. ctrl+s saves; the service's reason shows under the fields when it "
        "refuses (an unknown placeholder, a taken name)."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="quick-reply-save", tooltip="Save the quick reply"),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="quick-reply-cancel",
            tooltip="Close without saving",
        ),
    ]

    def __init__(self, backend: ConsoleBackend, reply: QuickReplyView | None = None) -> None:
        super().__init__(id="quick-reply-editor")
        self.backend = backend
        self.reply = reply
        self.error_text = ""

    def compose(self) -> ComposeResult:
        title = "Add a quick reply" if self.reply is None else "Edit a quick reply"
        with Vertical(id="qe-box"):
            yield Label(Content.styled(title, "bold"), id="qe-title")
            name = Input(self.reply.name if self.reply else "", id="qe-name", max_length=80)
            name.border_title = "Name"
            yield name
            text = TextArea(
                self.reply.text if self.reply else "",
                id="qe-text",
                soft_wrap=True,
                show_line_numbers=False,
            )
            text.border_title = "Text"
            yield text
            yield Label(Content(PLACEHOLDER_HELP), id="qe-help")
            yield Label("", id="qe-error", markup=False)
            with Horizontal(id="qe-buttons"):
                yield Button(
                    with_key("Save", bound_key(self, "quick-reply-save")),
                    id="qe-save",
                    variant="primary",
                )
                yield Button(
                    with_key("Cancel", bound_key(self, "quick-reply-cancel")), id="qe-cancel"
                )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#qe-error").display = False
        self.query_one("#qe-name").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "qe-save":
            self.action_save()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#qe-text").focus()

    def action_save(self) -> None:
        self._save(self.query_one("#qe-name", Input).value, self.query_one(TextArea).text)

    @screen_work(exclusive=True, group="quick-reply-save")
    async def _save(self, name: str, text: str) -> None:
        try:
            if self.reply is None:
                saved = await self.backend.add_quick_reply(name, text)
            else:
                saved = await self.backend.edit_quick_reply(self.reply.name, name, text)
        except (ConsoleError, ValueError) as exc:
            if self.is_attached:
                self._refused(str(exc))
            return
        self.dismiss(saved)

    def _refused(self, message: str) -> None:
        self.error_text = message
        error = self.query_one("#qe-error", Label)
        error.update(Content(f"Not saved: {escape_log(message)}"))
        error.display = True

    def action_cancel(self) -> None:
        self.dismiss(None)

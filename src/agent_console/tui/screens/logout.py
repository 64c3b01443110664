"""The logout warning (R6): every ongoing session that logging out will end, before it ends.

The list, the warning and the CSAT note are the service's ``logout_preview``; confirm ends
the sessions through the same end core as End Chat (R1/R9/R12 effects in the service), cancel
changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from ...domain.text import one_line
from ..keymap import bound_key, with_key
from ..widgets.footer import Footer
from .offline_preview import session_line

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import LogoutPreview


class LogoutScreen(ModalScreen[bool]):
    """Dismisses with True (log out, ending the listed sessions) or False (change nothing)."""

    CSS_PATH = "logout.tcss"
    HELP = (
        "Before logging out of Omni: every ongoing session that will end (R6), and whether "
        "customers get a CSAT survey (R9). Cancel changes nothing."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "y", "confirm", "Log out", id="logout-confirm", tooltip="End the sessions and log out"
        ),
        Binding("n,escape", "cancel", "Cancel", id="logout-cancel", tooltip="Change nothing"),
    ]

    def __init__(self, preview: LogoutPreview, *, end_line: str = "") -> None:
        super().__init__(id="logout-warning")
        self.preview = preview
        self.end_line = end_line

    def compose(self) -> ComposeResult:
        preview = self.preview
        with Vertical(id="logout-box"):
            yield Label(Content("Log out of Omni?"), id="logout-title")
            yield Label(Content(one_line(preview.warning, 200)), id="logout-summary")
            if preview.sessions:
                with VerticalScroll(id="logout-sessions"):
                    for row in preview.sessions:
                        yield Label(
                            session_line(row.id, row),
                            id=f"logout-session-{row.id}",
                            classes="logout-session",
                        )
                seen = (
                    Content.assemble(
                        "Each customer sees ", (f"“{one_line(self.end_line, 120)}”", "italic"), "; "
                    )
                    if self.end_line
                    else Content("")
                )
                yield Label(
                    Content.assemble(seen, one_line(preview.csat, 120), "."), id="logout-csat"
                )
            with Horizontal(id="logout-buttons"):
                yield Button(
                    with_key("Log out", bound_key(self, "logout-confirm")),
                    id="logout-go",
                    variant="error",
                )
                yield Button(with_key("Cancel", bound_key(self, "logout-cancel")), id="logout-stay")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#logout-stay", Button).focus()

    @property
    def session_texts(self) -> list[str]:
        return [str(label.content) for label in self.query(".logout-session").results(Label)]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "logout-go")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

"""A yes/no question with the facts that make it worth asking (e.g. going Offline)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from ..keymap import bound_key, with_key
from ..widgets.footer import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True (confirmed) or False (cancelled)."""

    CSS_PATH = "confirm.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Confirm", id="confirm-yes", tooltip="Go ahead"),
        Binding("n,escape", "cancel", "Cancel", id="confirm-no", tooltip="Change nothing"),
    ]

    def __init__(
        self,
        title: str,
        lines: Sequence[Content],
        *,
        confirm: str = "Confirm",
        cancel: str = "Cancel",
    ) -> None:
        super().__init__(id="confirm-screen")
        self.title_text = title
        self.fact_lines = list(lines)
        self.confirm_label = confirm
        self.cancel_label = cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(Content(self.title_text), id="confirm-title")
            with VerticalScroll(id="confirm-lines"):
                for line in self.fact_lines:
                    yield Label(line, classes="confirm-line")
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    with_key(self.confirm_label, bound_key(self, "confirm-yes")),
                    id="confirm",
                    variant="warning",
                )
                yield Button(
                    with_key(self.cancel_label, bound_key(self, "confirm-no")), id="cancel"
                )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

"""The console could not start (database unusable, unknown agent...): say why, offer to quit."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label

from ...domain.text import escape_log
from ..widgets.footer import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult


class ErrorScreen(Screen[None]):
    CSS_PATH = "error.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape", "app.quit", "Quit", id="error-quit", tooltip="Leave the console"),
    ]

    def __init__(self, title: str, message: str, hint: str = "") -> None:
        super().__init__(id="error-screen")
        self.title_text = title
        self.message = message
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical(id="error-box"):
            yield Label(Content(self.title_text), id="error-title")
            yield Label(Content(escape_log(self.message)), id="error-message")
            if self.hint:
                yield Label(Content(self.hint), id="error-hint")
        yield Footer()

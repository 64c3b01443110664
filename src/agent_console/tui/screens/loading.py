"""What shows while the database opens (the app does the opening, in a worker)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Center, Middle
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label, LoadingIndicator

from ...domain.text import one_line

if TYPE_CHECKING:
    from textual.app import ComposeResult


class LoadingScreen(Screen[None]):
    CSS_PATH = "loading.tcss"

    def __init__(self, agent: str | None) -> None:
        super().__init__(id="loading-screen")
        self._agent = agent

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield LoadingIndicator(id="loading-indicator")
            who = one_line(self._agent, 40) if self._agent else "the console"
            yield Label(
                Content.from_markup("Opening the database for [b]$who[/b]…", who=who),
                id="loading-label",
            )

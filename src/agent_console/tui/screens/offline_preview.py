"""Going Offline (R5): what will happen to each of the agent's sessions, before it happens.

The effects are the service's dry run (``set_presence(..., dry_run=True)``): under tab-based
capacity an Active session goes back to Waiting and is routed to another rep; under
status-based capacity it stays with the agent. Confirm applies it; cancel changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from ...domain.text import one_line
from ...domain.vocab import session_label
from ...services.wording import summarize_effects
from ..keymap import bound_key, with_key
from ..widgets.footer import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import PresenceEffect, SessionRow


def session_line(session_id: int, row: SessionRow | None) -> Content:
    """``S-12  Alice · Enhanced WhatsApp · Active`` (customer text kept literal)."""
    if row is None:
        return Content.styled(session_label(session_id), "bold")
    return Content.assemble(
        (row.label, "bold"),
        "  ",
        one_line(row.customer, 30),
        (" · ", "$foreground-muted"),
        one_line(row.channel_name, 40),
        (" · ", "$foreground-muted"),
        row.status,
    )


def effect_summary(effects: Sequence[PresenceEffect]) -> str:
    """``5 sessions: 1 goes back to Waiting …; 4 stay Active with you …`` (the service says
    it, verbs agreeing with the counts)."""
    return summarize_effects(effects)


class OfflinePreviewScreen(ModalScreen[bool]):
    """Dismisses with True (go Offline) or False (change nothing)."""

    CSS_PATH = "offline_preview.tcss"
    HELP = (
        "Before going Offline: what happens to each of your sessions (R5). Tab-based sessions "
        "go back to Waiting and are routed to another rep; status-based ones stay with you."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Go Offline", id="offline-confirm", tooltip="Apply the changes"),
        Binding("n,escape", "cancel", "Cancel", id="offline-cancel", tooltip="Change nothing"),
    ]

    def __init__(
        self, effects: Sequence[PresenceEffect], rows: Mapping[int, SessionRow] | None = None
    ) -> None:
        super().__init__(id="offline-preview")
        self.effects = list(effects)
        self.rows = dict(rows or {})

    def compose(self) -> ComposeResult:
        with Vertical(id="offline-box"):
            yield Label(Content("Go Offline?"), id="offline-title")
            yield Label(Content(effect_summary(self.effects)), id="offline-summary")
            with VerticalScroll(id="offline-effects"):
                for effect in self.effects:
                    yield Label(
                        Content.assemble(
                            session_line(effect.session_id, self.rows.get(effect.session_id)),
                            "\n  → ",
                            effect.effect,
                        ),
                        id=f"offline-effect-{effect.session_id}",
                        classes="offline-effect",
                    )
            with Horizontal(id="offline-buttons"):
                yield Button(
                    with_key("Go Offline", bound_key(self, "offline-confirm")),
                    id="offline-go",
                    variant="warning",
                )
                yield Button(
                    with_key("Cancel", bound_key(self, "offline-cancel")), id="offline-stay"
                )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#offline-stay", Button).focus()

    @property
    def effect_texts(self) -> list[str]:
        """The lines as shown (for tests and the tour)."""
        return [str(label.content) for label in self.query(".offline-effect").results(Label)]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "offline-go")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

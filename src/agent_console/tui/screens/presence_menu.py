"""The presence menu: Online, Busy, Offline or Log out (opened from the status bar or a key).

It only asks; the console shows what going Offline or logging out would do before anything
changes (the Offline preview and the logout warning), and the services decide it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.events import Click
from textual.geometry import Offset
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ..keymap import bound_key
from ..widgets.footer import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult

LOG_OUT = "Log out"

#: (choice, what it means for the agent) in menu order.
CHOICES: tuple[tuple[str, str], ...] = (
    ("Online", "available: new work is routed to you"),
    ("Busy", "logged in; no new work is routed"),
    ("Offline", "shows what happens to your sessions first"),
    (LOG_OUT, "ends every ongoing session (listed first)"),
)
#: The binding that chooses each choice (its key is shown in front of it).
CHOICE_BINDINGS = {
    "Online": "presence-online",
    "Busy": "presence-busy",
    "Offline": "presence-offline",
    LOG_OUT: "presence-logout",
}
MENU_WIDTH = 52


def choice_prompt(
    choice: str, meaning: str, current: bool, key: str = "", width: int = 0
) -> Content:
    """``o ● Online (now)`` over its meaning: the key that chooses it, then the choice."""
    mark = "●" if current else " "
    pad = width + 1 if width else 0
    return Content.assemble(
        (key.ljust(width) + " " if width else "", "bold $text-accent"),
        (f"{mark} ", "$accent"),
        (choice, "bold"),
        (" (now)" if current else "", "$foreground-muted"),
        "\n  " + " " * pad,
        (meaning, "$foreground-muted"),
    )


class PresenceMenu(ModalScreen[str | None]):
    """Choose Online, Busy, Offline or Log out; dismisses with the choice or None."""

    CSS_PATH = "presence_menu.tcss"
    HELP = "Change your Omni presence or log out. Offline and Log out show their effects first."
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "dismiss_menu", "Close", id="presence-menu-close", tooltip="Change nothing"
        ),
        Binding("o", "choose('Online')", "Online", id="presence-online", tooltip="Go Online"),
        Binding("b", "choose('Busy')", "Busy", id="presence-busy", tooltip="Go Busy"),
        Binding(
            "f",
            "choose('Offline')",
            "Offline",
            id="presence-offline",
            tooltip="Go Offline (shows what happens to your sessions first)",
        ),
        Binding(
            "l",
            "choose('Log out')",
            "Log out",
            id="presence-logout",
            tooltip="Log out of Omni (lists the sessions that will end first)",
        ),
    ]

    def __init__(
        self, current: str, *, logged_in: bool = True, anchor: Offset | None = None
    ) -> None:
        super().__init__(id="presence-menu")
        self.current = current if logged_in else LOG_OUT
        self.drop_at = anchor

    def compose(self) -> ComposeResult:
        keys = {choice: bound_key(self, CHOICE_BINDINGS[choice]) for choice, _ in CHOICES}
        width = max(len(key) for key in keys.values())
        with Vertical(id="presence-menu-box"):
            yield Label(Content("Presence"), id="presence-menu-title")
            yield OptionList(
                *(
                    Option(
                        choice_prompt(choice, meaning, choice == self.current, keys[choice], width),
                        id=choice,
                    )
                    for choice, meaning in CHOICES
                ),
                id="presence-options",
            )
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one("#presence-options", OptionList)
        ids = [choice for choice, _ in CHOICES]
        options.highlighted = ids.index(self.current) if self.current in ids else 0
        options.focus()
        if self.drop_at is None:
            self.add_class("-centered")
        else:
            # Drop down under the presence indicator, kept on screen.
            x = max(0, min(self.drop_at.x, self.size.width - MENU_WIDTH - 1))
            self.query_one("#presence-menu-box").styles.offset = (x, self.drop_at.y + 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_dismiss_menu(self) -> None:
        self.dismiss(None)

    def on_click(self, event: Click) -> None:
        # A click outside the box closes the menu, as a dropdown does.
        if event.widget is self:
            self.dismiss(None)

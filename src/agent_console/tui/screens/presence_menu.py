"""The presence menu: Online, Busy (with an away reason or none), Offline or Log out (opened
from the status bar or a key).

The away reasons (the deployment's ``presence.away_reasons``) are one-line choices under Busy:
``b`` is Busy with no reason, the arrows and enter (or a click) choose "Away: Lunch". The
current choice says how long the agent has been in it.

It only asks; the console shows what going Offline or logging out would do before anything
changes (the Offline preview and the logout warning), and the services decide it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.events import Click
from textual.geometry import Offset
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ...domain.presence import presence_label, time_in_status
from ...domain.text import one_line
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
#: The option id of an away reason: this prefix and the reason's place in the list.
AWAY = "away-"


@dataclass(frozen=True)
class PresenceChoice:
    """What the menu was closed with: a presence (or Log out), and for Busy the reason."""

    choice: str
    reason: str | None = None


def now_text(spent: str) -> str:
    """`` (now)``, or `` (now · 12m)`` when the time in the presence is known."""
    return f" (now · {spent})" if spent else " (now)"


def choice_prompt(
    choice: str, meaning: str, current: bool, key: str = "", width: int = 0, spent: str = ""
) -> Content:
    """``o ● Online (now · 12m)`` over its meaning: the key that chooses it, then the choice."""
    mark = "●" if current else " "
    pad = width + 1 if width else 0
    return Content.assemble(
        (key.ljust(width) + " " if width else "", "bold $text-accent"),
        (f"{mark} ", "$accent"),
        (choice, "bold"),
        (now_text(spent) if current else "", "$foreground-muted"),
        "\n  " + " " * pad,
        (meaning, "$foreground-muted"),
    )


def reason_prompt(reason: str, current: bool, width: int = 0, spent: str = "") -> Content:
    """``    ● Away: Lunch (now · 3m)``: one line, under Busy."""
    pad = width + 1 if width else 0
    return Content.assemble(
        " " * (pad + 2),
        ("● " if current else "  ", "$accent"),
        presence_label("Busy", one_line(reason, 30)),
        (now_text(spent) if current else "", "$foreground-muted"),
    )


class PresenceMenu(ModalScreen[PresenceChoice | None]):
    """Choose Online, Busy (with an away reason or none), Offline or Log out; dismisses with
    the choice or None."""

    CSS_PATH = "presence_menu.tcss"
    HELP = (
        "Change your Omni presence or log out. Busy may have an away reason (Break, Lunch...: "
        "choose it under Busy). Offline and Log out show their effects first."
    )
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
        self,
        current: str,
        *,
        logged_in: bool = True,
        anchor: Offset | None = None,
        reasons: Sequence[str] = (),
        reason: str | None = None,
        since: datetime | None = None,
        now: datetime | None = None,
    ) -> None:
        super().__init__(id="presence-menu")
        self.current = current if logged_in else LOG_OUT
        self.drop_at = anchor
        self.reasons = tuple(reasons)
        #: The option id of what the agent is now ("Busy", "away-1", "Log out"...).
        self.current_id = self.current
        if self.current == "Busy" and reason in self.reasons:
            self.current_id = f"{AWAY}{self.reasons.index(reason)}"
        self.spent = time_in_status(now - since) if since is not None and now else ""

    def _options(self, keys: dict[str, str], width: int) -> list[Option]:
        out = []
        for choice, meaning in CHOICES:
            current = choice == self.current_id
            spent = self.spent if current else ""
            prompt = choice_prompt(choice, meaning, current, keys[choice], width, spent)
            out.append(Option(prompt, id=choice))
            if choice == "Busy":
                for i, reason in enumerate(self.reasons):
                    current = f"{AWAY}{i}" == self.current_id
                    prompt = reason_prompt(reason, current, width, self.spent if current else "")
                    out.append(Option(prompt, id=f"{AWAY}{i}"))
        return out

    def compose(self) -> ComposeResult:
        keys = {choice: bound_key(self, CHOICE_BINDINGS[choice]) for choice, _ in CHOICES}
        width = max(len(key) for key in keys.values())
        with Vertical(id="presence-menu-box"):
            yield Label(Content("Presence"), id="presence-menu-title")
            yield OptionList(*self._options(keys, width), id="presence-options")
        yield Footer()

    def on_mount(self) -> None:
        options = self.query_one("#presence-options", OptionList)
        try:
            options.highlighted = options.get_option_index(self.current_id)
        except LookupError:
            options.highlighted = 0
        options.focus()
        if self.drop_at is None:
            self.add_class("-centered")
        else:
            # Drop down under the presence indicator, kept on screen.
            x = max(0, min(self.drop_at.x, self.size.width - MENU_WIDTH - 1))
            self.query_one("#presence-menu-box").styles.offset = (x, self.drop_at.y + 1)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = event.option.id or ""
        if chosen.startswith(AWAY):
            self.dismiss(PresenceChoice("Busy", self.reasons[int(chosen.removeprefix(AWAY))]))
        else:
            self.dismiss(PresenceChoice(chosen))

    def action_choose(self, choice: str) -> None:
        self.dismiss(PresenceChoice(choice))

    def action_dismiss_menu(self) -> None:
        self.dismiss(None)

    def on_click(self, event: Click) -> None:
        # A click outside the box closes the menu, as a dropdown does.
        if event.widget is self:
            self.dismiss(None)

"""The capacity ledger: what uses the agent's capacity, how much, the rule, and what frees it.

Rows and reasons are the service's (``capacity.ledger``); the panel adds the key of the action
that gives the units back. Enter opens the chosen session in the console.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ...domain.capacity import consumes
from ...domain.text import one_line
from ...domain.vocab import CapacityModel, SessionStatus, session_label
from ..keymap import bound_key
from ..widgets.footer import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import Ledger, LedgerItem, SessionRow

EMPTY = "Nothing uses your capacity right now."


def item_model(item: LedgerItem, row: SessionRow | None) -> CapacityModel:
    if row is not None:
        return CapacityModel(row.capacity_model)
    for model in CapacityModel:
        if item.why.startswith(model.value):
            return model
    return CapacityModel.TAB_BASED


def frees_it(item: LedgerItem, model: CapacityModel, keys: Mapping[str, str]) -> str:
    """The action (and its key) that gives the item's units back."""
    end = f"{keys['end_chat']} " if keys.get("end_chat") else ""
    close = f"{keys['close_tab']} " if keys.get("close_tab") else ""
    if item.status == SessionStatus.ENDED.value:
        return f"{close}Close tab"
    if consumes(model, SessionStatus.ENDED, tab_open=True, owned=True):
        return f"{end}End Chat, then {close}Close tab"
    return f"{end}End Chat"


def item_prompt(item: LedgerItem, row: SessionRow | None, keys: Mapping[str, str]) -> Content:
    units = f"{item.units} unit{'s' if item.units != 1 else ''}"
    customer = one_line(row.customer, 24) if row is not None else ""
    channel = one_line(row.channel_name, 36) if row is not None else item.channel
    model = item_model(item, row)
    return Content.assemble(
        (session_label(item.session_id), "bold"),
        "  ",
        customer,
        (" · ", "$foreground-muted"),
        channel,
        (" · ", "$foreground-muted"),
        item.status,
        (" · ", "$foreground-muted"),
        (units, "bold"),
        "\n  ",
        (one_line(item.why, 160), "$foreground-muted"),
        "\n  frees it: ",
        (frees_it(item, model, keys), "bold $accent"),
    )


class LedgerScreen(ModalScreen[int | None]):
    """Dismisses with the session id to open (enter) or None (escape)."""

    CSS_PATH = "ledger.tcss"
    HELP = (
        "The capacity ledger: each session that uses your capacity, its units, the capacity "
        "rule that makes it count, and the key that frees it. Enter opens the session."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="ledger-close", tooltip="Back to the console"),
    ]

    def __init__(
        self,
        ledger: Ledger,
        rows: Mapping[int, SessionRow] | None = None,
        *,
        keys: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(id="ledger-panel")
        self.ledger = ledger
        self.rows = dict(rows or {})
        self.keys = dict(keys or {})

    def compose(self) -> ComposeResult:
        ledger = self.ledger
        with Vertical(id="ledger-box"):
            yield Label(
                Content.assemble(
                    ("Capacity ledger", "bold"),
                    f" — {one_line(ledger.agent, 40)} uses {ledger.used} of {ledger.capacity} "
                    f"units ({max(0, ledger.capacity - ledger.used)} free)",
                ),
                id="ledger-title",
            )
            if ledger.items:
                yield OptionList(
                    *(
                        Option(
                            item_prompt(item, self.rows.get(item.session_id), self.keys),
                            id=str(item.session_id),
                        )
                        for item in ledger.items
                    ),
                    id="ledger-items",
                )
            else:
                yield Label(Content(EMPTY), id="ledger-empty")
            close = bound_key(self, "ledger-close")
            yield Label(Content(f"enter opens the session · {close} closes"), id="ledger-hint")
        yield Footer()

    def on_mount(self) -> None:
        for options in self.query("#ledger-items").results(OptionList):
            options.focus()

    @property
    def item_texts(self) -> list[str]:
        options = self.query("#ledger-items").results(OptionList)
        return [
            str(o.get_option_at_index(i).prompt) for o in options for i in range(o.option_count)
        ]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(int(event.option.id))

    def action_close(self) -> None:
        self.dismiss(None)

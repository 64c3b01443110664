"""A list row's action menu (R3, R4): the session's facts and what can be done with it.

**End Session** is an item only for standard-channel sessions; where a rule forbids it (an
Inactive session under status-based capacity, a missing permission, already ended...) it is
shown unavailable with the reason. **Transfer…** (issue 11) opens the transfer picker; it too
is shown unavailable with the reason where it cannot be used (not the owner, not Active). The
answers come from ``listing.row_menu`` (the services and the domain), never from this screen.
Dismisses with the chosen item's id, or None.

No single accidental key ends a chat: the item highlighted when the menu opens is never End
Session (enter, enter on a row selects it), and End Session asks first, with "Cancel" as the
answer enter gives; y ends the session.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ...domain.ending import ended_by
from ...domain.errors import ConsoleError
from ...domain.text import one_line
from ...domain.vocab import ActorKind, Surface, session_label
from ..screen_work import screen_work
from .confirm import ConfirmScreen

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import RowMenu, SessionRow
    from ..backend import ConsoleBackend

END = "end"
TOGGLE = "toggle"
CLOSE = "close"
#: Opens the transfer picker (to another agent, or back to the queue).
TRANSFER = "transfer"
#: Items that change things for the customer: never highlighted first, and they ask first.
DESTRUCTIVE = frozenset({END})


def menu_options(menu: RowMenu, selected: bool) -> list[Option]:
    options: list[Option] = []
    end = menu.end_session
    if end is not None:
        if end.allowed:
            options.append(Option(Content("End Session"), id=END))
        else:
            options.append(
                Option(
                    Content.assemble("End Session — unavailable: ", (end.reason, "italic")),
                    id=END,
                    disabled=True,
                )
            )
    options.append(Option(Content("Unselect row" if selected else "Select row"), id=TOGGLE))
    owner = menu.session.owner
    if owner:
        options.append(
            Option(Content(f"Sessions owned by {one_line(owner, 30)}"), id=f"owner:{owner}")
        )
    move = menu.transfer
    if move is not None and menu.session.status != "Ended":
        if move.allowed:
            options.append(Option(Content("Transfer…"), id=TRANSFER))
        else:
            options.append(
                Option(
                    Content.assemble("Transfer — unavailable: ", (move.reason, "italic")),
                    id=TRANSFER,
                    disabled=True,
                )
            )
    options.append(Option(Content("Close"), id=CLOSE))
    return options


def default_option(options: list[Option]) -> int | None:
    """The item highlighted when the menu opens: the first enabled one that ends nothing."""
    return next(
        (i for i, o in enumerate(options) if not o.disabled and o.id not in DESTRUCTIVE), None
    )


def end_question(row: SessionRow) -> tuple[str, list[Content]]:
    """The title and lines of the question End Session asks."""
    return (
        f"End {row.label}?",
        [
            Content.assemble(
                (one_line(row.customer, 40), "bold"),
                f" · {row.channel_name} · {row.status} · owner {one_line(row.owner or 'none', 30)}",
            ),
            Content("The chat ends for the customer now and cannot be reopened."),
        ],
    )


class RowMenuScreen(ModalScreen["str | None"]):
    CSS_PATH = "row_menu.tcss"
    HELP_TITLE = "Row menu of the Messaging Sessions list"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="row-menu-close"),
    ]

    def __init__(
        self,
        backend: ConsoleBackend,
        session_id: int,
        *,
        selected: bool = False,
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__(id="row-menu-screen")
        self.backend = backend
        self.session_id = session_id
        self.selected = selected
        self._tz = tz
        self.menu: RowMenu | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="row-menu-box"):
            yield Label(Content(session_label(self.session_id)), id="row-menu-title")
            yield Static("", id="row-menu-facts")
            yield OptionList(id="row-menu-options")
            yield Static("", id="row-menu-note")

    def on_mount(self) -> None:
        self.query_one("#row-menu-box").loading = True
        self._load()

    @screen_work(exclusive=True, group="row-menu")
    async def _load(self) -> None:
        try:
            menu = await self.backend.row_menu(self.session_id)
        except ConsoleError as exc:
            self.notify(str(exc), severity="error", markup=False)
            self.dismiss(None)
            return
        self.menu = menu
        row = menu.session
        self.query_one("#row-menu-title", Label).update(
            Content.assemble((row.label, "bold"), "  ", one_line(row.customer, 40))
        )
        facts = [
            f"{row.channel_name} ({row.channel_kind}) · {row.status} · "
            f"owner {row.owner or 'none'} · {row.capacity_model}",
            f"created {self._when(row.created_at)}",
        ]
        if menu.end is not None:
            facts.append(
                f"ended by {ended_by(ActorKind(menu.end.actor_kind), menu.end.actor)} "
                f"on {self._when(menu.end.at)} from the {Surface(menu.end.surface).label}"
            )
        self.query_one("#row-menu-facts", Static).update(Content("\n".join(facts)))
        options = self.query_one(OptionList)
        options.add_options(menu_options(menu, self.selected))
        note = menu.absent_reason
        if menu.end_session is not None and not menu.end_session.allowed:
            note = f"End Session unavailable: {menu.end_session.reason}"
        self.query_one("#row-menu-note", Static).update(Content(note))
        self.query_one("#row-menu-box").loading = False
        options.focus()
        options.highlighted = default_option(list(options.options))

    def _when(self, at: datetime) -> str:
        local = at.astimezone(self._tz) if self._tz is not None else at.astimezone()
        return local.strftime("%Y-%m-%d %H:%M")

    @property
    def option_texts(self) -> list[tuple[str, bool]]:
        """(text, enabled) of every item (for tests and the tour)."""
        options = self.query_one(OptionList)
        return [(str(o.prompt), not o.disabled) for o in options.options]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        choice = event.option.id
        if choice in DESTRUCTIVE:
            if self.menu is not None:  # the items exist only once the menu has loaded
                title, lines = end_question(self.menu.session)
                self.app.push_screen(
                    ConfirmScreen(title, lines, confirm="End Session"),
                    callback=self._end_confirmed,
                )
            return
        self.dismiss(None if choice == CLOSE else choice)

    def _end_confirmed(self, confirmed: bool | None) -> None:
        if confirmed:
            self.dismiss(END)

    def action_close(self) -> None:
        self.dismiss(None)

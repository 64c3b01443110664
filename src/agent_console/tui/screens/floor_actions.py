"""What a supervisor does to an agent from the board (a part of
:class:`.floor_board.FloorBoardScreen`), and the small modals it asks with.

Every answer is the services': the R6 warning is ``logout_preview`` of that agent, the
presence change and the logout are the services' with the supervisor named (``by``) and
their note, and a transfer goes through the same picker as the console's. A logout asks
for a reason (the agent sees it) and confirms before anything ends.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from ...domain.floor import FloorState
from ...domain.text import escape_log, one_line, plural
from ...domain.vocab import Presence, SessionStatus, session_label
from ...services.listing import SessionFilter, Sort
from ...services.views import EndOutcome
from ...services.wording import presence_outcome, transfer_outcome
from ..notify_errors import notified_errors
from ..screen_work import screen_work
from ..widgets.footer import Footer
from .offline_preview import session_line

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.views import FloorAgent, SessionRow, TransferResult
    from ..backend import ConsoleBackend

SESSIONS = "sessions"
LOGOUT = "logout"
TRANSFER = "transfer"
PRESENCE = "presence-"
#: The longest note a supervisor may give (the services check it too).
NOTE_MAX = 200


def menu_options(agent: FloorAgent) -> list[Option]:
    """The actions on one agent; a presence they already have is not offered."""
    live = agent.active + agent.inactive
    options = [Option(Content(f"Their sessions ({plural(live, 'live session')})"), id=SESSIONS)]
    for target in Presence:
        if agent.state is not FloorState.LOGGED_OUT and agent.presence is target:
            continue
        options.append(Option(Content(f"Set presence: {target.value}…"), id=PRESENCE + target))
    options.append(
        Option(Content(f"Transfer one of their sessions… ({agent.active} Active)"), id=TRANSFER,
               disabled=agent.active == 0)
    )  # fmt: skip
    if agent.state is not FloorState.LOGGED_OUT:
        options.append(Option(Content("Log out…"), id=LOGOUT))
    return options


class AgentMenuScreen(ModalScreen[str | None]):
    """Dismisses with the chosen action's id, or None."""

    CSS_PATH = "floor_board.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="floor-menu-close"),
    ]

    def __init__(self, agent: FloorAgent) -> None:
        super().__init__(id="floor-agent-menu", classes="floor-modal")
        self.agent = agent

    def compose(self) -> ComposeResult:
        with Vertical(classes="floor-box"):
            yield Label(Content.assemble((one_line(self.agent.name, 40), "bold"),
                                         f" — {self.agent.state.value}"),
                        classes="floor-box-title")  # fmt: skip
            yield OptionList(*menu_options(self.agent), id="floor-menu-options")
        yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)


class SupervisorNoteScreen(ModalScreen[str | None]):
    """A supervisor's confirmation with a note: dismisses with the note ("" when none was
    given and none is required), or None (change nothing)."""

    CSS_PATH = "floor_board.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="floor-note-cancel"),
    ]

    def __init__(
        self,
        title: str,
        summary: str,
        *,
        go: str,
        required: bool,
        sessions: Sequence[SessionRow] = (),
        danger: bool = False,
        asks: bool = True,
        footnote: str = "",
    ) -> None:
        """``asks``: whether there is a note to give (not for one's own presence)."""
        super().__init__(id="floor-note", classes="floor-modal")
        self.title_text = title
        self.summary = summary
        self.go = go
        self.required = required
        self.sessions = list(sessions)
        self.danger = danger
        self.asks = asks
        self.footnote = footnote

    def compose(self) -> ComposeResult:
        with Vertical(classes="floor-box" + (" -danger" if self.danger else "")):
            yield Label(Content(one_line(self.title_text, 120)), classes="floor-box-title")
            yield Label(Content(one_line(self.summary, 300)), id="floor-note-summary")
            if self.sessions:
                with VerticalScroll(id="floor-note-sessions"):
                    for row in self.sessions:
                        yield Label(session_line(row.id, row), classes="floor-note-session")
            if self.footnote:
                yield Label(Content(one_line(self.footnote, 200) + "."), id="floor-note-foot")
            if self.asks:
                hint = "Reason (they see it; required):" if self.required else "Note (they see it):"
                yield Label(Content(hint), id="floor-note-hint")
                yield Input(max_length=NOTE_MAX, id="floor-note-text")
            yield Label(Content(""), id="floor-note-error")
            with Horizontal(id="floor-note-buttons"):
                yield Button(self.go, id="floor-note-go",
                             variant="error" if self.danger else "primary")  # fmt: skip
                yield Button("Cancel", id="floor-note-stay")
        yield Footer()

    def on_mount(self) -> None:
        for box in self.query("#floor-note-text").results(Input):
            box.focus()
        if not self.asks:
            self.query_one("#floor-note-stay", Button).focus()

    def _submit(self) -> None:
        boxes = self.query("#floor-note-text").results(Input)
        note = next((b.value.strip() for b in boxes), "")
        if self.required and not note:
            self.query_one("#floor-note-error", Label).update(
                Content("Give a reason: the agent sees it.")
            )
            return
        self.dismiss(note)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "floor-note-go":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SessionPickScreen(ModalScreen[int | None]):
    """One of an agent's Active sessions, to transfer: dismisses with its id, or None."""

    CSS_PATH = "floor_board.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="floor-pick-close"),
    ]

    def __init__(self, agent: str, rows: Sequence[SessionRow]) -> None:
        super().__init__(id="floor-session-pick", classes="floor-modal")
        self.agent = agent
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        with Vertical(classes="floor-box"):
            yield Label(
                Content(f"Transfer which of {one_line(self.agent, 40)}'s Active sessions?"),
                classes="floor-box-title",
            )
            yield OptionList(
                *(Option(session_line(r.id, r), id=str(r.id)) for r in self.rows),
                id="floor-pick-options",
            )
        yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(int(event.option.id))

    def action_close(self) -> None:
        self.dismiss(None)


if TYPE_CHECKING:
    from textual.screen import Screen

    from ..refresh_loop import RefreshLoop

    class _Host(Screen[None]):
        """What the actions use of the board (for the type checker only)."""

        backend: ConsoleBackend
        _refresh: RefreshLoop

        @property
        def highlighted(self) -> FloorAgent | None: ...
else:
    _Host = object


class FloorActions(_Host):
    """The board's actions on the highlighted agent (a part of FloorBoardScreen)."""

    def _other(self, agent: FloorAgent) -> bool:
        """Someone else than the supervisor: a note goes with what is done to them."""
        return agent.name != self.backend.agent

    def action_agent_menu(self) -> None:
        agent = self.highlighted
        if agent is not None:
            self.app.push_screen(AgentMenuScreen(agent), lambda done: self._chosen(agent, done))

    def _chosen(self, agent: FloorAgent, choice: str | None) -> None:
        if choice == SESSIONS:
            self._open_sessions(agent)
        elif choice == LOGOUT:
            self._log_out(agent)
        elif choice == TRANSFER:
            self._transfer(agent)
        elif choice is not None and choice.startswith(PRESENCE):
            self._set_presence(agent, Presence(choice.removeprefix(PRESENCE)))

    def action_agent_sessions(self) -> None:
        if (agent := self.highlighted) is not None:
            self._open_sessions(agent)

    def action_agent_presence(self) -> None:
        self.action_agent_menu()

    def action_agent_logout(self) -> None:
        if (agent := self.highlighted) is not None and agent.state is not FloorState.LOGGED_OUT:
            self._log_out(agent)

    def action_agent_transfer(self) -> None:
        if (agent := self.highlighted) is not None:
            self._transfer(agent)

    def _open_sessions(self, agent: FloorAgent) -> None:
        from .sessions_list import open_sessions_list

        open_sessions_list(self.app, self.backend, owner=agent.name)

    @screen_work(group="floor-act", exclusive=True)
    async def _set_presence(self, agent: FloorAgent, target: Presence) -> None:
        summary = (
            "Tab-based Active sessions go back to the queue; status-based ones stay with them."
            if target is Presence.OFFLINE
            else "New work is routed to them."
            if target is Presence.ONLINE
            else "No new work is routed to them; their sessions stay with them."
        )
        note = await self.app.push_screen_wait(
            SupervisorNoteScreen(
                f"Set {agent.name} {target.value}?", summary, go=f"Set {target.value}",
                required=False, asks=self._other(agent),
            )
        )  # fmt: skip
        if note is None:
            return
        with notified_errors(self) as attempt:
            result = await self.backend.floor_set_presence(agent.name, target, note or None)
        if not attempt.failed:
            self.notify(escape_log(presence_outcome(result)), markup=False)
            self._refresh.request()

    @screen_work(group="floor-act", exclusive=True)
    async def _log_out(self, agent: FloorAgent) -> None:
        with notified_errors(self) as attempt:
            preview = await self.backend.floor_logout_preview(agent.name)
        if attempt.failed:
            return
        note = await self.app.push_screen_wait(
            SupervisorNoteScreen(
                f"Log {agent.name} out of Omni?", preview.warning, go="Log out",
                required=self._other(agent), sessions=preview.sessions, danger=True,
                asks=self._other(agent), footnote=preview.csat if preview.sessions else "",
            )
        )  # fmt: skip
        if note is None:
            return
        with notified_errors(self) as attempt:
            result = await self.backend.floor_logout(agent.name, note or None)
        if not attempt.failed:
            ended = sum(1 for r in result.results if r.result is EndOutcome.ENDED)
            self.notify(
                escape_log(
                    f"{result.agent} logged out: {plural(ended, 'session')} ended, "
                    f"{plural(result.tabs_closed, 'tab')} closed"
                ),
                markup=False,
            )
            self._refresh.request()

    @screen_work(group="floor-act", exclusive=True)
    async def _transfer(self, agent: FloorAgent) -> None:
        from .transfer_picker import TransferPickerScreen

        flt = SessionFilter(statuses=(SessionStatus.ACTIVE.value,), owner=agent.name)
        with notified_errors(self) as attempt:
            page = await self.backend.list_page(flt, Sort("created", descending=False), None, 200)
        if attempt.failed:
            return
        if not page.rows:
            self.notify(f"{agent.name} has no Active session to transfer.", markup=False)
            return
        chosen = await self.app.push_screen_wait(SessionPickScreen(agent.name, page.rows))
        if chosen is None:
            return
        row = next(r for r in page.rows if r.id == chosen)
        result: TransferResult | None = await self.app.push_screen_wait(
            TransferPickerScreen(self.backend, row.id, row.customer)
        )
        if result is not None:
            self.notify(escape_log(transfer_outcome(result)), markup=False)
            self._refresh.request()
        else:
            self.notify(f"{session_label(row.id)} was not transferred.", markup=False)

"""The console: status bar, the agent's session tabs, and the open conversation.

The screen owns what it shows (a :class:`Snapshot` from the backend) and turns the agent's
keys and clicks into service calls, each in a worker. It never decides a rule: End Chat and
Close tab are enabled exactly when ``show_session(...).actions`` says so, and the service
checks again when they are used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer

from ...domain.errors import ConsoleError
from ...domain.text import escape_log, one_line
from ...domain.vocab import Presence, session_label
from ..commands import OpenSessionProvider
from ..messages import (
    CloseTabPressed,
    DatabaseChanged,
    EndChatPressed,
    PresenceClicked,
    ReplySubmitted,
    SessionPicked,
)
from ..widgets.conversation import CLOSE_TAB, END_CHAT, ConversationPane, find_action
from ..widgets.session_list import SessionList
from ..widgets.status_bar import StatusBar
from .confirm import ConfirmScreen
from .sessions_list import SessionsListProvider, open_sessions_list

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.worker import Worker

    from ...services.views import AgentView, SessionDetail, SessionRow
    from ..backend import ConsoleBackend, Snapshot

PRESENCE_CYCLE = (Presence.ONLINE, Presence.BUSY, Presence.OFFLINE)


class ConsoleScreen(Screen[None]):
    CSS_PATH = "console.tcss"
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        OpenSessionProvider,
        SessionsListProvider,
    }
    AUTO_FOCUS = "#sessions"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: it must work while the composer (whose ctrl+e is "go to end") has focus.
        Binding(
            "ctrl+e",
            "end_chat",
            "End Chat",
            id="end-chat",
            priority=True,
            tooltip="End the open chat (the customer sees a system line)",
        ),
        Binding(
            "ctrl+t",
            "close_tab",
            "Close tab",
            id="close-tab",
            tooltip="Close an ended session's tab; under tab-based capacity this frees its units",
        ),
        Binding(
            "ctrl+o",
            "cycle_presence",
            "Presence",
            id="cycle-presence",
            tooltip="Change presence: Online, Busy, Offline",
        ),
        Binding(
            "ctrl+down",
            "next_session",
            "Next",
            id="next-session",
            tooltip="Open the next session in the list",
        ),
        Binding(
            "ctrl+up",
            "previous_session",
            "Previous",
            id="previous-session",
            tooltip="Open the previous session in the list",
        ),
        Binding(
            "f5", "refresh", "Refresh", id="refresh", show=False, tooltip="Reload from the database"
        ),
        Binding(
            "f3",
            "sessions_list",
            "Sessions",
            id="sessions-list",
            tooltip="The Messaging Sessions list: filters, multi-select, End Sessions",
        ),
    ]

    def __init__(self, backend: ConsoleBackend, *, tz: tzinfo | None = None) -> None:
        super().__init__(id="console-screen")
        self.backend = backend
        self._tz = tz
        self.agent_view: AgentView | None = None
        self.rows: list[SessionRow] = []
        self.detail: SessionDetail | None = None
        self.selected_id: int | None = None
        self._selected_index = 0
        self._loaded = False
        self._refresh_wanted = False
        self._refresher: Worker[None] | None = None
        self._focus_composer = False
        self._last_error: str | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Horizontal(id="body"):
            yield SessionList(id="sessions")
            yield ConversationPane(tz=self._tz, id="conversation")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#body").loading = True
        self.request_refresh()

    @property
    def loaded(self) -> bool:
        """Whether the first snapshot is on screen."""
        return self._loaded

    # ------------------------------------------------------------------ refreshing

    def request_refresh(self) -> None:
        """Reload what the screen shows; requests made while loading collapse into one more."""
        self._refresh_wanted = True
        if self._refresher is None or self._refresher.is_finished:
            self._refresher = self._refresh()

    # Not exclusive: cancelling a query half-way on every poll could starve the refresh on a
    # busy database; instead one worker loops while refreshes keep being asked for.
    @work(group="refresh")
    async def _refresh(self) -> None:
        while self._refresh_wanted:
            self._refresh_wanted = False
            try:
                snapshot = await self.backend.snapshot(self.selected_id)
            except ConsoleError as exc:
                self._report_once(str(exc))
                return
            self._last_error = None
            self._apply(snapshot)

    def _report_once(self, message: str) -> None:
        if message != self._last_error:
            self._last_error = message
            self.notify(escape_log(message), severity="error", markup=False)

    def _apply(self, snapshot: Snapshot) -> None:
        self.agent_view = snapshot.agent
        self.rows = snapshot.sessions
        ids = [row.id for row in self.rows]
        if self.selected_id not in ids:
            # The open session left the list (tab closed, requeued...): open its neighbour.
            if ids:
                self._selected_index = min(self._selected_index, len(ids) - 1)
                self.selected_id = ids[self._selected_index]
                self._refresh_wanted = True
            else:
                self.selected_id = None
        else:
            self._selected_index = ids.index(self.selected_id)
        detail = snapshot.detail
        self.detail = (
            detail if detail is not None and detail.session.id == self.selected_id else None
        )
        self._show_snapshot()

    def _show_snapshot(self) -> None:
        agent = self.agent_view
        if agent is not None:
            self.query_one(StatusBar).show(
                name=agent.name,
                presence=agent.presence,
                logged_in=agent.logged_in,
                used=agent.used,
                capacity=agent.capacity,
                key=self.key_for("cycle_presence"),
            )
        sessions = self.query_one(SessionList)
        sessions.border_title = f"My sessions ({len(self.rows)})"
        sessions.show_rows(self.rows, self.selected_id)
        if self.detail is not None or self.selected_id is None:
            pane = self.query_one(ConversationPane)
            pane.show(
                self.detail,
                keys={
                    "end_chat": self.key_for("end_chat"),
                    "close_tab": self.key_for("close_tab"),
                },
            )
            composer = pane.query_one("#composer")
            wants_focus = self._focus_composer or self.focused is None
            if wants_focus and self.detail is not None and not composer.disabled:
                self._focus_composer = False
                composer.focus()
        if not self._loaded and (self.selected_id is None or self.detail is not None):
            self._loaded = True
            self.query_one("#body").loading = False
        self.refresh_bindings()

    def on_database_changed(self, message: DatabaseChanged) -> None:
        self.request_refresh()

    def on_screen_resume(self) -> None:
        if self._loaded:
            self.request_refresh()

    def key_for(self, action: str) -> str:
        """The key bound to ``action`` on this screen (after the user's keymap), for display."""
        for active in self.active_bindings.values():
            if active.node is self and active.binding.action == action:
                return self.app.get_key_display(active.binding)
        for bindings in self._bindings.key_to_bindings.values():
            for binding in bindings:
                if binding.action == action:
                    return self.app.get_key_display(binding)
        return ""

    # ------------------------------------------------------------------ choosing sessions

    def open_session(self, session_id: int) -> None:
        """Open a session of the list (from the list, the palette or a key)."""
        self.selected_id = session_id
        self._focus_composer = True
        ids = [row.id for row in self.rows]
        if session_id in ids:
            self._selected_index = ids.index(session_id)
        self.query_one(SessionList).mark_selected(session_id)
        self.request_refresh()

    def on_session_picked(self, message: SessionPicked) -> None:
        self.open_session(message.session_id)

    def palette_sessions(self) -> Sequence[tuple[int, str, str, str]]:
        return [
            (row.id, row.label, row.customer, f"{row.channel_name} · {row.status}")
            for row in self.rows
        ]

    def _step(self, delta: int) -> None:
        if not self.rows:
            return
        ids = [row.id for row in self.rows]
        index = ids.index(self.selected_id) if self.selected_id in ids else -delta
        self.open_session(ids[(index + delta) % len(ids)])

    def action_next_session(self) -> None:
        self._step(1)

    def action_previous_session(self) -> None:
        self._step(-1)

    def action_refresh(self) -> None:
        self.request_refresh()

    def action_sessions_list(self) -> None:
        open_sessions_list(self.app, self.backend, tz=self._tz)

    # ------------------------------------------------------------------ what may run now

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Footer and keys follow the service's answers (None: shown, but disabled)."""
        detail = self.detail
        if action == "end_chat":
            if detail is None or detail.session.status == "Ended":
                return False
            end = find_action(detail, END_CHAT)
            return True if end is not None and end.allowed else None
        if action == "close_tab":
            if detail is None or detail.session.status != "Ended":
                return False
            close = find_action(detail, CLOSE_TAB)
            return True if close is not None and close.allowed else None
        if action in ("next_session", "previous_session"):
            return len(self.rows) > 1
        if action in ("cycle_presence", "set_presence"):
            return self.agent_view is not None
        return True

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The screen's actions for the command palette (only those usable right now)."""
        label = session_label(self.detail.session.id) if self.detail is not None else ""
        if self.check_action("end_chat", ()):
            yield SystemCommand("End Chat", f"End {label}", self.action_end_chat)
        if self.check_action("close_tab", ()):
            yield SystemCommand("Close tab", f"Close the tab of {label}", self.action_close_tab)
        if self.agent_view is not None:
            for target in PRESENCE_CYCLE:
                if target.value != self.agent_view.presence:
                    yield SystemCommand(
                        f"Presence: {target.value}",
                        f"Set your presence to {target.value}",
                        lambda target=target: self.action_set_presence(target.value),
                    )
        if self.check_action("next_session", ()):
            yield SystemCommand("Next session", "Open the next session", self.action_next_session)
            yield SystemCommand(
                "Previous session", "Open the previous session", self.action_previous_session
            )
        yield SystemCommand("Refresh", "Reload from the database", self.action_refresh)

    # ------------------------------------------------------------------ replying

    def on_reply_submitted(self, message: ReplySubmitted) -> None:
        self._send(message.session_id, message.text)

    @work(group="send")
    async def _send(self, session_id: int, text: str) -> None:
        try:
            await self.backend.send(session_id, text)
        except (ConsoleError, ValueError) as exc:
            self.notify(escape_log(str(exc)), severity="error", markup=False)
            self.query_one(ConversationPane).restore_draft(session_id, text)
        self.request_refresh()

    # ------------------------------------------------------------------ ending and tabs

    def action_end_chat(self) -> None:
        if self.detail is not None:
            self._end_chat(self.detail.session.id)

    def on_end_chat_pressed(self, message: EndChatPressed) -> None:
        self._end_chat(message.session_id)

    @work(group="end-chat")
    async def _end_chat(self, session_id: int) -> None:
        try:
            result = await self.backend.end_chat(session_id)
        except ConsoleError as exc:
            self.notify(escape_log(str(exc)), severity="error", markup=False)
        else:
            label = session_label(result.session_id)
            if result.result == "ended":
                self.notify(f"{label} {escape_log(result.reason)}", markup=False)
            else:
                self.notify(
                    f"{label} not ended: {escape_log(result.reason)}",
                    severity="warning",
                    markup=False,
                )
        self.request_refresh()

    def action_close_tab(self) -> None:
        if self.detail is not None:
            self._close_tab(self.detail.session.id)

    def on_close_tab_pressed(self, message: CloseTabPressed) -> None:
        self._close_tab(message.session_id)

    @work(group="close-tab")
    async def _close_tab(self, session_id: int) -> None:
        try:
            result = await self.backend.close_tab(session_id)
        except ConsoleError as exc:
            self.notify(escape_log(str(exc)), severity="error", markup=False)
        else:
            freed = (
                f"; {result.units_freed} unit(s) freed ({result.used}/{result.capacity} used)"
                if result.units_freed
                else ""
            )
            self.notify(f"Closed the tab of {session_label(result.session_id)}{freed}")
        self.request_refresh()

    # ------------------------------------------------------------------ presence

    def action_cycle_presence(self) -> None:
        if self.agent_view is None:
            return
        current = self.agent_view.presence
        values = [p.value for p in PRESENCE_CYCLE]
        index = values.index(current) if current in values else -1
        self.action_set_presence(values[(index + 1) % len(values)])

    def on_presence_clicked(self, message: PresenceClicked) -> None:
        self.action_cycle_presence()

    def action_set_presence(self, presence: str) -> None:
        self._change_presence(Presence(presence))

    @work(group="presence", exclusive=True)
    async def _change_presence(self, target: Presence) -> None:
        try:
            if target is Presence.OFFLINE:
                preview = await self.backend.presence_preview(target)
                if preview.effects:
                    customers = {row.id: row.customer for row in self.rows}
                    lines = [
                        Content.assemble(
                            (session_label(effect.session_id), "bold"),
                            " ",
                            one_line(customers.get(effect.session_id, ""), 30),
                            ": ",
                            effect.effect,
                        )
                        for effect in preview.effects
                    ]
                    confirmed = await self.app.push_screen_wait(
                        ConfirmScreen(
                            f"Go Offline? {len(lines)} session(s) are affected:",
                            lines,
                            confirm="Go Offline",
                        )
                    )
                    if not confirmed:
                        self.notify("Presence unchanged")
                        return
            result = await self.backend.set_presence(target)
        except ConsoleError as exc:
            self.notify(escape_log(str(exc)), severity="error", markup=False)
            return
        finally:
            self.request_refresh()
        affected = f" ({len(result.effects)} session(s) affected)" if result.effects else ""
        self.notify(f"You are {result.after}{affected}", markup=False)

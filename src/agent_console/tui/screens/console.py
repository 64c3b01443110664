"""The console: status bar, the agent's session tabs, and the open conversation.

The screen owns what it shows (a :class:`Snapshot` from the backend) and turns the agent's
keys and clicks into service calls, each in a worker. It never decides a rule: End Chat and
Close tab are enabled exactly when ``show_session(...).actions`` says so, and the service
checks again when they are used.

End Chat is not committed at once: the session waits a few seconds (:mod:`..pending_ends`,
on the console's clock) with an Undo bar, then the service ends it. Going Offline, logging
out and quitting commit the waiting ends first (the agent asked for them). At start, an End
Sessions this agent left unfinished (a quit, a crash) is offered for resuming.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.containers import Horizontal
from textual.content import Content
from textual.geometry import Offset
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import WorkerCancelled, WorkerFailed

from ...domain.ending import fmt_moment
from ...domain.errors import ConsoleError
from ...domain.needs import Alert, Glance, decide_alerts
from ...domain.text import escape_log, plural
from ...domain.vocab import Presence, session_label
from ...services.presence import presence_outcome
from ...services.transfer import outcome_text
from ..alerts import alert_notice
from ..commands import OpenSessionProvider
from ..delivery_alerts import DeliveryAlerts
from ..messages import (
    CapacityClicked,
    CloseTabPressed,
    ConsoleLoaded,
    DatabaseChanged,
    DraftChanged,
    DraftWanted,
    EndChatPressed,
    PresenceClicked,
    ReplySubmitted,
    SessionPicked,
    UndoEndPressed,
)
from ..pending_ends import UNDO_SECONDS, PendingEnds
from ..screen_work import screen_work
from ..widgets.composer import Composer
from ..widgets.conversation import (
    CLOSE_TAB,
    END_CHAT,
    NO_SESSION,
    TRANSFER,
    ConversationPane,
    find_action,
)
from ..widgets.key_footer import KeyFooter
from ..widgets.session_list import SessionList
from ..widgets.status_bar import StatusBar
from ..widgets.transcript import Transcript

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.notifications import SeverityLevel
    from textual.worker import Worker

    from ...services.deliveries import SessionDeliveries
    from ...services.views import (
        AgentView,
        BulkReport,
        EndResult,
        SessionDetail,
        SessionNeeds,
        SessionRow,
        TransferResult,
    )
    from ..backend import ConsoleBackend, Snapshot
    from .confirm import ConfirmScreen
    from .presence_menu import PresenceChoice

#: The console's footer: these first; below 100 columns, without the narrow-hidden ones.
FOOTER_FIRST = (
    "end_chat",
    "close_tab",
    "presence_menu",
    "sessions_list",
    "help",
    "next_session",
    "previous_session",
)
FOOTER_NARROW_HIDDEN = ("ledger", "run_macro")
#: The actions check_action answers from the screen's state: when none of its answers
#: changed, a refresh leaves the footer alone (``_refresh_keys``).
DYNAMIC_ACTIONS = (
    "end_chat",
    "undo_end",
    "copy_draft",
    "close_tab",
    "next_session",
    "previous_session",
    "presence_menu",
    "set_presence",
    "log_out",
    "ledger",
    "admin_settings",
    "run_macro",
    "quick_reply",
    "transfer",
)
PRESENCE_CYCLE = (Presence.ONLINE, Presence.BUSY, Presence.OFFLINE)
LOGGED_OUT_PANE = "Logged out of Omni: no sessions."
#: Seconds the composer must be still before its draft is written to the database.
DRAFT_DEBOUNCE = 0.3
#: Seconds between redraws of the times on screen (time in presence, waiting, R7 countdown).
CLOCK_TICK = 15.0
#: How often a waiting End Chat looks at the clock (its countdown and its commit).
PENDING_TICK = 0.2
LOGGED_OUT = (
    "You are logged out of Omni: no work is routed to you. Press {key} and choose Online "
    "to log back in."
)


def _sessions_list_provider() -> type[Provider]:
    """The list's palette commands; its module loads when the palette opens, not at start."""
    from .sessions_list import SessionsListProvider

    return SessionsListProvider


class ConsoleScreen(Screen[None]):
    CSS_PATH = "console.tcss"
    HELP = (
        "The console: your presence and capacity on top, one entry per open session on the "
        "left, the open conversation on the right (transcript, End Chat or Close tab, and the "
        "composer, whose draft is kept across crashes and failed sends). End Chat waits a few "
        "seconds before it ends the chat, with Undo meanwhile; a chat ended with a draft in "
        "the composer keeps the draft, with a key to copy it. On a connected "
        "channel each of your lines says whether it reached the customer: ✓ sent, sending…, "
        "⟳ retrying at the next try's time, or ✗ not delivered with the reason. Under each "
        "session: its unread customer messages, how long the customer has waited, the R7 "
        "countdown of a session you started, and the customer's last line. A new session, a "
        "reply on a session not on screen and a session someone else ended raise an alert "
        "(and the terminal bell, unless the config says bell = false)."
    )
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        OpenSessionProvider,
        _sessions_list_provider,
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
            tooltip="End the open chat, after a few seconds of Undo (the customer sees a line)",
        ),
        # Priority, as End Chat: it must work while the agent is typing in the composer.
        Binding(
            "ctrl+z",
            "undo_end",
            "Undo end",
            id="undo-end",
            priority=True,
            tooltip="Undo End Chat during its few seconds (the open chat's, else the last one)",
        ),
        Binding(
            "ctrl+y",
            "copy_draft",
            "Copy draft",
            id="copy-draft",
            tooltip="Copy the draft of a chat that ended while you were writing",
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
            "presence_menu",
            "Presence",
            id="presence-menu",
            tooltip="Change presence: Online, Busy, Offline (previewed) or Log out (warned)",
        ),
        Binding(
            "ctrl+l",
            "ledger",
            "Ledger",
            id="ledger",
            tooltip="What uses your capacity, the rule that makes it count, and what frees it",
        ),
        Binding(
            "ctrl+r",
            "run_macro",
            "Macros",
            id="run-macro",
            tooltip="Run a macro (e.g. Escalate to Tier 2) on the open session",
        ),
        Binding(
            "f4",
            "quick_reply",
            "Quick reply",
            id="quick-reply",
            show=False,
            tooltip="Search the quick replies and insert one, placeholders filled, into the "
            "composer (enter still sends)",
        ),
        # Priority: the composer (a TextArea, which has the focus while typing) takes f6 as
        # "select line" otherwise.
        Binding(
            "f6",
            "transfer",
            "Transfer",
            id="transfer",
            priority=True,
            show=False,  # the footer is full at 80 columns; Help and the palette list it
            tooltip="Transfer the open session to another agent, or back to the queue",
        ),
        Binding(
            "f2",
            "admin_settings",
            "Settings",
            id="admin-settings",
            show=False,
            tooltip="Admin settings: ending (R8), CSAT (R9), capacity models, units, capacity",
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
        Binding(
            "ctrl+g",
            "focus_composer",
            "Reply",
            id="focus-composer",
            show=False,
            tooltip="Jump to the composer of the open session, from anywhere in the console",
        ),
    ]

    def __init__(
        self,
        backend: ConsoleBackend,
        *,
        tz: tzinfo | None = None,
        undo_seconds: float = UNDO_SECONDS,
        first: Worker[Snapshot] | None = None,
    ) -> None:
        """``first``: the first snapshot, already asked for (the app starts it while this
        screen composes); the first refresh uses it instead of asking again."""
        super().__init__(id="console-screen")
        self.backend = backend
        self._first = first
        self._tz = tz
        self.agent_view: AgentView | None = None
        self.rows: list[SessionRow] = []
        self.detail: SessionDetail | None = None
        #: The agent's sessions with a line not delivered (failed or being retried), by id.
        self.deliveries: dict[int, SessionDeliveries] = {}
        self._delivery_alerts = DeliveryAlerts()
        self.selected_id: int | None = None
        self._selected_index = 0
        self._loaded = False
        self._keys_shown: tuple[bool | None, ...] = ()
        self._refresh_wanted = False
        self._refresher: Worker[None] | None = None
        self._focus_composer = False
        self._last_error: str | None = None
        self._pending_drafts: dict[int, str] = {}
        self._draft_timer: Timer | None = None
        #: What each session asks of the agent, as of the last refresh.
        self.needs: dict[int, SessionNeeds] = {}
        #: The sessions as the last refresh saw them (None: no refresh yet), for alerts.
        self._glances: dict[int, Glance] | None = None
        #: Sessions this agent acted on (a macro) whose end is their own doing.
        self._acted_on: set[int] = set()
        #: The newest message marked read per session (no write when nothing new is shown).
        self._read_upto: dict[int, int] = {}
        # The first session shown takes the focus to its composer: typing can start at once.
        self._focus_composer = True
        #: End Chats waiting out their Undo time (0 s: End Chat ends at once).
        self._pending_ends = PendingEnds(undo_seconds)
        self._pending_timer: Timer | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        yield Static("", id="logged-out-banner", markup=False)
        with Horizontal(id="body"):
            yield SessionList(id="sessions")
            yield ConversationPane(tz=self._tz, id="conversation")
        # At 80 columns the keys an agent needs first stay in view (f3 and f1 were cut off);
        # Ledger and Macros move to Help and the palette (their keys still work).
        yield KeyFooter(first=FOOTER_FIRST, narrow_hidden=FOOTER_NARROW_HIDDEN)

    def on_mount(self) -> None:
        self.query_one("#body").loading = True
        self.query_one("#logged-out-banner").display = False
        self.request_refresh()
        self.set_interval(CLOCK_TICK, self._tick)

    def tick_presence(self) -> None:
        """Minutes pass in the status bar's "Busy · 12m" with nothing else changing."""
        self.query_one(StatusBar).tick(self.backend.now())

    def _tick(self) -> None:
        """Times on screen move on without a database change (the time in the current
        presence, waiting, the R7 countdown, the time in the end line End Chat would send)."""
        self.tick_presence()
        if self._loaded:
            self._show_sessions()
            pane = self.query_one(ConversationPane)
            pane.show_countdown(self.backend.now())
            pane.set_end_line(self.backend.end_line_now())

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
    @screen_work(group="refresh")
    async def _refresh(self) -> None:
        while self._refresh_wanted:
            self._refresh_wanted = False
            try:
                snapshot = await self._first_or_fresh()
            except ConsoleError as exc:
                self._report_once(str(exc))
                return
            self._last_error = None
            if not self.app.is_running:  # the app is closing: the widgets are going away
                return
            self._apply(snapshot)

    async def _first_or_fresh(self) -> Snapshot:
        """The snapshot started with the screen, if there is one and it came back; otherwise
        (none, failed, cancelled) a fresh one, which raises what went wrong as usual."""
        first, self._first = self._first, None
        if first is not None:
            with contextlib.suppress(WorkerFailed, WorkerCancelled):
                return await first.wait()
        return await self.backend.snapshot(self.selected_id, neighbour=self._selected_index)

    def _report_once(self, message: str) -> None:
        if message != self._last_error:
            self._last_error = message
            self.notify(escape_log(message), severity="error", markup=False)

    def _apply(self, snapshot: Snapshot) -> None:
        on_screen = self.selected_id if self.is_current else None
        self.agent_view = snapshot.agent
        self.rows = snapshot.sessions
        self.needs = snapshot.needs
        ids = [row.id for row in self.rows]
        if self.selected_id not in ids:
            # The open session left the list (tab closed, requeued...): open its neighbour.
            if ids:
                self._selected_index = min(self._selected_index, len(ids) - 1)
                self.selected_id = ids[self._selected_index]
                # The snapshot brings that neighbour's detail (see ConsoleBackend.snapshot);
                # another round only if it does not.
                if snapshot.detail is None or snapshot.detail.session.id != self.selected_id:
                    self._refresh_wanted = True
            else:
                self.selected_id = None
        else:
            self._selected_index = ids.index(self.selected_id)
        detail = snapshot.detail
        self.detail = (
            detail if detail is not None and detail.session.id == self.selected_id else None
        )
        self.deliveries = snapshot.deliveries
        self._show_snapshot()
        self._tell_deliveries()
        self._raise_alerts(on_screen)
        self._mark_shown_read()

    # ------------------------------------------------------------------ what needs the agent

    def _raise_alerts(self, on_screen: int | None) -> None:
        """A new session, a reply off screen, an end by someone else: a notification each,
        and one ring of the bell for the lot (the decision is the domain's)."""
        glances = {
            row.id: Glance(
                row.id,
                ended=row.status == "Ended",
                last_customer_message=self.needs[row.id].last_customer_message
                if row.id in self.needs
                else 0,
                ended_by_me=row.id in self.needs and self.needs[row.id].ended_by_me,
            )
            for row in self.rows
        }
        alerts: list[Alert] = decide_alerts(
            self._glances, glances, on_screen=on_screen, mine=self._acted_on
        )
        self._glances = glances
        self._acted_on = {
            sid for sid in self._acted_on if sid in glances and not glances[sid].ended
        }
        if not alerts:
            return
        rows = {row.id: row for row in self.rows}
        for alert in alerts:
            title, text = alert_notice(
                alert, rows[alert.session_id], self.needs.get(alert.session_id)
            )
            self.notify(text, title=title, markup=False)
        if getattr(self.app, "bell_on", True):
            self.app.bell()

    def _mark_shown_read(self) -> None:
        """The open session is on screen: what it shows is read. A service write only when it
        shows a customer message the marker has not passed (each write makes every console
        on SQLite refresh once; other lines after the marker count for nothing)."""
        detail = self.detail
        if detail is None or not detail.messages or not self.is_current:
            return
        sid, newest = detail.session.id, detail.messages[-1].id
        needs = self.needs.get(sid)
        if needs is None or needs.unread == 0:
            return
        if newest > self._read_upto.get(sid, 0):
            self._read_upto[sid] = newest
            self._mark_read(sid, newest)

    @screen_work(group="read")
    async def _mark_read(self, session_id: int, upto: int) -> None:
        try:
            await self.backend.mark_read(session_id, upto)
        except ConsoleError as exc:
            self._read_upto.pop(session_id, None)  # try again on the next refresh
            self._report_once(f"{session_label(session_id)} not marked read: {exc}")

    def _show_sessions(self) -> None:
        sessions = self.query_one(SessionList)
        sessions.border_title = f"My sessions ({len(self.rows)})"
        sessions.show_rows(
            self.rows,
            self.selected_id,
            {session_id: problem.worst for session_id, problem in self.deliveries.items()},
            needs=self._needs_as_read(),
            now=self.backend.now(),
            # The open session is being read: nothing in it is unread.
            reading=self.selected_id if self.detail is not None else None,
            ending=self._pending_ends.ids,
        )

    def _needs_as_read(self) -> dict[int, SessionNeeds]:
        """The needs, with what this console has marked read counted as read even before the
        refresh that reads the marker back (no "2 new" flashing on a session just read)."""
        needs = dict(self.needs)
        for sid, upto in self._read_upto.items():
            known = needs.get(sid)
            if known is not None and known.unread and upto >= known.last_customer_message:
                needs[sid] = replace(known, unread=0)
        return needs

    def action_focus_composer(self) -> None:
        composer = self.query_one("#composer", Composer)
        if self.detail is None:
            self.notify("No session open: choose one to reply to", severity="warning")
        elif composer.disabled:
            self.notify("This session has ended: there is nothing to reply to", severity="warning")
        else:
            composer.focus()

    def _tell_deliveries(self) -> None:
        """A line that failed or started being retried since the last refresh: said once."""
        for alert in self._delivery_alerts.news(self.rows, self.deliveries, self._tz):
            failed = alert.severity == "error"
            self.notify(
                alert.text,
                title="Not delivered" if failed else "Delivery retrying",
                severity=alert.severity,
                # A failure stays up longer: the agent may be typing elsewhere meanwhile.
                timeout=max(self.app.NOTIFICATION_TIMEOUT, 15.0) if failed else None,
                markup=False,
            )

    def _show_snapshot(self) -> None:
        agent = self.agent_view
        if agent is not None:
            self.query_one(StatusBar).show(
                name=agent.name,
                presence=agent.presence,
                logged_in=agent.logged_in,
                used=agent.used,
                capacity=agent.capacity,
                key=self.key_for("presence_menu"),
                ledger_key=self.key_for("ledger"),
                away_reason=agent.away_reason,
                since=agent.presence_since,
                now=self.backend.now(),
            )
            banner = self.query_one("#logged-out-banner", Static)
            banner.display = not agent.logged_in
            if not agent.logged_in:
                banner.update(Content(LOGGED_OUT.format(key=self.key_for("presence_menu"))))
        self._show_sessions()
        if self.detail is not None or self.selected_id is None:
            pane = self.query_one(ConversationPane)
            pane.show(
                self.detail,
                keys={
                    action: self.key_for(action)
                    for action in ("end_chat", "close_tab", "undo_end", "copy_draft")
                },
                end_line=self.backend.end_line_now(),
                empty_text=NO_SESSION if agent is None or agent.logged_in else LOGGED_OUT_PANE,
                now=self.backend.now(),
                pending_left=self._seconds_left(self.selected_id),
            )
            composer = pane.query_one("#composer")
            wants_focus = self._focus_composer or self.focused is None
            if wants_focus and self.detail is not None and not composer.disabled:
                self._focus_composer = False
                composer.focus()
        if not self._loaded and (self.selected_id is None or self.detail is not None):
            self._loaded = True
            self.query_one("#body").loading = False
            self.post_message(ConsoleLoaded())
            self._offer_resume()
        self._refresh_keys()

    def on_database_changed(self, message: DatabaseChanged) -> None:
        self.request_refresh()

    def on_transcript_text_wanted(self, message: Transcript.TextWanted) -> None:
        """Show more needs more of the open session's text than a refresh loads: load it."""
        self.backend.want_text(message.session_id, message.per_message, message.total)
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
        from .sessions_list import open_sessions_list

        open_sessions_list(self.app, self.backend, tz=self._tz)

    # ------------------------------------------------------------------ what may run now

    def _refresh_keys(self) -> None:
        """Tell the footer the keys changed, when one did: each refresh_bindings rebuilds the
        footer's keys and restyles them (~10 ms), and a refresh mostly changes none."""
        keys = tuple(self.check_action(action, ()) for action in DYNAMIC_ACTIONS)
        if keys != self._keys_shown:
            self._keys_shown = keys
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Footer and keys follow the service's answers (None: shown, but disabled)."""
        detail = self.detail
        if action == "end_chat":
            if detail is None or detail.session.status == "Ended":
                return False
            if detail.session.id in self._pending_ends:
                return False  # already ending: the Undo bar stands where End Chat was
            end = find_action(detail, END_CHAT)
            return True if end is not None and end.allowed else None
        if action == "undo_end":
            return bool(self._pending_ends)
        if action == "copy_draft":
            panes = self.query(ConversationPane)
            return detail is not None and bool(panes) and panes.first().draft_stranded
        if action == "close_tab":
            if detail is None or detail.session.status != "Ended":
                return False
            close = find_action(detail, CLOSE_TAB)
            return True if close is not None and close.allowed else None
        if action in ("next_session", "previous_session"):
            return len(self.rows) > 1
        if action in ("presence_menu", "set_presence", "log_out", "ledger", "admin_settings"):
            return self.agent_view is not None
        if action == "run_macro":
            return detail is not None
        if action == "quick_reply":
            return detail is not None and detail.session.status != "Ended"
        if action == "transfer":
            if detail is None or detail.session.status == "Ended":
                return False
            move = find_action(detail, TRANSFER)
            return True if move is not None and move.allowed else None
        return True

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The screen's actions for the command palette (only those usable right now)."""
        label = session_label(self.detail.session.id) if self.detail is not None else ""
        if self.check_action("end_chat", ()):
            yield SystemCommand("End Chat", f"End {label}", self.action_end_chat)
        if self.check_action("undo_end", ()):
            yield SystemCommand(
                "Undo End Chat", "Keep the chat going: it is not ended yet", self.action_undo_end
            )
        if self.check_action("copy_draft", ()):
            yield SystemCommand(
                "Copy draft", f"Copy your unsent draft of {label}", self.action_copy_draft
            )
        if self.check_action("close_tab", ()):
            yield SystemCommand("Close tab", f"Close the tab of {label}", self.action_close_tab)
        if self.agent_view is not None:
            for target in PRESENCE_CYCLE:
                # Away (Busy with a reason) may still go plain Busy from here.
                now = (self.agent_view.presence, self.agent_view.away_reason)
                if now != (target.value, None):
                    yield SystemCommand(
                        f"Presence: {target.value}",
                        f"Set your presence to {target.value}",
                        lambda target=target: self.action_set_presence(target.value),
                    )
        if self.agent_view is not None:
            yield SystemCommand(
                "Presence…", "Online, Busy, Offline or Log out", self.action_presence_menu
            )
            yield SystemCommand(
                "Log out",
                "Log out of Omni (lists the sessions that will end first)",
                self.action_log_out,
            )
            yield SystemCommand(
                "Capacity ledger", "What uses your capacity and what frees it", self.action_ledger
            )
            yield SystemCommand(
                "Admin settings",
                "Ending (R8), CSAT (R9), capacity models, units, capacity per agent",
                self.action_admin_settings,
            )
        if self.check_action("quick_reply", ()):
            yield SystemCommand(
                "Quick reply…",
                f"Insert a quick reply into the reply to {label}",
                self.action_quick_reply,
            )
        if self.check_action("run_macro", ()):
            yield SystemCommand("Run a macro…", f"Run a macro on {label}", self.action_run_macro)
        if self.check_action("transfer", ()):
            yield SystemCommand(
                "Transfer…",
                f"Transfer {label} to another agent, or back to the queue",
                self.action_transfer,
            )
        if self.check_action("next_session", ()):
            yield SystemCommand("Next session", "Open the next session", self.action_next_session)
            yield SystemCommand(
                "Previous session", "Open the previous session", self.action_previous_session
            )
        yield SystemCommand("Refresh", "Reload from the database", self.action_refresh)

    # ------------------------------------------------------------------ replying

    def on_reply_submitted(self, message: ReplySubmitted) -> None:
        # The send clears the saved draft when it commits: a debounced save of the old text
        # must not bring it back afterwards.
        self._pending_drafts.pop(message.session_id, None)
        self._send(message.session_id, message.text)

    @screen_work(group="send")
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
            self._start_end(self.detail.session.id)

    def on_end_chat_pressed(self, message: EndChatPressed) -> None:
        self._start_end(message.session_id)

    def _start_end(self, session_id: int) -> None:
        """End Chat: nothing is written yet; the session waits out its Undo time first."""
        if self._pending_ends.delay.total_seconds() <= 0:
            self._end_chat(session_id)
            return
        self._pending_ends.start(session_id, self.backend.now())
        if self._pending_timer is None:
            self._pending_timer = self.set_interval(PENDING_TICK, self._tick_pending)
        self._show_pending()

    def _seconds_left(self, session_id: int | None) -> int | None:
        if session_id is None:
            return None
        return self._pending_ends.seconds_left(session_id, self.backend.now())

    def _tick_pending(self) -> None:
        """Each tick: end what is due, and count down the open chat's Undo bar (the footer
        and the list change only when a chat starts or stops waiting)."""
        due = self._pending_ends.take_due(self.backend.now())
        for session_id in due:
            self._end_chat(session_id)
        if due:
            self._show_pending()
        elif self.detail is not None:
            self.query_one(ConversationPane).set_pending(self._seconds_left(self.detail.session.id))

    def _show_pending(self) -> None:
        """A chat started or stopped waiting: the Undo bar, the list's "ending", the keys."""
        if not self._pending_ends and self._pending_timer is not None:
            self._pending_timer.stop()
            self._pending_timer = None
        if self.detail is not None:
            self.query_one(ConversationPane).set_pending(self._seconds_left(self.detail.session.id))
        self._show_sessions()
        self._refresh_keys()

    def action_undo_end(self) -> None:
        """Undo the open chat's End Chat, or else the last one pressed (the agent may have
        moved on to the next chat already)."""
        open_id = self.detail.session.id if self.detail is not None else None
        target = open_id if open_id in self._pending_ends else self._pending_ends.newest()
        if target is not None:
            self._undo_end(target)

    def on_undo_end_pressed(self, message: UndoEndPressed) -> None:
        self._undo_end(message.session_id)

    def _undo_end(self, session_id: int) -> None:
        if self._pending_ends.cancel(session_id):
            self.notify(f"{session_label(session_id)} not ended: End Chat undone", markup=False)
        self._show_pending()

    @property
    def pending_ends(self) -> list[int]:
        """The sessions whose End Chat waits out its Undo time, oldest first."""
        return self._pending_ends.ids

    async def end_pending_now(self) -> list[str]:
        """End every chat waiting out its Undo time, now (quitting, logging out, going
        Offline: the agent asked for these ends), and let the ends already under way finish.
        Returns one line per chat ended here, as said."""
        said: list[str] = []
        for session_id in self._pending_ends.take_all():
            said.append(await self._commit_end(session_id))
        for worker in list(self.app.workers):
            if worker.node is self and worker.group == "end-chat" and not worker.is_finished:
                with contextlib.suppress(WorkerCancelled, WorkerFailed):
                    await worker.wait()
        if self.app.is_running:
            self._show_pending()
        return said

    @screen_work(group="end-chat")
    async def _end_chat(self, session_id: int) -> None:
        await self._commit_end(session_id)
        self.request_refresh()

    async def _commit_end(self, session_id: int) -> str:
        """End the chat through the service and say how it went (returns what was said)."""
        label = session_label(session_id)
        try:
            result: EndResult = await self.backend.end_chat(session_id)
        except ConsoleError as exc:
            text = f"{label} not ended: {exc}"
            self._say(escape_log(text), "error")
            return text
        if result.result == "ended":
            text = f"{label} {result.reason}"
            self._say(escape_log(text), "information")
        else:
            text = f"{label} not ended: {result.reason}"
            self._say(escape_log(text), "warning")
        return text

    def _say(self, text: str, severity: SeverityLevel) -> None:
        if self.app.is_running:
            self.notify(text, severity=severity, markup=False)

    def action_copy_draft(self) -> None:
        pane = self.query_one(ConversationPane)
        text = pane.draft_text
        if not text or pane.session_id is None:
            return
        self.app.copy_to_clipboard(text)
        self.notify(
            f"Draft of {session_label(pane.session_id)} copied "
            f"({plural(len(text), 'character')}): paste it where you need it",
            markup=False,
        )

    def action_close_tab(self) -> None:
        if self.detail is not None:
            self._close_tab(self.detail.session.id)

    def on_close_tab_pressed(self, message: CloseTabPressed) -> None:
        self._close_tab(message.session_id)

    @screen_work(group="close-tab")
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

    def action_presence_menu(self) -> None:
        from .presence_menu import PresenceMenu

        if self.agent_view is None:
            return
        label = self.query_one("#presence")
        anchor = Offset(label.region.x, label.region.y) if label.region.width else None
        agent = self.agent_view
        self.app.push_screen(
            PresenceMenu(
                agent.presence,
                logged_in=agent.logged_in,
                anchor=anchor,
                reasons=self.backend.away_reasons,
                reason=agent.away_reason,
                since=agent.presence_since,
                now=self.backend.now(),
            ),
            self._presence_chosen,
        )

    def _presence_chosen(self, choice: PresenceChoice | None) -> None:
        from .presence_menu import LOG_OUT

        if choice is None:
            return
        if choice.choice == LOG_OUT:
            self.action_log_out()
        else:
            self._change_presence(Presence(choice.choice), choice.reason)

    def on_presence_clicked(self, message: PresenceClicked) -> None:
        self.action_presence_menu()

    def action_set_presence(self, presence: str) -> None:
        self._change_presence(Presence(presence))

    @screen_work(group="presence", exclusive=True)
    async def _change_presence(self, target: Presence, reason: str | None = None) -> None:
        from .offline_preview import OfflinePreviewScreen

        try:
            if target is Presence.OFFLINE:
                # R5: the service's dry run says what happens to each session; ask first.
                preview = await self.backend.presence_preview(target)
                if preview.effects:
                    rows = {row.id: row for row in self.rows}
                    confirmed = await self.app.push_screen_wait(
                        OfflinePreviewScreen(preview.effects, rows)
                    )
                    if not confirmed:
                        self.notify("Presence unchanged")
                        return
                # Chats whose End Chat waits out its Undo time end as the agent asked, not
                # back to the queue.
                await self.end_pending_now()
            result = await self.backend.set_presence(target, reason)
        except ConsoleError as exc:
            self.notify(escape_log(str(exc)), severity="error", markup=False)
            return
        finally:
            self.request_refresh()
        self.notify(presence_outcome(result), markup=False)

    # ------------------------------------------------------------------ logout (R6)

    def action_log_out(self) -> None:
        self._log_out()

    @screen_work(group="presence", exclusive=True)
    async def _log_out(self) -> None:
        from .logout import LogoutScreen

        try:
            preview = await self.backend.logout_preview()
            confirmed = await self.app.push_screen_wait(
                LogoutScreen(preview, end_line=self.backend.end_line_now(logout=True))
            )
            if not confirmed:
                self.notify("Still logged in; nothing changed")
                return
            # Chats whose End Chat waits out its Undo time end by End Chat, as asked.
            await self.end_pending_now()
            result = await self.backend.logout()
        except ConsoleError as exc:
            self.notify(escape_log(str(exc)), severity="error", markup=False)
            return
        finally:
            self.request_refresh()
        ended = sum(1 for r in result.results if r.result == "ended")
        skipped = [r for r in result.results if r.result != "ended"]
        summary = (
            f"Logged out: {plural(ended, 'session')} ended, "
            f"{plural(result.tabs_closed, 'tab')} closed, "
            f"{plural(result.units_freed, 'unit')} freed "
            f"({result.used + result.units_freed}/{result.capacity} → "
            f"{result.used}/{result.capacity})"
        )
        self.notify(summary, markup=False)
        for r in skipped:
            self.notify(
                f"{session_label(r.session_id)} not ended: {escape_log(r.reason)}",
                severity="warning",
                markup=False,
            )

    # ------------------------------------------------------------------ ledger, macros, settings

    def action_ledger(self) -> None:
        self._open_ledger()

    def on_capacity_clicked(self, message: CapacityClicked) -> None:
        self.action_ledger()

    @screen_work(group="ledger", exclusive=True)
    async def _open_ledger(self) -> None:
        from .ledger import LedgerScreen

        try:
            ledger = await self.backend.ledger()
        except ConsoleError as exc:
            self.notify(escape_log(str(exc)), severity="error", markup=False)
            return
        keys = {"end_chat": self.key_for("end_chat"), "close_tab": self.key_for("close_tab")}
        chosen = await self.app.push_screen_wait(
            LedgerScreen(ledger, {row.id: row for row in self.rows}, keys=keys)
        )
        if chosen is not None:
            self.open_session(chosen)

    def action_run_macro(self) -> None:
        from .macro_picker import MacroPickerScreen

        if self.detail is None:
            return
        row = self.detail.session
        self._acted_on.add(row.id)  # an end by the macro (or its trigger) is the agent's own
        self.app.push_screen(
            MacroPickerScreen(self.backend, row.id, row.customer),
            lambda result: self.request_refresh(),
        )

    def action_quick_reply(self) -> None:
        from .quick_reply_picker import QuickReplyPickerScreen

        if self.detail is None:
            return
        row = self.detail.session
        self.app.push_screen(
            QuickReplyPickerScreen(self.backend, row.id, row.customer),
            lambda text: self._insert_quick_reply(row.id, text),
        )

    def _insert_quick_reply(self, session_id: int, text: str | None) -> None:
        """Put the chosen reply into the composer at its cursor; the agent sends it (enter)."""
        from .quick_reply_picker import insert_at_cursor

        if text is None:
            return
        pane = self.query_one(ConversationPane)
        composer = pane.query_one("#composer")
        if pane.session_id != session_id or composer.disabled:
            self.notify(
                f"Quick reply not inserted: {session_label(session_id)} is no longer open "
                "for replies",
                severity="warning",
                markup=False,
            )
            return
        insert_at_cursor(composer, text)
        composer.focus()

    def action_admin_settings(self) -> None:
        from .admin_settings import AdminSettingsScreen

        self.app.push_screen(AdminSettingsScreen(self.backend))

    def action_transfer(self) -> None:
        from .transfer_picker import TransferPickerScreen

        if self.detail is None:
            return
        row = self.detail.session
        self.app.push_screen(
            TransferPickerScreen(self.backend, row.id, row.customer), self._transferred
        )

    def _transferred(self, result: TransferResult | None) -> None:
        if result is not None:
            # The session leaves My sessions (it is no longer ours): the refresh opens the next.
            self.notify(escape_log(outcome_text(result)), markup=False)
        self.request_refresh()

    # ------------------------------------------------------------------ unfinished bulk ends

    @screen_work(group="resume-offer", exclusive=True)
    async def _offer_resume(self) -> None:
        """An End Sessions this agent left unfinished (quit, crash): Resume, or Later."""
        from .bulk_end import BulkEndScreen

        try:
            unfinished = await self.backend.unfinished_bulks()
        except ConsoleError as exc:
            self._report_once(f"unfinished End Sessions not checked: {exc}")
            return
        for report in unfinished:
            if not self.app.is_running:
                return
            if await self.app.push_screen_wait(resume_question(report, self._tz)):
                await self.app.push_screen_wait(BulkEndScreen.resuming(self.backend, report))
                self.request_refresh()
            else:
                self.notify(
                    "Left for later: it is offered again at the next start "
                    f"(or run agent-console sessions resume {report.bulk_id})",
                    markup=False,
                )

    # ------------------------------------------------------------------ drafts

    def on_draft_changed(self, message: DraftChanged) -> None:
        # Debounced: written once the composer has been still for DRAFT_DEBOUNCE seconds.
        self._pending_drafts[message.session_id] = message.text
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_DEBOUNCE, self._flush_drafts)

    def _flush_drafts(self) -> None:
        pending, self._pending_drafts = self._pending_drafts, {}
        if pending:
            self._save_drafts(pending)

    @screen_work(group="drafts")
    async def _save_drafts(self, pending: dict[int, str]) -> None:
        for session_id, text in pending.items():
            try:
                await self.backend.save_draft(session_id, text)
            except (ConsoleError, ValueError) as exc:
                self._report_once(f"draft of {session_label(session_id)} not saved: {exc}")

    def on_draft_wanted(self, message: DraftWanted) -> None:
        pending = self._pending_drafts.get(message.session_id)
        if pending is not None:
            for pane in self.query(ConversationPane).results(ConversationPane):
                pane.restore_draft(message.session_id, pending, save=False)
            return
        self._load_draft(message.session_id)

    @screen_work(group="drafts-load")
    async def _load_draft(self, session_id: int) -> None:
        try:
            text = await self.backend.load_draft(session_id)
        except ConsoleError as exc:
            self._report_once(f"draft of {session_label(session_id)} not loaded: {exc}")
            return
        # The screen may have gone (the console closing) while the database answered.
        if not self.app.is_running:
            return
        for pane in self.query(ConversationPane).results(ConversationPane):
            pane.restore_draft(session_id, text, save=False)


def resume_question(report: BulkReport, tz: tzinfo | None) -> ConfirmScreen:
    """Resume (y) or Later (n) for an End Sessions left unfinished."""
    from .confirm import ConfirmScreen

    done = report.ended + report.skipped
    when = ""
    if report.started_at is not None:
        zone = tz if tz is not None else report.started_at.astimezone().tzinfo
        assert zone is not None
        when = f" on {fmt_moment(report.started_at, zone)}"
    lines = [
        Content(
            f"You started ending {report.total:,} sessions{when}. Done: {done:,} "
            f"({report.ended:,} ended, {report.skipped:,} skipped); not reached yet, and as "
            f"they were: {report.pending:,}."
        ),
        Content(
            "Resume ends the rest, with the same checks, and shows the results; rows already "
            "done are not touched again. Later asks again at the next start."
        ),
    ]
    if report.status == "running":
        lines.append(
            Content(
                "It may still be running in another console or shell: resuming here too is "
                "safe (no session ends twice)."
            )
        )
    return ConfirmScreen(
        "An End Sessions you started was left unfinished",
        lines,
        confirm="Resume",
        cancel="Later",
    )

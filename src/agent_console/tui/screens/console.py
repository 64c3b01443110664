"""The console: status bar, the agent's session tabs, and the open conversation.

The screen owns what it shows (a :class:`Snapshot` from the backend) and turns the agent's
keys and clicks into service calls, each in a worker. It never decides a rule: End Chat and
Close tab are enabled exactly when ``show_session(...).actions`` says so, and the service
checks again when they are used.

End Chat is not committed at once: the session waits a few seconds (:mod:`..pending_ends`,
on the console's clock) with an Undo bar, then the service ends it. Going Offline, logging
out and quitting commit the waiting ends first (the agent asked for them). At start, an End
Sessions this agent left unfinished (a quit, a crash) is offered for resuming.

This module holds the screen's state, layout, refreshing and what it shows; its parts are
mixed in from :mod:`.console_keys` (bindings, which keys may run, the palette),
:mod:`.console_ending` (End Chat, Undo, Close tab), :mod:`.console_presence` (presence,
logout), :mod:`.console_modals` (ledger, macros, quick replies, transfer, settings, resuming
an End Sessions) and :mod:`.console_drafts` (replies and drafts).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import tzinfo
from typing import TYPE_CHECKING, ClassVar

from textual.binding import BindingType
from textual.command import Provider
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import WorkerCancelled, WorkerFailed

from ...domain.feed import Interest
from ...domain.needs import Alert, Glance, decide_alerts
from ...domain.text import escape_log
from ...domain.vocab import session_label
from ..alerts import alert_notice
from ..commands import OpenSessionProvider
from ..delivery_alerts import DeliveryAlerts
from ..messages import ConsoleLoaded, DatabaseChanged, FirstReadShown, SessionPicked
from ..notify_errors import notified_errors
from ..pending_ends import UNDO_SECONDS, PendingEnds
from ..refresh_loop import RefreshLoop
from ..screen_work import screen_work
from ..snapshot import Snapshot
from ..widgets.composer import Composer
from ..widgets.conversation import NO_SESSION, ConversationPane
from ..widgets.key_footer import KeyFooter
from ..widgets.session_list import SessionList
from ..widgets.status_bar import StatusBar
from ..widgets.transcript import Transcript
from .console_drafts import DRAFT_DEBOUNCE, ReplyDrafts
from .console_ending import PENDING_TICK, EndChatActions
from .console_keys import (
    CONSOLE_BINDINGS,
    DYNAMIC_ACTIONS,
    FOOTER_FIRST,
    FOOTER_NARROW_HIDDEN,
    PRESENCE_CYCLE,
    ConsoleKeys,
)
from .console_modals import ConsoleModals, resume_question
from .console_presence import LOGGED_OUT, PresenceActions

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.worker import Worker

    from ...services.deliveries import SessionDeliveries
    from ...services.views import AgentView, SessionDetail, SessionNeeds, SessionRow
    from ..backend import ConsoleBackend

__all__ = [
    "CLOCK_TICK",
    "DRAFT_DEBOUNCE",
    "DYNAMIC_ACTIONS",
    "FOOTER_FIRST",
    "FOOTER_NARROW_HIDDEN",
    "LOGGED_OUT",
    "LOGGED_OUT_PANE",
    "PENDING_TICK",
    "PRESENCE_CYCLE",
    "ConsoleScreen",
    "resume_question",
]

LOGGED_OUT_PANE = "Logged out of Omni: no sessions."
#: Seconds between redraws of the times on screen (time in presence, waiting, R7 countdown).
CLOCK_TICK = 15.0


def _sessions_list_provider() -> type[Provider]:
    """The list's palette commands; its module loads when the palette opens, not at start."""
    from .sessions_list import SessionsListProvider

    return SessionsListProvider


class ConsoleScreen(
    ConsoleKeys, EndChatActions, PresenceActions, ConsoleModals, ReplyDrafts, Screen[None]
):
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
    BINDINGS: ClassVar[list[BindingType]] = CONSOLE_BINDINGS

    def __init__(
        self,
        backend: ConsoleBackend,
        *,
        tz: tzinfo | None = None,
        undo_seconds: float = UNDO_SECONDS,
        first: Worker[Snapshot] | Snapshot | None = None,
    ) -> None:
        """``first``: the first snapshot, already asked for (the app starts it while this
        screen composes), or already read (the first read's, drawn while the database
        opens); the first refresh uses it instead of asking again."""
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
        #: One refresh at a time; asked for meanwhile, one more after it.
        self._refreshes = RefreshLoop(self._refresh)
        #: The next refresh reloads the open session's detail too (see request_refresh).
        self._detail_wanted = True
        self._focus_composer = False
        self._last_error: str | None = None
        self._pending_drafts: dict[int, str] = {}
        self._draft_timer: Timer | None = None
        #: What each session asks of the agent, as of the last refresh.
        self.needs: dict[int, SessionNeeds] = {}
        #: The first read's snapshot is on screen (the full one has not come yet).
        self._first_read = False
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

    def request_refresh(self, *, detail: bool = True) -> None:
        """Reload what the screen shows; requests made while loading collapse into one more.
        ``detail=False``: the open session is unchanged (the change feed says so), so its
        detail -- most of a refresh's queries -- is kept unless another request wants it."""
        self._detail_wanted = self._detail_wanted or detail
        self._refreshes.request()

    # Not exclusive: cancelling a query half-way on every poll could starve the refresh on a
    # busy database; instead one worker loops while refreshes keep being asked for.
    @screen_work(group="refresh")
    async def _refresh(self) -> None:
        while self._refreshes.take():
            keep = None if self._detail_wanted else self.detail
            self._detail_wanted = False
            with notified_errors(self, say=self._report_once) as attempt:
                snapshot = await self._first_or_fresh(keep)
            if attempt.failed:
                self._detail_wanted = True
            if attempt.failed:
                return
            self._last_error = None
            if not self.app.is_running:  # the app is closing: the widgets are going away
                return
            self._apply(snapshot)

    async def _first_or_fresh(self, keep: SessionDetail | None = None) -> Snapshot:
        """The snapshot started with the screen, if there is one and it came back; otherwise
        (none, failed, cancelled) a fresh one, which raises what went wrong as usual.
        ``keep``: the open session's detail as shown, still current (see request_refresh)."""
        first, self._first = self._first, None
        if isinstance(first, Snapshot):
            return first
        if first is not None:
            with contextlib.suppress(WorkerFailed, WorkerCancelled):
                return await first.wait()
        return await self.backend.snapshot(
            self.selected_id, neighbour=self._selected_index, keep=keep
        )

    def _report_once(self, message: str) -> None:
        if message != self._last_error:
            self._last_error = message
            self.notify(escape_log(message), severity="error", markup=False)

    def _apply(self, snapshot: Snapshot) -> None:
        if not snapshot.complete:
            self._apply_first_read(snapshot)
            return
        self._first_read = False
        on_screen = self.selected_id if self.is_current else None
        seen = self.agent_view
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
                    self._refreshes.wanted = True
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
        self.tell_presence_change(seen, snapshot.agent)
        self._tell_deliveries()
        self._raise_alerts(on_screen)
        self._mark_shown_read()

    def _apply_first_read(self, snapshot: Snapshot) -> None:
        """The first read's snapshot (the agent, the tabs and what each asks of the agent,
        read before the database layer has loaded): the status bar and the sessions on screen,
        the conversation loading until the full snapshot brings the first session's detail.
        No alerts or read markers from it (the full snapshot raises them, as at any start),
        and no deliveries: it knows nothing of them."""
        self.agent_view = snapshot.agent
        self.rows = snapshot.sessions
        self.needs = snapshot.needs
        self._first_read = True
        if self.rows:
            self._selected_index = min(self._selected_index, len(self.rows) - 1)
            self.selected_id = self.rows[self._selected_index].id
        self._refreshes.wanted = True  # the full snapshot (with that session's detail)
        self.show_presence(snapshot.agent)
        self._show_sessions()
        self.query_one("#body").loading = False
        self.query_one(ConversationPane).loading = True
        self.call_after_refresh(self.app.post_message, FirstReadShown())

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
        prefix = f"{session_label(session_id)} not marked read: "
        with notified_errors(self, prefix=prefix, say=self._report_once) as attempt:
            await self.backend.mark_read(session_id, upto)
        if attempt.failed:
            self._read_upto.pop(session_id, None)  # try again on the next refresh

    def _show_sessions(self) -> None:
        sessions = self.query_one(SessionList)
        sessions.border_title = f"My sessions ({len(self.rows)})"
        sessions.show_rows(
            self.rows,
            self.selected_id,
            {session_id: problem.worst for session_id, problem in self.deliveries.items()},
            needs=self._needs_as_read(),
            now=self.backend.now(),
            # The open session is being read (or, on the first read, about to be: its detail
            # comes with the full snapshot): nothing in it is unread.
            reading=self.selected_id if self.detail is not None or self._first_read else None,
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
            self.show_presence(agent)
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
            self.query_one(ConversationPane).loading = False
            self.post_message(ConsoleLoaded())
            self._offer_resume()
        self._refresh_keys()

    @property
    def feed_interest(self) -> Interest:
        """The agent's own sessions, meter and presence, and the open session whoever owns
        it: a change to another agent's session does not refresh this screen."""
        shown = frozenset({self.selected_id}) if self.selected_id is not None else frozenset()
        return Interest(agent_id=self.backend.agent_id, sessions=shown)

    def on_database_changed(self, message: DatabaseChanged) -> None:
        """Refresh when the change concerns this agent or the open session; the open
        session's detail only when it was touched, or the agent, the settings or anything
        else that is not one session (what an action may do depends on those)."""
        news = message.news
        if not news.concerns(self.feed_interest):
            return
        open_touched = news.resync or any(
            t.session_id is None or t.session_id == self.selected_id for t in news.touches
        )
        self.request_refresh(detail=open_touched)

    def on_transcript_text_wanted(self, message: Transcript.TextWanted) -> None:
        """Show more needs more of the open session's text than a refresh loads: load it."""
        self.backend.want_text(message.session_id, message.per_message, message.total)
        self.request_refresh()

    def on_screen_resume(self) -> None:
        if self._loaded:
            self.request_refresh()

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

"""Presence and logout (R5, R6): a part of :class:`.console.ConsoleScreen`.

Going Offline previews what happens to each session and asks first; logging out warns with
the sessions that will end. Both commit the End Chats waiting out their Undo time first.

A supervisor may set the agent's presence or log them out from the board (with a note): the
status bar says who ("Busy · set by sam", the note in its tooltip), the logged-out banner
says who and why, and a change that arrives while the console is open is told once in a
notification ("sam set you Busy: Coaching"). Nothing of it is markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.geometry import Offset
from textual.widgets import Static

from ...domain.presence import PresenceSeen, supervisor_notice
from ...domain.text import escape_log, one_line, plural
from ...domain.vocab import Presence, session_label
from ...services.views import EndOutcome
from ...services.wording import presence_outcome
from ..messages import PresenceClicked
from ..notify_errors import notified_errors
from ..screen_work import screen_work
from ..widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from ...services.views import AgentView
    from .presence_menu import PresenceChoice


if TYPE_CHECKING:
    from .console_host import ConsoleHost as _Host
else:
    _Host = object


LOGGED_OUT = (
    "You are logged out of Omni: no work is routed to you. Press {key} and choose Online "
    "to log back in."
)
#: How long a supervisor's notice stays up at least (the agent may be typing elsewhere).
NOTICE_SECONDS = 15.0


def _seen(agent: AgentView) -> PresenceSeen:
    return PresenceSeen(
        agent.presence.value,
        agent.away_reason,
        agent.logged_in,
        agent.presence_since,
        agent.presence_by,
        agent.presence_note,
    )


class PresenceActions(_Host):
    """The presence menu, presence changes and logout (a part of ConsoleScreen)."""

    def show_presence(self, agent: AgentView) -> None:
        """The status bar and the logged-out banner, as of ``agent``."""
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
            set_by=agent.presence_by,
            note=agent.presence_note,
        )
        banner = self.query_one("#logged-out-banner", Static)
        banner.display = not agent.logged_in
        if not agent.logged_in:
            text = LOGGED_OUT.format(key=self.key_for("presence_menu"))
            if agent.presence_by is not None:
                why = f": {agent.presence_note}" if agent.presence_note else ""
                text = one_line(f"{agent.presence_by} logged you out{why}.", 260) + " " + text
            banner.update(Content(text))

    def tell_presence_change(self, before: AgentView | None, after: AgentView) -> None:
        """A supervisor changed this agent's presence since the last refresh: say so once
        (never on the first refresh: the status bar says it then)."""
        notice = supervisor_notice(_seen(before) if before is not None else None, _seen(after))
        if notice is None:
            return
        self.notify(
            one_line(notice, 300),
            title="Your presence",
            severity="warning" if not after.logged_in else "information",
            timeout=max(self.app.NOTIFICATION_TIMEOUT, NOTICE_SECONDS),
            markup=False,
        )

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
            with notified_errors(self) as attempt:
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
        finally:
            self.request_refresh()
        if attempt.failed:
            return
        self.notify(presence_outcome(result), markup=False)

    def action_log_out(self) -> None:
        self._log_out()

    @screen_work(group="presence", exclusive=True)
    async def _log_out(self) -> None:
        from .logout import LogoutScreen

        try:
            with notified_errors(self) as attempt:
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
        finally:
            self.request_refresh()
        if attempt.failed:
            return
        ended = sum(1 for r in result.results if r.result is EndOutcome.ENDED)
        skipped = [r for r in result.results if r.result is not EndOutcome.ENDED]
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

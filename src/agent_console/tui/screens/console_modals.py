"""The console's other screens: the capacity ledger, macros, quick replies, admin settings,
transfer, and the offer to resume an End Sessions left unfinished (a part of
:class:`.console.ConsoleScreen`). Each screen's module loads when it is first opened.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

from textual.content import Content

from ...domain.ending import fmt_moment
from ...domain.text import escape_log
from ...domain.vocab import session_label
from ...services.wording import transfer_outcome
from ..messages import CapacityClicked
from ..notify_errors import notified_errors
from ..screen_work import screen_work
from ..widgets.conversation import ConversationPane

if TYPE_CHECKING:
    from ...services.views import BulkReport, TransferResult
    from .confirm import ConfirmScreen


if TYPE_CHECKING:
    from .console_host import ConsoleHost as _Host
else:
    _Host = object


class ConsoleModals(_Host):
    """The screens the console opens over itself (a part of ConsoleScreen)."""

    def action_ledger(self) -> None:
        self._open_ledger()

    def on_capacity_clicked(self, message: CapacityClicked) -> None:
        self.action_ledger()

    @screen_work(group="ledger", exclusive=True)
    async def _open_ledger(self) -> None:
        from .ledger import LedgerScreen

        with notified_errors(self) as attempt:
            ledger = await self.backend.ledger()
        if attempt.failed:
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

    def action_floor_board(self) -> None:
        from .floor_board import FloorBoardScreen

        self.app.push_screen(FloorBoardScreen(self.backend))

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
            self.notify(escape_log(transfer_outcome(result)), markup=False)
        self.request_refresh()

    @screen_work(group="resume-offer", exclusive=True)
    async def _offer_resume(self) -> None:
        """An End Sessions this agent left unfinished (quit, crash): Resume, or Later."""
        from .bulk_end import BulkEndScreen

        prefix = "unfinished End Sessions not checked: "
        with notified_errors(self, prefix=prefix, say=self._report_once) as attempt:
            unfinished = await self.backend.unfinished_bulks()
        if attempt.failed:
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

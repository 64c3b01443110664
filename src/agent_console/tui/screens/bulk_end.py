"""End Sessions from the list (R3, R11): preview, progress, per-row results, in one modal.

1. Preview: counts of what will end and what will be skipped (by kind of reason), and a window
   of rows, each "will end" or "will skip: reason", paged from the service.
2. Confirm (y, or a click on its button; Cancel has the focus, so enter ends nothing) runs
   the persisted bulk operation chunk by chunk (each chunk one transaction, so nothing is
   half-done) while a progress bar follows it; cancel changes nothing.
3. Results: counts of ended / skipped and a window of rows, each "ended" or "skipped: reason".

Quitting while it runs asks first (the app does); a yes stops it between two chunks, and the
rest is offered at the next start, when :meth:`BulkEndScreen.resuming` runs it from step 2.

Dismisses with the :class:`BulkReport` when it ran, else None.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, Literal

from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, Static
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from ...domain.errors import ConsoleError
from ..keymap import bound_key, bound_keys, with_key
from ..screen_work import screen_work
from ..widgets.outcome_lines import OutcomeLines

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from ...services.listing import Selection, Sort
    from ...services.views import (
        BulkPreviewSummary,
        BulkReport,
        OutcomeCount,
        OutcomePage,
        PageCursor,
    )
    from ..backend import ConsoleBackend

Phase = Literal["preview", "running", "results"]
LINES_PAGE = 100


def counts_content(counts: list[OutcomeCount]) -> Content:
    """One line per outcome: "  9,990  will end" / "     10  will skip: already ended"."""
    if not counts:
        return Content("Nothing selected.")
    width = max(len(f"{c.count:,}") for c in counts)
    lines = []
    for c in counts:
        good = c.will in ("end", "ended")
        lines.append(
            Content.assemble(
                (f"{c.count:>{width},}", "bold"),
                "  ",
                (c.text, "$text-success" if good else "$text-warning"),
            )
        )
    return Content("\n").join(lines)


def nothing_to_end(summary: BulkPreviewSummary) -> str:
    """ "Nothing to end: all 3 selected are skipped (2 already ended, 1 ...)"."""
    reasons = ", ".join(f"{c.count:,} {c.reason}" for c in summary.counts if c.will == "skip")
    everyone = "the 1 selected is" if summary.total == 1 else f"all {summary.total:,} selected are"
    return f"Nothing to end: {everyone} skipped ({reasons})" if reasons else "Nothing to end"


class BulkEndScreen(ModalScreen["BulkReport | None"]):
    CSS_PATH = "bulk_end.tcss"
    HELP_TITLE = "End Sessions (preview, progress, results)"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "End them", id="bulk-confirm-key", tooltip="End the sessions"),
        Binding("n,escape", "cancel", "Cancel / Close", id="bulk-cancel-key"),
    ]

    def __init__(
        self,
        backend: ConsoleBackend,
        selection: Selection | None,
        sort: Sort | None,
        *,
        expected: int | None = None,
        resume: BulkReport | None = None,
    ) -> None:
        super().__init__(id="bulk-end-screen")
        self.backend = backend
        self.selection = selection
        self.sort = sort
        self.expected = expected
        #: An unfinished operation to finish (no preview: it was confirmed when it started).
        self.resume = resume
        self.phase: Phase = "preview"
        self.summary: BulkPreviewSummary | None = None
        self.report: BulkReport | None = None
        self.result_counts: list[OutcomeCount] = []
        #: Rows done (ended or skipped) and the operation's rows, as the run last said.
        self.done = 0
        self.total = 0
        self._stop = False
        self._runner: Worker[None] | None = None
        self._cursor: PageCursor | None = None
        self._loading_lines = False

    @classmethod
    def resuming(cls, backend: ConsoleBackend, report: BulkReport) -> BulkEndScreen:
        """The screen finishing ``report``'s operation: progress, then the results."""
        return cls(backend, None, None, resume=report)

    def compose(self) -> ComposeResult:
        with Vertical(id="bulk-box"):
            selected = "the selection" if self.expected is None else f"{self.expected:,} selected"
            title = (
                f"End Sessions: checking {selected}…"
                if self.resume is None
                else f"Resuming End Sessions {self.resume.bulk_id}…"
            )
            yield Label(Content(title), id="bulk-title")
            yield Static("", id="bulk-counts")
            yield OutcomeLines(id="bulk-lines")
            with Horizontal(id="bulk-buttons"):
                yield Button(
                    with_key("End sessions", bound_key(self, "bulk-confirm-key")),
                    id="bulk-confirm",
                    variant="error",
                    disabled=True,
                )
                cancel_keys = bound_keys(self, "bulk-cancel-key")
                yield Button(with_key("Cancel", cancel_keys[0]), id="bulk-cancel")
                yield Button(with_key("Close", cancel_keys[-1]), id="bulk-close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#bulk-close").display = False
        self.query_one("#bulk-cancel", Button).focus()
        if self.resume is None:
            self._preview()
        else:
            self._runner = self._resume(self.resume)

    # ------------------------------------------------------------------ preview

    @screen_work(exclusive=True, group="bulk-preview")
    async def _preview(self) -> None:
        assert self.selection is not None and self.sort is not None
        try:
            summary = await self.backend.bulk_preview(self.selection)
            page = await self.backend.bulk_preview_lines(
                summary.selection, self.sort, limit=LINES_PAGE
            )
        except ConsoleError as exc:
            self._title(f"Cannot preview: {exc}")
            return
        self.summary = summary
        if summary.will_end == 0:
            self._title(nothing_to_end(summary))
        else:
            self._title(
                f"End Sessions: {summary.total:,} selected: {summary.will_end:,} will end, "
                f"{summary.will_skip:,} will be skipped"
            )
        self.query_one("#bulk-counts", Static).update(counts_content(summary.counts))
        self._show_page(page, first=True, empty="No session matches any more.")
        confirm = self.query_one("#bulk-confirm", Button)
        label = f"End {summary.will_end:,} session(s)" if summary.will_end else "Nothing to end"
        confirm.label = with_key(label, bound_key(self, "bulk-confirm-key"))
        confirm.disabled = summary.will_end == 0
        # Cancel keeps the focus: enter never ends sessions here, y or a click on the button do.

    def _show_page(self, page: OutcomePage, *, first: bool, empty: str = "") -> None:
        lines = self.query_one(OutcomeLines)
        self._cursor = page.next_cursor
        if first:
            lines.show(page.lines, page.next_cursor is not None, empty)
        else:
            lines.append(page.lines, page.next_cursor is not None)

    def on_outcome_lines_near_end(self, message: OutcomeLines.NearEnd) -> None:
        message.stop()
        if self._cursor is not None and not self._loading_lines:
            self._more_lines(self._cursor)

    @screen_work(group="bulk-lines")
    async def _more_lines(self, cursor: PageCursor) -> None:
        self._loading_lines = True
        try:
            if self.phase == "results" and self.report is not None:
                page = await self.backend.bulk_result_lines(self.report.bulk_id, cursor, LINES_PAGE)
            elif self.summary is not None and self.sort is not None:
                page = await self.backend.bulk_preview_lines(
                    self.summary.selection, self.sort, cursor, LINES_PAGE
                )
            else:
                return
        except ConsoleError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        finally:
            self._loading_lines = False
        if cursor == self._cursor:
            self._show_page(page, first=False)

    # ------------------------------------------------------------------ run

    def action_confirm(self) -> None:
        if self.phase != "preview":
            return
        if self.summary is not None and self.summary.will_end == 0:
            # Not a silent no-op: say why nothing happens.
            self.notify(nothing_to_end(self.summary), severity="warning", markup=False)
            return
        if not self.query_one("#bulk-confirm", Button).disabled:
            self._runner = self._run()

    @screen_work(exclusive=True, group="bulk-run")
    async def _run(self) -> None:
        assert self.summary is not None
        selection = self.summary.selection
        await self._execute(
            f"Ending {self.summary.will_end:,} session(s)…",
            0,
            self.summary.total,
            lambda: self.backend.bulk_run(selection, self._progress, stop=self._stopping),
        )

    @screen_work(exclusive=True, group="bulk-run")
    async def _resume(self, report: BulkReport) -> None:
        done = report.ended + report.skipped
        await self._execute(
            f"Resuming: {done:,} of {report.total:,} done…",
            done,
            report.total,
            lambda: self.backend.bulk_resume(report.bulk_id, self._progress, stop=self._stopping),
        )

    async def _execute(
        self, title: str, done: int, total: int, run: Callable[[], Awaitable[BulkReport]]
    ) -> None:
        """Run the operation with a progress bar, then show what happened to every row."""
        self.phase = "running"
        self.done, self.total = done, total
        self.query_one("#bulk-confirm").display = False
        self.query_one("#bulk-cancel").display = False
        # Mounted only now: the preview opens faster without it.
        bar = ProgressBar(id="bulk-progress", show_eta=False)
        await self.query_one("#bulk-box").mount(bar, before="#bulk-lines")
        bar.update(total=max(1, total), progress=done)
        self._title(title)
        try:
            report = await run()
            counts = await self.backend.bulk_result_counts(report.bulk_id)
            page = await self.backend.bulk_result_lines(report.bulk_id, limit=LINES_PAGE)
        except ConsoleError as exc:
            # Each chunk is its own transaction: what ended is ended, the rest untouched.
            self.phase = "results"
            self._title(f"Stopped: {exc}. Finished chunks are kept; nothing is half-ended.")
            self._show_close()
            return
        self.report = report
        self.result_counts = counts
        self.phase = "results"
        self.done = report.ended + report.skipped
        bar.update(total=max(1, report.total), progress=self.done)
        if report.pending:
            self._title(
                f"Stopped: {self.done:,} of {report.total:,} done ({report.ended:,} ended, "
                f"{report.skipped:,} skipped); the other {report.pending:,} are left as they "
                "were and offered for resuming at the next start"
            )
        else:
            self._title(f"Done: {report.ended:,} ended, {report.skipped:,} skipped")
        self.query_one("#bulk-counts", Static).update(counts_content(counts))
        self._show_page(page, first=True, empty="No rows.")
        self._show_close()

    def _progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        self.query_one("#bulk-progress", ProgressBar).update(total=max(1, total), progress=done)
        if not self._stop:
            self._title(f"Ending… {done:,} of {total:,} done")

    def _stopping(self) -> bool:
        return self._stop

    @property
    def running(self) -> bool:
        """Whether the operation is running (End Sessions confirmed, results not yet in)."""
        return self.phase == "running"

    async def stop(self) -> BulkReport | None:
        """Stop the run after the chunk in progress (each chunk is one transaction) and wait
        for it; the report says what was done and what is left."""
        self._stop = True
        if self.phase == "running":
            self._title(f"Stopping after the current chunk… {self.done:,} of {self.total:,} done")
        runner = self._runner
        if runner is not None:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await runner.wait()
        return self.report

    def _show_close(self) -> None:
        close = self.query_one("#bulk-close", Button)
        close.display = True
        close.focus()

    # ------------------------------------------------------------------ leaving

    def action_cancel(self) -> None:
        if self.phase == "preview":
            self.dismiss(None)
        elif self.phase == "results":
            self.dismiss(self.report)
        # While running there is no way out but the end: a chunk is never abandoned half-way.

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "bulk-confirm":
            self.action_confirm()
        elif event.button.id in ("bulk-cancel", "bulk-close"):
            self.action_cancel()

    def _title(self, text: str) -> None:
        self.query_one("#bulk-title", Label).update(Content(text))

    @property
    def lines_text(self) -> list[str]:
        return self.query_one(OutcomeLines).plain_lines

"""The console backend's calls for the Messaging Sessions list: pages, counts, the saved
view, the row menu, and bulk End Sessions (preview, run, resume, results).

A part of :class:`~.backend.ConsoleBackend` (its base class), kept apart because the list is
its own screen; like every backend call, each is a unit of work that runs to its end (the
wrapping is done once, in ``backend.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from datetime import datetime

from ..domain.vocab import Surface
from ..services import agents, bulk, ending, list_prefs, listing
from ..services.context import Ctx
from ..services.views import (
    BulkPreviewSummary,
    BulkReport,
    EndResult,
    OutcomeCount,
    OutcomePage,
    Page,
    PageCursor,
    RowMenu,
)

#: Sessions ended per transaction in a bulk end.
BULK_CHUNK = 2000


class SessionsListBackend:
    """The list's calls; the state they use is the console backend's."""

    ctx: Ctx
    agent: str
    _writes: asyncio.Lock
    _closing: bool

    def _stop_or_closing(self, stop: Callable[[], bool] | None) -> Callable[[], bool]:
        """A bulk end stops between two chunks when asked, or when the console closes."""
        return lambda: self._closing or (stop is not None and stop())

    def now(self) -> datetime:
        """The services' clock (injected in tests), for ages shown on screen."""
        return self.ctx.now()

    async def list_page(
        self,
        flt: listing.SessionFilter,
        sort: listing.Sort,
        cursor: PageCursor | None = None,
        limit: int = 200,
        *,
        before: PageCursor | None = None,
        from_end: bool = False,
    ) -> Page:
        return await listing.list_sessions(
            self.ctx,
            flt,
            sort=sort,
            cursor=cursor,
            limit=limit,
            before=before,
            from_end=from_end,
        )

    async def list_view(self) -> list_prefs.ListView:
        return await list_prefs.load_list_view(self.ctx, self.agent)

    async def save_list_view(self, view: list_prefs.ListView) -> None:
        await list_prefs.save_list_view(self.ctx, self.agent, view)

    async def count_sessions(self, flt: listing.SessionFilter) -> int:
        return await listing.count_sessions(self.ctx, flt)

    async def count_among(
        self, flt: listing.SessionFilter, ids: Collection[int]
    ) -> tuple[int, int]:
        """The count of ``flt``, and how many of ``ids`` it matches (one statement)."""
        return await listing.count_among(self.ctx, flt, ids)

    async def agent_names(self) -> list[str]:
        return [agent.name for agent in await agents.list_agents(self.ctx)]

    async def row_menu(self, session_id: int) -> RowMenu:
        return await listing.row_menu(self.ctx, session_id, as_agent=self.agent)

    async def end_row(self, session_id: int) -> EndResult:
        """End Session from a list row's menu (R3, R4)."""
        async with self._writes:
            return await ending.end_session(self.ctx, self.agent, session_id, Surface.ROW)

    async def bulk_preview(self, selection: listing.Selection) -> BulkPreviewSummary:
        return await bulk.preview_selection(self.ctx, self.agent, selection)

    async def bulk_preview_lines(
        self,
        selection: listing.Selection,
        sort: listing.Sort,
        cursor: PageCursor | None = None,
        limit: int = 100,
    ) -> OutcomePage:
        return await bulk.preview_lines(
            self.ctx, self.agent, selection, sort=sort, cursor=cursor, limit=limit
        )

    async def bulk_run(
        self,
        selection: listing.Selection,
        progress: Callable[[int, int], None],
        chunk: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> BulkReport:
        """Persist the bulk end of a (previewed, frozen) selection and run it chunk by chunk,
        each chunk its own transaction: a crash leaves every row untouched or fully ended.
        ``stop`` (asked between chunks) leaves the rest for :meth:`bulk_resume`."""
        async with self._writes:
            bulk_id = await bulk.start_selection(self.ctx, self.agent, selection)
            return await bulk.run_bulk(
                self.ctx,
                bulk_id,
                chunk=chunk or BULK_CHUNK,
                progress=progress,
                stop=self._stop_or_closing(stop),
            )

    async def bulk_resume(
        self,
        bulk_id: int,
        progress: Callable[[int, int], None],
        chunk: int | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> BulkReport:
        """Finish an unfinished bulk end (rows already done are not touched again)."""
        async with self._writes:
            return await bulk.run_bulk(
                self.ctx,
                bulk_id,
                chunk=chunk or BULK_CHUNK,
                progress=progress,
                stop=self._stop_or_closing(stop),
            )

    async def unfinished_bulks(self) -> list[BulkReport]:
        """This agent's bulk ends left unfinished (a quit, a crash), oldest first."""
        return [
            report for report in await bulk.unfinished_bulks(self.ctx, self.agent) if report.pending
        ]

    async def bulk_result_counts(self, bulk_id: int) -> list[OutcomeCount]:
        return await bulk.result_counts(self.ctx, bulk_id)

    async def bulk_result_lines(
        self, bulk_id: int, cursor: PageCursor | None = None, limit: int = 100
    ) -> OutcomePage:
        return await bulk.result_lines(self.ctx, bulk_id, cursor=cursor, limit=limit)

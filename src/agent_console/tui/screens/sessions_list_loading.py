"""How the list loads: page one and the count, more pages as the view nears either end, the
last page, and live refreshes that keep the view (a part of
:class:`.sessions_list.SessionsListScreen`).

The table is fed keyset pages from the service; the count is one ``COUNT(*)``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Button, Static

from ...domain.errors import ConsoleError
from ...domain.feed import Interest
from ...services.listing import cursor_after
from ..messages import DatabaseChanged
from ..notify_errors import notified_errors
from ..screen_work import screen_work
from ..widgets.filter_choice import FilterChoice
from ..widgets.session_table import SessionTable
from .sessions_list_filters import selection_text

if TYPE_CHECKING:
    from ...services.views import PageCursor

PAGE = 200
#: Live refreshes reload from the top while the view is within this many rows of it; further
#: down they reload the rows around the view only.
FULL_REFRESH_WITHIN = 1000
MARGIN = 100


if TYPE_CHECKING:
    from .sessions_list_host import ListHost as _Host
else:
    _Host = object


class ListLoading(_Host):
    """Loading pages, live refreshes and the counts (a part of SessionsListScreen)."""

    def reload(self) -> None:
        """Load page one for the current filter and sort (a new query: the view goes to the
        top); a live refresh keeps the view instead (see :meth:`request_live_refresh`)."""
        self._generation += 1
        if self._more is not None:
            self._more.cancel()
        self._reload(self._generation)

    @screen_work(exclusive=True, group="list-page")
    async def _reload(self, generation: int) -> None:
        """Rows first (they are what the agent waits for), then the count."""
        first, self._prefetch = self._prefetch, None
        if generation == 1:
            queries = await (first if first is not None else self._first_queries())
            self._show_view()
        else:
            if first is not None:
                first.cancel()
            queries = self._start_queries()
        page_query, count_query = queries
        try:
            with notified_errors(self) as attempt:
                page = await page_query
                if generation != self._generation:
                    return
                table = self.table
                table.reset("No sessions match these filters.")
                self.next_cursor = page.next_cursor
                self.prev_cursor = None
                table.show(page.rows, page.next_cursor is not None)
                if not self._loaded:
                    self._load_agents()  # for the owner choices; after the rows, not before
                self._loaded = True
                self.shown_generation = generation
                self._show_counts()
                total = await count_query
        finally:
            for query in queries:
                if not query.done():
                    query.cancel()
        if attempt.failed:
            return
        if generation == self._generation:
            self.total = total
            self._show_counts()
            self._save_if_wanted()

    @screen_work(group="list-agents")
    async def _load_agents(self) -> None:
        try:
            names = await self.backend.agent_names()
        except ConsoleError:
            return
        self._agents = sorted(set(names) | set(self._agents))
        self.query_one("#filter-owner", FilterChoice).set_choices(self._owner_choices())

    def on_session_table_near_end(self, message: SessionTable.NearEnd) -> None:
        message.stop()
        if self.next_cursor is not None and (self._more is None or self._more.is_finished):
            self._more = self._load_more(self._generation, self.next_cursor)

    @screen_work(group="list-more")
    async def _load_more(self, generation: int, cursor: PageCursor) -> None:
        with notified_errors(self) as attempt:
            page = await self.backend.list_page(self.flt, self.sort, cursor, PAGE)
        if attempt.failed:
            return
        if generation != self._generation or cursor != self.next_cursor:
            return
        self.next_cursor = page.next_cursor
        self.table.append(page.rows, page.next_cursor is not None)

    # Live: another console, the CLI or routing changed something.

    @property
    def feed_interest(self) -> Interest:
        """Every session: the count may change with any of them (the rows loaded are told
        apart in :meth:`on_database_changed`)."""
        return Interest(any_session=True)

    def on_database_changed(self, message: DatabaseChanged) -> None:
        """Reload the rows in view when a change touched one of the loaded rows (or says
        anything may have changed); when it touched only others, ask first whether any of
        them now matches the filter or the count moved (one statement), and reload only then."""
        news = message.news
        if not self._loaded or not news.concerns(self.feed_interest):
            return
        touched = news.sessions()
        if (
            news.resync
            or any(t.for_everyone for t in news.touches)
            or touched & {row.id for row in self.table.rows}
        ):
            self.request_live_refresh()
        elif touched:
            self._unseen |= touched
            self._check_unseen()

    @screen_work(group="list-unseen")
    async def _check_unseen(self) -> None:
        """Changes to sessions the list has not loaded: a reload if one of them now matches
        the filter (it may belong among the rows in view) or the count moved."""
        while self._unseen:
            touched, self._unseen = self._unseen, set()
            generation = self._generation
            with notified_errors(self) as attempt:
                total, matching = await self.backend.count_among(self.flt, touched)
            if attempt.failed or generation != self._generation:
                return
            if matching or total != self.total:
                self.request_live_refresh()

    def on_screen_resume(self) -> None:
        if self._loaded:
            self.request_live_refresh()

    def request_live_refresh(self) -> None:
        self._live.request()

    @screen_work(group="list-live")
    async def _live_refresh(self) -> None:
        """Reload the rows in view (and above, near the top) and the count; the selection,
        the cursor's session and the scroll position stay."""
        while self._live.take():
            if not self._loaded:
                return
            generation = self._generation
            table = self.table
            if table.has_less:
                await self._refresh_tail(generation)
                continue
            view_top = table.top_row
            start = 0 if view_top < FULL_REFRESH_WITHIN else view_top - MARGIN
            start = min(start, len(table.rows))
            cursor = cursor_after(self.sort, table.rows[start - 1]) if start else None
            wanted = (view_top - start) + table.scrollable_content_region.height + MARGIN
            limit = max(PAGE, min(wanted, 1000))
            with notified_errors(self) as attempt:
                page, total = await asyncio.gather(
                    self.backend.list_page(self.flt, self.sort, cursor, limit),
                    self.backend.count_sessions(self.flt),
                )
            if attempt.failed:
                return
            if generation != self._generation:
                return  # a new query is on its way; it shows fresh rows anyway
            self.next_cursor = page.next_cursor
            table.show(page.rows, page.next_cursor is not None, top=start)
            self.total = total
            self._show_counts()

    async def _refresh_tail(self, generation: int) -> None:
        """A live refresh of rows loaded from the end: the same number of rows from the end."""
        limit = max(PAGE, min(len(self.table.rows), 1000))
        with notified_errors(self) as attempt:
            page, total = await asyncio.gather(
                self.backend.list_page(self.flt, self.sort, None, limit, from_end=True),
                self.backend.count_sessions(self.flt),
            )
        if attempt.failed:
            return
        if generation != self._generation:
            return
        self.next_cursor, self.prev_cursor = None, page.prev_cursor
        self.table.show(page.rows, False, has_less=page.prev_cursor is not None)
        self.total = total
        self._show_counts()

    # Jumps: the last page (keyset from the end) and back to the first.

    def action_last_page(self) -> None:
        self._generation += 1
        for worker in (self._more, self._less):
            if worker is not None:
                worker.cancel()
        self._load_last(self._generation)

    @screen_work(exclusive=True, group="list-page")
    async def _load_last(self, generation: int) -> None:
        with notified_errors(self) as attempt:
            page = await self.backend.list_page(self.flt, self.sort, None, PAGE, from_end=True)
        if attempt.failed:
            return
        if generation != self._generation:
            return
        self.next_cursor, self.prev_cursor = None, page.prev_cursor
        table = self.table
        table.reset("No sessions match these filters.")
        table.show(page.rows, False, has_less=page.prev_cursor is not None)
        table.move_cursor(len(page.rows) - 1)
        self.shown_generation = generation

    def action_first_page(self) -> None:
        if self.table.has_less:
            self.reload()
        else:
            self.table.move_cursor(0)

    def on_session_table_near_start(self, message: SessionTable.NearStart) -> None:
        message.stop()
        if self.prev_cursor is not None and (self._less is None or self._less.is_finished):
            self._less = self._load_less(self._generation, self.prev_cursor)

    @screen_work(group="list-less")
    async def _load_less(self, generation: int, cursor: PageCursor) -> None:
        with notified_errors(self) as attempt:
            page = await self.backend.list_page(self.flt, self.sort, None, PAGE, before=cursor)
        if attempt.failed:
            return
        if generation != self._generation or cursor != self.prev_cursor:
            return
        self.prev_cursor = page.prev_cursor
        self.table.prepend(page.rows, page.prev_cursor is not None)

    def _show_counts(self) -> None:
        total = self.total
        matching = "counting…" if total is None else f"{total:,} matching"
        title = Content.assemble(
            ("Messaging Sessions", "bold"),
            "  ",
            (matching, "$text-accent"),
            "  ·  ",
            selection_text(self.selection, total),
        )
        self.query_one("#list-title", Static).update(title)
        label = "Select all" if total is None else f"Select all {total:,}"
        self.query_one("#select-matching", Button).label = Content(label)
        self.table.refresh()

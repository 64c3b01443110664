"""What the list's parts may use of the list: for the type checker only.

The parts of :class:`.sessions_list.SessionsListScreen` (:mod:`.sessions_list_filters`,
:mod:`.sessions_list_loading`, :mod:`.sessions_list_actions`) are plain classes at runtime.
For mypy each derives from :class:`ListHost`: a Screen with the list's state and the methods
one part calls on another, declared here with their real signatures (the screen and the
parts define them; mypy checks that they match).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from datetime import tzinfo

    from textual.timer import Timer
    from textual.worker import Worker

    from ...services.listing import SessionFilter, Sort
    from ...services.views import Page, PageCursor
    from ..backend import ConsoleBackend
    from ..refresh_loop import RefreshLoop
    from ..selection import ListSelection
    from ..widgets.session_table import SessionTable


class ListHost(Screen[None]):
    """The list as its parts see it (never instantiated, never imported at runtime)."""

    backend: ConsoleBackend
    _tz: tzinfo | None
    _choices: dict[str, str]
    _agents: list[str]
    _search: str
    _search_timer: Timer | None
    flt: SessionFilter
    sort: Sort
    selection: ListSelection
    total: int | None
    next_cursor: PageCursor | None
    prev_cursor: PageCursor | None
    _generation: int
    shown_generation: int
    _loaded: bool
    _live: RefreshLoop
    _unseen: set[int]
    _more: Worker[None] | None
    _less: Worker[None] | None
    _prefetch: asyncio.Future[tuple[asyncio.Future[Page], asyncio.Future[int]]] | None

    # The screen's own (sessions_list.py).
    @property
    def table(self) -> SessionTable:
        raise NotImplementedError

    async def _first_queries(self) -> tuple[asyncio.Future[Page], asyncio.Future[int]]:
        raise NotImplementedError

    def _start_queries(self) -> tuple[asyncio.Future[Page], asyncio.Future[int]]:
        raise NotImplementedError

    def _show_view(self) -> None:
        raise NotImplementedError

    def _save_view(self) -> None:
        raise NotImplementedError

    def _save_if_wanted(self) -> None:
        raise NotImplementedError

    def _owner_choices(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    # sessions_list_filters.py
    def set_owner(self, name: str | None) -> None:
        raise NotImplementedError

    def set_sort(self, sort: Sort) -> None:
        raise NotImplementedError

    def action_reverse_sort(self) -> None:
        raise NotImplementedError

    def action_close(self) -> None:
        raise NotImplementedError

    # sessions_list_loading.py
    def reload(self) -> None:
        raise NotImplementedError

    def request_live_refresh(self) -> None:
        raise NotImplementedError

    def _show_counts(self) -> None:
        raise NotImplementedError

"""One refresh at a time, and one more when another was asked for meanwhile.

A screen owns a :class:`RefreshLoop` over its refresh worker: :meth:`RefreshLoop.request`
starts the worker unless it is running, and the worker loops ``while loop.take():``, so the
requests made while it ran collapse into one more round instead of cancelling a query
half-way (which, on every poll of a busy database, could starve the refresh).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.worker import Worker


class RefreshLoop:
    """The "refresh while one is wanted" loop of a screen."""

    def __init__(self, start: Callable[[], Worker[None]]) -> None:
        """``start`` starts the screen's refresh worker (which loops on :meth:`take`)."""
        self._start = start
        self._worker: Worker[None] | None = None
        #: A refresh was asked for and no round has started since.
        self.wanted = False

    def request(self) -> None:
        """Ask for a refresh: the worker starts, or the running one goes round once more."""
        self.wanted = True
        if self._worker is None or self._worker.is_finished:
            self._worker = self._start()

    def take(self) -> bool:
        """In the worker: whether to go round (again), taking the request."""
        wanted, self.wanted = self.wanted, False
        return wanted

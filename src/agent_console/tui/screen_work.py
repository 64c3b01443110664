"""``screen_work``: Textual's ``@work`` for a screen's async methods, quiet once the screen is gone.

A worker that waits on the database can answer after its screen was closed, or while the app
exits; updating widgets then raises (``NoMatches``, ``NoScreen``...). Nobody is there to see
that answer, and the services' writes are whole transactions either way, so the worker stops
quietly. While the screen is up in a running app, every error is raised as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from functools import wraps
from typing import Any, TypeVar

from textual import work
from textual.dom import DOMNode
from textual.screen import Screen

R = TypeVar("R")
Method = Callable[..., Coroutine[Any, Any, R]]


def quiet_when_gone(method: Method[R]) -> Method[R | None]:
    """The coroutine method, with its errors dropped when ``self`` is no longer in the DOM."""

    @wraps(method)
    async def guarded(self: DOMNode, *args: Any, **kwargs: Any) -> R | None:
        try:
            return await method(self, *args, **kwargs)
        except Exception:
            if _still_shown(self):
                raise
            return None

    return guarded


def _still_shown(node: DOMNode) -> bool:
    """On a screen of the screen stack of an app that is still running.

    Each part matters: shutting down clears ``is_running`` before it removes the screens
    (``is_attached`` still holds), and a popped screen leaves the stack before its children
    are removed (so a query can fail while the screen is still attached).
    """
    try:
        app = node.app
        screen = node if isinstance(node, Screen) else node.screen
        return node.is_attached and app.is_running and screen in app.screen_stack
    except Exception:  # no active app, or no screen any more
        return False


def screen_work(**options: Any) -> Callable[[Method[R]], Callable[..., Any]]:
    """``@work(**options)`` over :func:`quiet_when_gone`."""

    def decorate(method: Method[R]) -> Callable[..., Any]:
        # ``work`` is overloaded on its arguments; with ``**options`` mypy cannot pick one.
        as_worker: Callable[[Method[R | None]], Callable[..., Any]] = work(**options)
        return as_worker(quiet_when_gone(method))

    return decorate

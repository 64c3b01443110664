"""A :class:`ConsoleError` told to the agent in one notification, the same way everywhere.

``with notified_errors(screen) as attempt:`` runs the block; a ConsoleError (or another of
``types``) raised in it becomes one error notification -- its text escaped through
:func:`escape_log`, never read as markup -- and is not raised further; ``attempt.failed``
then says so (the caller returns, puts a draft back, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..domain.errors import ConsoleError
from ..domain.text import escape_log

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget


class Attempt:
    """What a :func:`notified_errors` block came to."""

    def __init__(self) -> None:
        self.error: Exception | None = None

    @property
    def failed(self) -> bool:
        """Whether the block raised (and the error was told)."""
        return self.error is not None


def notify_error(node: Widget | App[Any], text: str) -> None:
    """One error notification of ``text`` (escaped, no markup)."""
    node.notify(escape_log(text), severity="error", markup=False)


@contextmanager
def notified_errors(
    node: Widget | App[Any],
    *,
    types: tuple[type[Exception], ...] = (ConsoleError,),
    prefix: str = "",
    say: Callable[[str], None] | None = None,
) -> Iterator[Attempt]:
    """Tell an error of ``types`` raised in the block (``prefix`` first) and swallow it.

    ``say`` tells it instead of a plain error notification (e.g. once per distinct text)."""
    attempt = Attempt()
    try:
        yield attempt
    except types as exc:
        attempt.error = exc
        text = f"{prefix}{exc}"
        if say is not None:
            say(text)
        else:
            notify_error(node, text)

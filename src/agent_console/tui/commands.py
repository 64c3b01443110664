"""Command palette providers: dynamic items such as "Open session S-12".

The palette parses hit text as markup (``Matcher.highlight``); customer names are therefore put
into :class:`Content` literally here and highlighted by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol, runtime_checkable

from textual.command import Hit, Hits, Matcher, Provider
from textual.content import Content

from ..domain.text import one_line


@runtime_checkable
class SessionSource(Protocol):
    """A screen that can list sessions to open and open one."""

    def palette_sessions(self) -> Sequence[tuple[int, str, str, str]]:
        """(id, label, customer, channel and status) for every session it can open."""
        ...

    def open_session(self, session_id: int) -> None: ...


def literal_highlight(matcher: Matcher, candidate: str) -> Content:
    """Like ``Matcher.highlight`` but ``candidate`` is never read as markup."""
    content = Content(candidate)
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    if not score:
        return content
    for offset in offsets:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class OpenSessionProvider(Provider):
    """Every session the current screen lists, as "Open session S-12 · customer"."""

    async def search(self, query: str) -> Hits:
        screen = self.screen
        if not isinstance(screen, SessionSource):
            return
        matcher = self.matcher(query)
        for session_id, label, customer, detail in screen.palette_sessions():
            text = f"Open session {label} · {one_line(customer, 40)}"
            score = matcher.match(text)
            if score <= 0:
                continue
            command: Callable[[], None] = partial(screen.open_session, session_id)
            yield Hit(
                score,
                literal_highlight(matcher, text),
                command,
                text=text,
                # The help line is parsed as markup too: keep customer text out of it.
                help=detail if _is_plain(detail) else None,
            )


def _is_plain(text: str) -> bool:
    return "[" not in text and "]" not in text

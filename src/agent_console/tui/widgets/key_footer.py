"""A footer that keeps the keys an agent needs most when the terminal is narrow.

Textual's :class:`~textual.widgets.Footer` shows the bindings in the order the screens and the
app declare them, and at 80 columns cuts off whatever does not fit -- on the console that was
f3 (the Messaging Sessions list) and f1 (Help). :class:`KeyFooter` puts the actions named in
``first`` first, in that order; below ``narrow_below`` columns it goes compact and leaves out
the actions named in ``narrow_hidden`` (their keys still work, and Help and the command palette
still list them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from textual import events
from textual.widgets._footer import FooterKey

from .footer import Footer

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.widget import Widget

#: Below this many columns the footer is compact and leaves out ``narrow_hidden``.
NARROW_BELOW = 100


class KeyFooter(Footer):
    def __init__(
        self,
        *,
        first: Sequence[str] = (),
        narrow_hidden: Iterable[str] = (),
        narrow_below: int = NARROW_BELOW,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.first = tuple(first)
        self.narrow_hidden = frozenset(narrow_hidden)
        self.narrow_below = narrow_below
        self._narrow: bool | None = None

    @property
    def narrow(self) -> bool:
        width = self.size.width or self.app.size.width
        return width < self.narrow_below

    def compose(self) -> ComposeResult:
        narrow = self.narrow
        self._narrow = narrow
        self.compact = narrow
        widgets: list[Widget] = list(super().compose())
        keys = [
            w for w in widgets if isinstance(w, FooterKey) and not w.has_class("-command-palette")
        ]
        if narrow:
            keys = [w for w in keys if w.action not in self.narrow_hidden]
        order = {action: n for n, action in enumerate(self.first)}
        keys.sort(key=lambda w: order.get(w.action, len(order)))
        rest = [
            w for w in widgets if not isinstance(w, FooterKey) or w.has_class("-command-palette")
        ]
        yield from keys
        yield from rest

    def _look(self) -> object:
        return self.narrow  # compose sets compact from it

    def on_resize(self, event: events.Resize) -> None:
        if self._narrow is not None and self.narrow != self._narrow:
            self.call_after_refresh(self.recompose)

    @property
    def shown_actions(self) -> list[str]:
        """The actions whose keys the footer shows, in order (for tests)."""
        return [w.action for w in self.query(FooterKey) if not w.has_class("-command-palette")]

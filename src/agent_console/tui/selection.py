"""Which list rows End Sessions acts on, kept apart from the table that shows them.

Two modes: sessions picked one by one (their ids), or "all matching this filter" (no ids at
all: the service expands the filter; rows unpicked since are remembered as exceptions). A
range (shift+up/down) is applied on top of the selection as it was when the range began, so
moving back towards the anchor unpicks what the range had picked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from ..services.listing import Selection, SessionFilter


class ListSelection:
    def __init__(self) -> None:
        self.all_matching = False
        self.picked: set[int] = set()
        self.unpicked: set[int] = set()
        #: Row index where the current range began (None: no range in progress).
        self.anchor: int | None = None
        self._base: tuple[set[int], set[int]] | None = None

    # ------------------------------------------------------------------ questions

    def is_selected(self, session_id: int) -> bool:
        if self.all_matching:
            return session_id not in self.unpicked
        return session_id in self.picked

    def count(self, matching: int | None) -> int:
        """How many sessions are selected, given how many match the filter now."""
        if self.all_matching:
            return max(0, (matching or 0) - len(self.unpicked))
        return len(self.picked)

    def is_empty(self, matching: int | None) -> bool:
        """Nothing selected; "all matching" while the count is still unknown is not empty."""
        if self.all_matching and matching is None:
            return False
        return self.count(matching) == 0

    def for_service(self, flt: SessionFilter) -> Selection:
        """What the services act on: the picked ids, or the filter minus the unpicked."""
        if self.all_matching:
            return Selection(flt=replace(flt, exclude_ids=tuple(sorted(self.unpicked))))
        return Selection(ids=tuple(sorted(self.picked)))

    # ------------------------------------------------------------------ changes

    def set(self, session_id: int, selected: bool) -> None:
        self.end_range()
        self._set(session_id, selected)

    def _set(self, session_id: int, selected: bool) -> None:
        if self.all_matching:
            (self.unpicked.discard if selected else self.unpicked.add)(session_id)
        else:
            (self.picked.add if selected else self.picked.discard)(session_id)

    def toggle(self, session_id: int) -> bool:
        """Flip one row; returns whether it is selected now."""
        selected = not self.is_selected(session_id)
        self.set(session_id, selected)
        return selected

    def select(self, session_ids: Iterable[int]) -> None:
        self.end_range()
        for session_id in session_ids:
            self._set(session_id, True)

    def select_all_matching(self) -> None:
        self.end_range()
        self.all_matching = True
        self.picked.clear()
        self.unpicked.clear()

    def clear(self) -> None:
        self.end_range()
        self.all_matching = False
        self.picked.clear()
        self.unpicked.clear()

    # ------------------------------------------------------------------ ranges

    def begin_range(self, anchor: int) -> None:
        if self.anchor is None:
            self.anchor = anchor
            self._base = (set(self.picked), set(self.unpicked))

    def apply_range(self, session_ids: Iterable[int]) -> None:
        """Selection = as it was when the range began, plus every row of the range."""
        assert self._base is not None, "begin_range first"
        picked, unpicked = self._base
        self.picked, self.unpicked = set(picked), set(unpicked)
        for session_id in session_ids:
            self._set(session_id, True)

    def end_range(self) -> None:
        self.anchor = None
        self._base = None

"""The seed's customers: fresh names, or returning customers whose sessions never overlap."""

from __future__ import annotations

from collections.abc import Callable

from .texts import FIRST_NAMES, LAST_NAMES


class CustomerPool:
    """Customers picked with the planner's ``random`` draws (in the same order, so a seed is
    reproducible); ``names[i]`` is customer ``i``, with their first name and an order number."""

    def __init__(self, r: Callable[[], float], taken: set[str]) -> None:
        self.r = r
        self.taken = taken  # names in the database already, and every name given out
        self.names: list[str] = []
        self.firsts: list[str] = []
        self.orders: list[str] = []
        self.live_pairs: dict[tuple[int, str], int] = {}
        self.ended_until: dict[tuple[int, str], int] = {}
        self.size = 1  # returning customers only once there are this many

    def pick(self, seq: str | tuple[str, ...]) -> str:
        return seq[int(self.r() * len(seq))]

    def _new_customer(self) -> int:
        first, last = self.pick(FIRST_NAMES), self.pick(LAST_NAMES)
        name = f"{first} {last}"
        if name in self.taken:
            base = f"{first} {self.pick('ABCDEFGHJKLMNPRSTVW')}. {last}"
            name, n = base, 2
            while name in self.taken:
                name = f"{base} ({n})"
                n += 1
        self.taken.add(name)
        self.names.append(name)
        self.firsts.append(first)
        self.orders.append(f"#{100000 + int(self.r() * 900000)}")
        return len(self.names) - 1

    def for_session(self, channel_id: str, start: int, end: int | None) -> int:
        """A customer for a session on the channel from ``start`` to ``end`` (None: live).

        At most one live session per customer and channel, and no session of theirs on that
        channel overlaps a live one (an ended session is never reopened).
        """
        idx = -1
        if len(self.names) >= self.size:
            for _ in range(3):
                pick = int(self.r() * len(self.names))
                key = (pick, channel_id)
                live_since = self.live_pairs.get(key)
                if end is None:
                    ok = live_since is None and self.ended_until.get(key, start) <= start
                else:
                    ok = live_since is None or end < live_since
                if ok:
                    idx = pick
                    break
        if idx < 0:
            idx = self._new_customer()
        key = (idx, channel_id)
        if end is None:
            self.live_pairs[key] = start
        elif end > self.ended_until.get(key, 0):
            self.ended_until[key] = end
        return idx

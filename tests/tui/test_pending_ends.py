"""End Chat's Undo time, without a console: due times, seconds left, undo, taking them out."""

from __future__ import annotations

from datetime import timedelta

from agent_console.tui.pending_ends import PendingEnds
from conftest import T0


def test_each_session_counts_down_from_its_own_press() -> None:
    pending = PendingEnds(5)
    pending.start(1, T0)
    pending.start(2, T0 + timedelta(seconds=2))
    pending.start(1, T0 + timedelta(seconds=4))  # pressed again: the first due time stays
    at = T0 + timedelta(seconds=3.2)
    assert (pending.seconds_left(1, at), pending.seconds_left(2, at)) == (2, 4)
    assert pending.seconds_left(3, at) is None
    assert pending.take_due(T0 + timedelta(seconds=4.9)) == []
    assert pending.take_due(T0 + timedelta(seconds=5)) == [1]
    assert pending.ids == [2]


def test_undo_takes_it_out_and_newest_is_the_last_pressed() -> None:
    pending = PendingEnds(5)
    for sid in (4, 9, 7):
        pending.start(sid, T0)
    assert pending.newest() == 7
    assert pending.cancel(7) and not pending.cancel(7)
    assert pending.newest() == 9 and 9 in pending and 7 not in pending
    assert pending.take_all() == [4, 9]
    assert not pending and pending.newest() is None
    assert pending.take_due(T0 + timedelta(hours=1)) == []

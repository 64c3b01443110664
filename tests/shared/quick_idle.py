"""Textual's "the app is idle" test looks at 5 ms windows in the suite instead of 20 ms.

``Pilot.press`` waits after every key until the process looks idle (``textual._wait``
``wait_for_idle``: sleep a window, and stop once a window went by with under 5% of it spent
on the CPU, this process's threads included), twice per key; ``Pilot.pause()`` waits the same
way. Each wait is at least one window, so with Textual's 20 ms a typed word of 18 letters
slept at least 0.7 s, and one file of list tests spent 32 of its 55 s in these waits
(``tests/tui/test_sessions_list.py``, alone, 2026-12-04). ``quick_idle_windows`` keeps the
rule (under 5% of a window on the CPU) and shortens the window to 5 ms: the waits still last
for as long as the app works, and end sooner once it has stopped. tests/tui took 204 s
instead of 253 s on three workers, all passing. The product is untouched: only the test
pilot waits on these.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from textual import _wait

#: Seconds per window, and the CPU seconds under which a window counts as idle (5%).
WINDOW = 1 / 200
IDLE = WINDOW / 20.0


@contextmanager
def quick_idle_windows() -> Iterator[None]:
    before = _wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE
    _wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE = WINDOW, IDLE
    try:
        yield
    finally:
        _wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE = before

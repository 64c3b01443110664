"""The garbage collector's pauses during a stretch of a test, to tell a timing failure's cause.

A worker that has run hundreds of apps holds a few hundred thousand objects, and its full
collections (``gc.set_threshold`` in tests/conftest.py) free the garbage of many tests at
once: 1.2-3.7 s each, measured with the suite's three workers on two cores. One landing
inside a wall-clock bound is the worker's history, not the code under test.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any


@dataclass
class CollectorPauses:
    """While entered: each collection's generation and duration (``gc.callbacks``)."""

    pauses: list[tuple[int, float]] = field(default_factory=list)
    _started: float = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))

    def __enter__(self) -> CollectorPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        """One line per generation: how many collections, their total and longest time."""
        lines = []
        for generation in (0, 1, 2):
            times = [t for g, t in self.pauses if g == generation]
            if times:
                lines.append(
                    f"generation {generation}: {len(times)} collections, "
                    f"{sum(times) * 1000:.1f} ms in all, longest {max(times) * 1000:.1f} ms"
                )
        return "\n".join(lines) or "no collection"

"""What every service needs: the database and a clock (injected, so tests fix time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..store.engine import Database


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Ctx:
    db: Database
    clock: Callable[[], datetime] = field(default=system_clock)

    def now(self) -> datetime:
        return self.clock()

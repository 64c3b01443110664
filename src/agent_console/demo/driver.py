"""Keeps the demo alive while the console is up: one tick of the demo world every few seconds.

The world (``demo/world.py``) writes through the same services as anyone else, on the
console's own database and clock; the console sees its changes through the usual poll, so a
customer's line appears in the open conversation without a key press. Off unless asked for:
``make_app(..., demo=DemoDriver(seed))`` (``agent-console demo`` does). The console knows it
only as a :class:`~agent_console.tui.extras.DemoTicker`.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from ..domain.errors import ConsoleError
from ..domain.text import escape_log

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer
    from textual.worker import Worker

    from ..tui.backend import ConsoleBackend
    from .world import DemoWorld, Pace

#: Seconds between ticks: with at most one customer line per tick, a readable pace.
TICK_SECONDS = 3.0
#: How many of the world's recent lines the driver keeps (for the log and for tests).
KEEP_LINES = 500


class DemoDriver:
    """Ticks a :class:`~agent_console.demo.world.DemoWorld` in a worker, every ``interval``."""

    def __init__(
        self, seed: int = 1, *, interval: float = TICK_SECONDS, pace: Pace | None = None
    ) -> None:
        self.seed = seed
        self.interval = interval
        self.pace = pace
        self.lines: deque[str] = deque(maxlen=KEEP_LINES)
        self.ticks = 0
        self._app: App[Any] | None = None
        self._backend: ConsoleBackend | None = None
        self._world: DemoWorld | None = None
        self._timer: Timer | None = None
        self._worker: Worker[None] | None = None

    def start(self, app: App[Any], backend: ConsoleBackend) -> None:
        """Start ticking (the console calls this once its database is open): now, then every
        ``interval`` seconds."""
        if self._timer is not None:
            return
        self._app = app
        self._backend = backend
        self._tick()
        self._timer = app.set_interval(self.interval, self._tick)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self._worker is not None and not self._worker.is_finished:
            self._worker.cancel()

    def _tick(self) -> None:
        # A tick still waiting on the database makes this one a no-op rather than a pile-up.
        if self._app is None or (self._worker is not None and not self._worker.is_finished):
            return
        # The function, not a coroutine made now: a worker the closing app never starts then
        # leaves no coroutine that was never awaited.
        self._worker = self._app.run_worker(
            self._run, name="demo world", group="demo", exit_on_error=False
        )

    async def _run(self) -> None:
        backend, app = self._backend, self._app
        assert backend is not None and app is not None
        if self._world is None:
            # The services are loaded by now (the backend is open): this import is cheap.
            from .world import DemoWorld

            self._world = DemoWorld(backend.ctx, self.seed, agent=backend.agent, pace=self.pace)
        try:
            world = self._world
            # Through the backend: a tick cut by the console's closing still ends as a whole.
            lines = await backend.run(lambda ctx: world.tick(ctx.now()))
        except ConsoleError as exc:  # e.g. the database is locked for a moment: next tick
            app.log.warning(escape_log(f"demo tick failed: {exc}"))
            return
        self.ticks += 1
        for line in lines:
            self.lines.append(line)
            app.log.info(escape_log(f"demo: {line}"))

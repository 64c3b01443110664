"""The console's backend while its database opens behind the first screen.

When the first read (``services.first_screen``) has drawn the agent's sessions, the console
screen is up before the services (SQLAlchemy: ~0.4 s of imports) have loaded. It is handed
this stand-in: what the screen reads at once (the agent, the clock, the deployment's zone and
away reasons) it answers from the first read; every other call waits for the real
:class:`~.backend.ConsoleBackend` and is then made on it, so a key pressed meanwhile is
answered once the database is open, never refused or lost. Once open, every attribute is the
real backend's. Nothing here imports the database layer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from ..domain.ending import Actor, end_line
from ..domain.vocab import ActorKind

if TYPE_CHECKING:
    from .backend import ConsoleBackend


class OpeningBackend:
    """Stands for the console's backend until :meth:`opened` (or :meth:`failed`)."""

    def __init__(
        self,
        agent: str,
        agent_id: int,
        *,
        clock: Callable[[], datetime] | None,
        zone: tzinfo,
        away_reasons: tuple[str, ...],
    ) -> None:
        self.agent = agent
        self.agent_id = agent_id
        self._clock = clock
        self._zone = zone
        self._away_reasons = away_reasons
        self._real: asyncio.Future[ConsoleBackend] = asyncio.get_running_loop().create_future()
        #: The text window asked for before the backend opened (``want_text``).
        self._text_window: tuple[int, int, int] | None = None

    # ------------------------------------------------------------------ the opening

    @property
    def backend(self) -> ConsoleBackend | None:
        """The real backend, once it is open."""
        if self._real.done() and not self._real.cancelled() and self._real.exception() is None:
            return self._real.result()
        return None

    def opened(self, backend: ConsoleBackend) -> None:
        if self._text_window is not None:
            backend.want_text(*self._text_window)
        self._real.set_result(backend)

    def failed(self, error: BaseException) -> None:
        """The database did not open: the calls waiting (and any made later) raise
        ``error``; the app says what went wrong on its error screen."""
        if not self._real.done():
            self._real.set_exception(error)
            self._real.exception()  # retrieved: nobody may be waiting

    # ---------------------------------------------------------- what the screen reads at once

    @property
    def deployment_zone(self) -> tzinfo:
        real = self.backend
        return real.deployment_zone if real is not None else self._zone

    @property
    def away_reasons(self) -> tuple[str, ...]:
        real = self.backend
        return real.away_reasons if real is not None else self._away_reasons

    def now(self) -> datetime:
        real = self.backend
        if real is not None:
            return real.now()
        return self._clock() if self._clock is not None else datetime.now(UTC)

    def end_line_now(self, *, logout: bool = False) -> str:
        real = self.backend
        if real is not None:
            return real.end_line_now(logout=logout)
        kind = ActorKind.LOGOUT if logout else ActorKind.AGENT
        return end_line(Actor(kind, self.agent), self.now(), self._zone)

    def want_text(self, session_id: int, per_message: int, total: int) -> None:
        real = self.backend
        if real is not None:
            real.want_text(session_id, per_message, total)
        else:
            self._text_window = (session_id, per_message, total)

    # ------------------------------------------------------------------ everything else

    def __getattr__(self, name: str) -> Any:
        """Anything else is a call of the real backend's (its public methods other than the
        ones above are coroutines): made on it once it is open."""
        if name.startswith("_"):
            raise AttributeError(name)
        real = self.backend
        if real is not None:
            return getattr(real, name)

        async def when_open(*args: Any, **kwargs: Any) -> Any:
            backend = await asyncio.shield(self._real)
            return await getattr(backend, name)(*args, **kwargs)

        return when_open

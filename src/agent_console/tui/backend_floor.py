"""The console backend's calls for the supervisor board: the floor, and what a supervisor
does to an agent from it (presence, logout with a reason, their sessions).

A part of :class:`~.backend.ConsoleBackend` (its base class), like ``backend_list``; each call
is a unit of work (the wrapping is done once, in ``backend.py``). The supervisor is the
console's own agent: the services check that they are an admin.
"""

from __future__ import annotations

import asyncio

from ..domain.floor import FloorFilter, FloorSort
from ..domain.vocab import Presence
from ..services import floor, presence
from ..services.context import Ctx
from ..services.views import FloorView, LogoutPreview, LogoutResult, PresenceResult


class FloorBackend:
    """The board's calls; the state they use is the console backend's."""

    ctx: Ctx
    agent: str
    _writes: asyncio.Lock

    async def floor(self, sort: FloorSort, flt: FloorFilter, *, reverse: bool = False) -> FloorView:
        return await floor.floor(self.ctx, self.agent, sort=sort, reverse=reverse, flt=flt)

    def _by(self, agent: str) -> str | None:
        """The supervisor acting on ``agent``; None when that is the console's own agent (a
        change of one's own presence, with no note)."""
        return None if agent == self.agent else self.agent

    async def floor_logout_preview(self, agent: str) -> LogoutPreview:
        """R6's warning for ``agent``: the sessions logging them out will end."""
        return await presence.logout_preview(self.ctx, agent, by=self._by(agent))

    async def floor_logout(self, agent: str, note: str | None) -> LogoutResult:
        """Log ``agent`` out as this console's supervisor, with the reason they will see."""
        by = self._by(agent)
        async with self._writes:
            return await presence.logout(
                self.ctx, agent, confirmed=True, by=by, note=note if by else None
            )

    async def floor_set_presence(
        self, agent: str, target: Presence, note: str | None = None
    ) -> PresenceResult:
        """Set ``agent``'s presence as this console's supervisor (``note``: why, shown to them)."""
        by = self._by(agent)
        async with self._writes:
            return await presence.set_presence(
                self.ctx, agent, target, by=by, note=note if by else None
            )

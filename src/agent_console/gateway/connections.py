"""The channels' connections as one gateway process sees them, read at most once a second.

Every request needs its channel's connection (is it connected? with which secret?) before it
can check the signature. Reading it from the database each time would cost a transaction per
request; this keeps each answer for :data:`TTL` seconds. The transaction that stores a message
checks again that its channel is connected, so a disconnect refuses new messages at once; a
new secret is used by every gateway within a second.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from ..services import channels
from ..services.channels import Connection
from ..services.context import Ctx

TTL = 1.0


@dataclass
class ConnectionCache:
    ctx: Ctx
    ttl: float = TTL
    _found: dict[str, tuple[float, Connection | None]] = field(default_factory=dict)
    _reading: dict[str, asyncio.Task[Connection | None]] = field(default_factory=dict)

    async def get(self, channel_id: str) -> Connection | None:
        """The channel's connection (None: not connected); raises StoreError.

        The requests that find the answer out of date together wait for ONE read of it."""
        cached = self._found.get(channel_id)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        task = self._reading.get(channel_id)
        if task is None:
            task = self._reading[channel_id] = asyncio.create_task(self._read(channel_id))
        return await asyncio.shield(task)

    async def _read(self, channel_id: str) -> Connection | None:
        try:
            started = time.monotonic()
            found = await channels.connection(self.ctx, channel_id)
            self._found[channel_id] = (started, found)
            return found
        finally:
            del self._reading[channel_id]

"""The gateway runs the pulse sender on PostgreSQL (services/pulse_sender.py), unless told
not to; SQLite has no pulses."""

from __future__ import annotations

import asyncio

from agent_console.gateway.app import GatewayOptions, create_app
from agent_console.services.context import Ctx
from agent_console.tui.backend import ConsoleBackend

from .conftest import FAST, team

WAIT_S = 20.0


async def test_the_gateway_sends_pulses_on_postgresql(ctx: Ctx, db_url: str) -> None:
    await team(ctx)
    app = create_app(db_url, FAST)
    async with app.router.lifespan_context(app):
        sender = app.state.pulse_sender
        if ctx.db.is_sqlite:
            assert sender is None
            return
        await asyncio.wait_for(sender.went.wait(), WAIT_S)
        assert (sender.every, sender.wakeups) == (FAST.pulse_every, FAST.pulse_wakeups)
        backend = await ConsoleBackend.open(db_url, "dana")
        try:  # a console hears them on its one connection
            await asyncio.wait_for(backend.feed.wait_heard(1), WAIT_S)
            assert backend.feed.pulsed
        finally:
            await backend.close()


async def test_pulse_every_zero_sends_none(db_url: str) -> None:
    app = create_app(db_url, GatewayOptions(pulse_every=0))
    async with app.router.lifespan_context(app):
        assert app.state.pulse_sender is None

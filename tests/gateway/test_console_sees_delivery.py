"""End to end over real HTTP: a receiver that answers 500 three times then 200 gets the reply
once it recovers, and the agent's console (``run_test``) shows "retrying" meanwhile, then sent.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot

from agent_console.services import conversations, routing
from agent_console.services.context import Ctx, system_clock
from agent_console.tui.app import make_app
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.widgets.transcript import Transcript

from .conftest import ADMIN, SMS, Receiver, SignedClient, connect, team

pytestmark = pytest.mark.slow


async def _until(pilot: Pilot[Any], predicate: Any, what: str, within: float = 30.0) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def test_the_console_shows_retrying_while_the_channel_fails_then_sent(
    ctx: Ctx, db_url: str, gateway: Any, receiver: Receiver
) -> None:
    await team(ctx)
    receiver.secret = await connect(ctx, SMS, receiver.url)
    receiver.script = [500, 500, 500]
    async with gateway() as gw, httpx.AsyncClient(base_url=gw.base_url) as http:
        signed = SignedClient(http, receiver.secret)
        answer = await signed.post(SMS, signed.message("My parcel never came"))
        sid = answer.json()["session_id"]
        await routing.route(ctx)
        app = make_app(db_url, ADMIN, clock=system_clock, timezone=UTC, poll_interval=0.2)
        async with app.run_test(size=(120, 40)) as pilot:
            await _until(
                pilot,
                lambda: isinstance(app.screen, ConsoleScreen) and app.screen.loaded,
                "the console to load",
            )
            screen = app.screen
            assert isinstance(screen, ConsoleScreen)
            screen.open_session(sid)

            def transcript() -> str:
                return str(screen.query_one(Transcript).plain_text)

            await _until(pilot, lambda: "My parcel never came" in transcript(), "the session")
            await conversations.send(ctx, ADMIN, sid, "Sorry! A new one ships today.")
            await _until(
                pilot,
                lambda: "retrying at" in transcript() and "HTTP 500" in transcript(),
                "the reply to show retrying",
            )
            await _until(
                pilot,
                lambda: "A new one ships today.  ✓ sent" in transcript(),
                "the reply to show sent once the receiver recovers",
            )
            if db_url.startswith("postgresql"):  # the screen followed the gateway's pulses
                assert app.backend is not None and app.backend.feed.pulsed
                assert app.backend.feed.heard > 0
    assert [r.status for r in receiver.got] == [500, 500, 500, 200]
    assert len({r.event["event_id"] for r in receiver.got}) == 1

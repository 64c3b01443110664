"""The delivery worker's bookkeeping: what it records of each batch, whatever happens."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from agent_console.gateway import delivery
from agent_console.gateway.delivery import DeliveryWorker
from agent_console.services import channels, conversations, listing, outbox, routing
from agent_console.services.context import Ctx

from .conftest import ADMIN, SMS, Receiver, team


async def _two_replies(ctx: Ctx, url: str) -> tuple[int, list[int]]:
    await team(ctx)
    await channels.connect(ctx, SMS, url, admin=ADMIN)
    sid = (await conversations.inbound(ctx, "Alice", SMS, "hi")).session_id
    await routing.route(ctx)
    mids = [await conversations.send(ctx, ADMIN, sid, f"reply {i}") for i in range(2)]
    return sid, mids


async def test_what_is_delivered_while_the_last_record_is_written_is_recorded_too(
    ctx: Ctx, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch can finish while the worker is writing what it delivered so far; the
    deliveries after that write must still be recorded (else they go out twice)."""
    sid, mids = await _two_replies(ctx, receiver.url)
    recording = asyncio.Event()
    real_complete = outbox.complete

    async def slow_complete(*args: Any, **kw: Any) -> None:
        if not recording.is_set():
            recording.set()
            await asyncio.sleep(0.3)  # a slow commit: the batch ends meanwhile
        await real_complete(*args, **kw)

    async def hold(body: bytes) -> None:
        if b"reply 1" in body:
            await recording.wait()  # the second reply returns once the first record began

    monkeypatch.setattr(outbox, "complete", slow_complete)
    monkeypatch.setattr(delivery, "RECORD_EVERY", 0.01)
    receiver.hold = hold
    worker = DeliveryWorker(ctx, name="w", lease=timedelta(seconds=30))
    async with aiohttp.ClientSession() as client:
        assert await worker._round(client)
    detail = await listing.show_session(ctx, sid)
    states = [m.delivery.state for m in detail.messages if m.id in mids and m.delivery]
    assert states == ["sent", "sent"]
    assert worker.delivered == 2 and len(receiver.got) == 2


class _Broken:
    """A client whose every POST fails in a way no one expected."""

    def post(self, *args: Any, **kw: Any) -> Any:
        raise RuntimeError("something no one expected")


async def test_an_unexpected_error_is_a_failed_attempt_not_a_dead_worker(ctx: Ctx) -> None:
    sid, mids = await _two_replies(ctx, "http://127.0.0.1:9/hook")
    worker = DeliveryWorker(ctx, name="w", lease=timedelta(seconds=30))
    assert await worker._round(_Broken())  # type: ignore[arg-type]
    detail = await listing.show_session(ctx, sid)
    first, second = (m.delivery for m in detail.messages if m.id in mids)
    assert first is not None and first.state == "retrying"
    assert first.error == "RuntimeError: something no one expected"
    assert second is not None and second.state == "pending"  # waits behind the first

"""Outbound over real HTTP: agent replies, end lines and CSAT requests reach a local receiver
signed (checked with the Standard Webhooks reference library), in order per session; a
failing receiver gets the event once it recovers. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from agent_console.gateway.app import GatewayOptions
from agent_console.services import conversations, ending, listing, routing, settings
from agent_console.services.context import Ctx

from .conftest import ADMIN, SMS, Receiver, SignedClient, connect, team, until

pytestmark = pytest.mark.slow


async def _session(ctx: Ctx, signed: SignedClient, customer: str = "+15550001") -> int:
    answer = await signed.post(SMS, signed.message("Hello?", customer=customer))
    assert answer.status_code == 202, answer.text
    await routing.route(ctx)
    return int(answer.json()["session_id"])


async def test_a_reply_an_end_and_a_csat_request_reach_the_channel_signed_in_order(
    ctx: Ctx, gateway: Any, receiver: Receiver
) -> None:
    await team(ctx)
    await settings.set_setting(ctx, "csat_on_agent_end", "on", admin=ADMIN)
    receiver.secret = await connect(ctx, SMS, receiver.url)
    async with gateway() as gw, httpx.AsyncClient(base_url=gw.base_url) as http:
        signed = SignedClient(http, receiver.secret)
        sid = await _session(ctx, signed)
        await conversations.send(ctx, ADMIN, sid, "Hi Alice, looking into it")
        await conversations.send(ctx, ADMIN, sid, "Found it: it ships today")
        result = await ending.end_session(ctx, ADMIN, sid)
        assert result.result == "ended"
        await receiver.wait_for(4)

    events = [r.event for r in receiver.got]
    assert [e["type"] for e in events] == [
        "message.created",
        "message.created",
        "session.ended",
        "csat.requested",
    ]
    assert [e["text"] for e in events[:2]] == [
        "Hi Alice, looking into it",
        "Found it: it ships today",
    ]
    assert events[2]["text"].startswith("Session ended by dana at ")
    assert all(e["session_id"] == sid and e["customer_id"] == "+15550001" for e in events)
    assert all(e["customer_name"] == "Alice" and e["channel"] == SMS for e in events)
    assert len({e["event_id"] for e in events}) == 4
    reference = Webhook(receiver.secret)
    for got in receiver.got:
        assert got.signature_ok
        assert got.headers["webhook-id"] == got.event["event_id"]
        reference.verify(got.body, got.headers)  # raises if the reference disagrees

    detail = await listing.show_session(ctx, sid)
    agent_lines = [m for m in detail.messages if m.author_kind == "agent"]
    assert [m.delivery.state for m in agent_lines if m.delivery] == ["sent", "sent"]
    assert detail.messages[-1].delivery is not None  # the end line
    assert detail.csat_requests[0].delivery is not None
    assert detail.csat_requests[0].delivery.state == "sent"


async def test_a_receiver_that_fails_three_times_gets_the_event_once_it_recovers(
    ctx: Ctx, gateway: Any, receiver: Receiver
) -> None:
    await team(ctx)
    receiver.secret = await connect(ctx, SMS, receiver.url)
    async with gateway() as gw, httpx.AsyncClient(base_url=gw.base_url) as http:
        signed = SignedClient(http, receiver.secret)
        sid = await _session(ctx, signed)
        receiver.script = [500, 500, 500]
        mid = await conversations.send(ctx, ADMIN, sid, "Are you still there?")

        async def state() -> str | None:
            detail = await listing.show_session(ctx, sid)
            found = next(m for m in detail.messages if m.id == mid)
            return found.delivery.state if found.delivery else None

        await receiver.wait_for(1)
        await until(lambda: _is(state(), "retrying"), what="the reply to show retrying")
        detail = await listing.show_session(ctx, sid)
        retrying = next(m for m in detail.messages if m.id == mid).delivery
        assert retrying is not None and retrying.error == "HTTP 500"
        assert retrying.next_attempt_at is not None
        # A later reply of the same session waits behind the failing one: order holds.
        await conversations.send(ctx, ADMIN, sid, "Hello again")
        await receiver.wait_for(5, within=30)
        await until(lambda: _is(state(), "sent"), what="the reply to be sent")

    statuses = [r.status for r in receiver.got]
    texts = [r.event["text"] for r in receiver.got]
    assert statuses == [500, 500, 500, 200, 200]
    assert texts == ["Are you still there?"] * 4 + ["Hello again"]
    assert len({r.event["event_id"] for r in receiver.got[:4]}) == 1  # the same event, retried
    tries = [r.arrived_at for r in receiver.got[:4]]
    gaps = [b - a for a, b in pairwise(tries)]
    # Backoff with equal jitter: 0.5-1 s, 1-2 s, 2-4 s.
    assert all(g >= low - 0.05 for g, low in zip(gaps, (0.5, 1.0, 2.0), strict=True)), gaps


async def _is(value: Any, wanted: str) -> bool:
    return (await value) == wanted


async def test_a_receiver_that_is_down_or_slow_counts_as_a_failure(
    ctx: Ctx, gateway: Any, receiver: Receiver
) -> None:
    await team(ctx)
    receiver.secret = await connect(ctx, SMS, "http://127.0.0.1:9/nobody-listens")
    options = GatewayOptions(timeout=timedelta(seconds=0.5), lease=timedelta(seconds=2))
    async with gateway(options) as gw, httpx.AsyncClient(base_url=gw.base_url) as http:
        signed = SignedClient(http, receiver.secret)
        sid = await _session(ctx, signed)
        mid = await conversations.send(ctx, ADMIN, sid, "Anyone?")

        async def delivery() -> Any:
            detail = await listing.show_session(ctx, sid)
            return next(m for m in detail.messages if m.id == mid).delivery

        async def retrying() -> bool:
            d = await delivery()
            return d is not None and d.state == "retrying"

        await until(retrying, what="a refused connection to count as a failed attempt")
        first = await delivery()
        assert first.error and "HTTP" not in first.error

        # The channel now points at a receiver that answers too late.
        receiver.delay = 1.5
        await connect(ctx, SMS, receiver.url)

        async def timed_out() -> bool:
            d = await delivery()
            return d is not None and d.error is not None and "timed out" in d.error

        await until(timed_out, within=30, what="a slow receiver to count as a timeout")

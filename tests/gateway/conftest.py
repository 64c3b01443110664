"""Gateway fixtures: a gateway served by uvicorn on 127.0.0.1 (in this process, on the test's
event loop), a local webhook receiver that records what it gets, and a signed client.

All traffic stays on 127.0.0.1. The gateway opens the test's database itself (the SQLite file
or the PostgreSQL clone of ``db_url``), as a deployment's gateway would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent_console.domain.vocab import Presence
from agent_console.domain.webhooks import sign, verify
from agent_console.gateway.app import GatewayOptions
from agent_console.gateway.server import Running, bind, serving, serving_app
from agent_console.services import agents, channels, presence
from agent_console.services.context import Ctx, system_clock

ADMIN = "dana"
ALL = ("enhanced_chat_user", "enhanced_chat_rep", "messaging_agent", "end_messaging_session")
SMS = "standard_sms"
WEB = "enhanced_web_chat_v2"


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    event: dict[str, Any]
    signature_ok: bool
    status: int
    arrived_at: float  # the event loop's clock, when the POST came in


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 that checks signatures and records every POST.

    ``script`` decides each answer: a list of status codes used in turn (then 200), so
    ``[500, 500, 500]`` fails three times and then accepts.
    """

    url: str = ""
    secret: str | None = None
    got: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    delay: float = 0.0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    #: Awaited with each body before it is answered (a test holds an answer back with it).
    hold: Callable[[bytes], Awaitable[None]] | None = None

    async def handle(self, request: Request) -> Response:
        arrived_at = asyncio.get_running_loop().time()
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        ok = False
        if self.secret is not None:
            try:
                verify(self.secret, headers, body, datetime.now(UTC))
                ok = True
            except Exception:
                ok = False
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.hold is not None:
            await self.hold(body)
        status = self.script.pop(0) if self.script else 200
        self.got.append(Received(headers, body, json.loads(body), ok, status, arrived_at))
        self.arrived.set()
        return JSONResponse({"ok": status < 300}, status)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Events answered 2xx (what the channel accepted), in arrival order."""
        return [r.event for r in self.got if r.status < 300]

    def unique_ids(self) -> set[str]:
        return {r.event["event_id"] for r in self.got}

    async def wait_for(self, count: int, *, within: float = 20.0) -> None:
        """Until ``count`` POSTs arrived (fails after ``within`` seconds)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(self.got) < count:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"the receiver got {len(self.got)} POSTs, not {count}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), left)


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """The real clock: the gateway stamps deliveries with it, and the retry window is
    counted from when an event was written, so both sides must agree on the time."""
    return system_clock


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = Starlette(routes=[Route("/hook", rec.handle, methods=["POST"])])
    config = uvicorn.Config(app, log_config=None, access_log=False)
    async with serving_app(config, bind("127.0.0.1", 0)) as running:
        rec.url = f"{running.base_url}/hook"
        yield rec


async def team(ctx: Ctx) -> None:
    """dana: admin with every permission, Online, capacity 5."""
    await agents.add_agent(ctx, ADMIN, capacity=5, permissions=ALL, is_admin=True)
    await presence.set_presence(ctx, ADMIN, Presence.ONLINE)


async def connect(ctx: Ctx, channel_id: str, url: str) -> str:
    """Connect a channel to ``url``; returns the new secret."""
    result = await channels.connect(ctx, channel_id, url, admin=ADMIN)
    assert result.secret is not None
    return result.secret


@dataclass
class SignedClient:
    """POSTs signed channel traffic to a running gateway."""

    http: httpx.AsyncClient
    secret: str

    def message(
        self, text: str, *, customer: str = "+15550001", name: str = "Alice", mid: str | None = None
    ) -> dict[str, Any]:
        return {
            "message_id": mid or uuid.uuid4().hex,
            "customer": {"id": customer, "name": name},
            "text": text,
        }

    async def post(
        self,
        channel_id: str,
        payload: Any,
        *,
        path: str = "messages",
        raw: bytes | None = None,
        secret: str | None = None,
        at: datetime | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
        signed = sign(
            secret or self.secret, "wh_" + uuid.uuid4().hex, body, at or datetime.now(UTC)
        ).as_dict()
        signed["content-type"] = "application/json"
        signed.update(headers or {})
        return await self.http.post(
            f"/v1/channels/{channel_id}/{path}", content=body, headers=signed
        )


FAST = GatewayOptions(timeout=timedelta(seconds=2), lease=timedelta(seconds=4))


@pytest.fixture
def gateway(db_url: str) -> Callable[..., Any]:
    """``async with gateway() as gw``: the gateway on the test's database."""

    def start(options: GatewayOptions = FAST) -> Any:
        return serving(db_url, options)

    return start


async def until(predicate: Callable[[], Any], *, within: float = 20.0, what: str = "") -> None:
    """Await an async or plain predicate until it is true (fails after ``within`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.05)


__all__ = ["Running", "SignedClient"]

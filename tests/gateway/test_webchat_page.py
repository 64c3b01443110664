"""The web chat page's server side over HTTP (no browser): the visitor cookie, what ``send``
accepts, and the live stream's ids -- including an event that commits after a newer one (on
PostgreSQL, ids are given out at insert, not at commit). On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, insert, select

from agent_console.gateway import webchat
from agent_console.services import listing
from agent_console.services.context import Ctx
from agent_console.store.models import Session, WebchatEvent

from .conftest import ADMIN, WEB, connect, team

pytestmark = pytest.mark.slow

PAGE = f"/chat/{WEB}"


async def _visitor(http: httpx.AsyncClient) -> str:
    """Open the page (the client keeps its cookie); the visitor id."""
    page = await http.get(PAGE)
    assert page.status_code == 200, page.text
    raw = http.cookies.get(webchat.COOKIE)
    assert raw is not None
    return raw.partition(".")[0]


def _line(name: str = "Alex", text: str = "Hello", client_id: str = "c-00000001") -> dict[str, Any]:
    return {"name": name, "text": text, "client_id": client_id}


async def _sessions(ctx: Ctx) -> int:
    async with ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(Session)) or 0)


@pytest.fixture
async def page_client(ctx: Ctx, gateway: Any) -> AsyncIterator[httpx.AsyncClient]:
    await team(ctx)
    async with gateway() as gw, httpx.AsyncClient(base_url=gw.base_url, timeout=20) as http:
        await connect(ctx, WEB, f"{gw.base_url}{PAGE}/webhook")
        yield http


async def test_send_needs_the_visitor_cookie(ctx: Ctx, page_client: httpx.AsyncClient) -> None:
    """Without the cookie a line could not be tied to a chat (each would start a new customer
    the page never hears back from): 401, and nothing is stored."""
    answer = await page_client.post(f"{PAGE}/send", json=_line())
    assert answer.status_code == 401, answer.text
    assert "open the chat page first" in answer.json()["error"]
    assert await _sessions(ctx) == 0

    await _visitor(page_client)
    answer = await page_client.post(f"{PAGE}/send", json=_line())
    assert answer.status_code == 202, answer.text
    again = await page_client.post(f"{PAGE}/send", json=_line())  # a retry: stored once
    assert again.status_code == 200 and again.json() == answer.json()
    assert await _sessions(ctx) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": ["Alex"], "text": "Hello", "client_id": "c-00000001"},
        {"name": "Alex", "text": {"html": "<b>hi</b>"}, "client_id": "c-00000001"},
        {"name": "Alex", "text": "Hello", "client_id": 12345678},
        {"name": "Alex", "text": 42, "client_id": "c-00000001"},
    ],
)
async def test_send_takes_strings_only(
    ctx: Ctx, page_client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    """A list or an object is refused, not stored as its Python text ("['Alex']")."""
    await _visitor(page_client)
    answer = await page_client.post(f"{PAGE}/send", json=body)
    assert answer.status_code == 400, answer.text
    assert "must be a string" in answer.json()["error"]
    assert await _sessions(ctx) == 0


async def _file(ctx: Ctx, ref: str, mailbox_id: int, text: str) -> None:
    """A mailbox event with a chosen id (as if its transaction committed only now)."""
    async with ctx.db.write() as conn:
        await conn.execute(
            insert(WebchatEvent).values(
                id=mailbox_id,
                channel=WEB,
                customer_ref=ref,
                event_id=f"test-{mailbox_id}",
                type="message.created",
                session_id=None,
                author=ADMIN,
                text=text,
                at=datetime.now(UTC),
            )
        )


class Events:
    """The stream's events as they arrive: (id, data)."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.aiter_lines()

    async def next(self, within: float = 10.0) -> tuple[int, dict[str, Any]]:
        async def read() -> tuple[int, dict[str, Any]]:
            event_id, data = 0, None
            async for line in self.lines:
                if line.startswith("id:"):
                    event_id = int(line[3:].strip())
                elif line.startswith("data:"):
                    data = json.loads(line[5:].strip())
                elif line == "" and data is not None:
                    return event_id, data
            raise AssertionError("the stream ended")

        return await asyncio.wait_for(read(), within)


@pytest.mark.parametrize(
    ("header", "after"),
    [
        # "²" is a digit to str.isdigit and no number to int
        pytest.param("²".encode("latin-1"), None, id="superscript-header"),
        pytest.param(None, "²", id="superscript-after"),
        pytest.param(None, "9" * 40, id="past-bigint"),
        pytest.param(b"9" * 5000, None, id="past-int-digit-limit"),
        pytest.param(b"-1", None, id="negative"),
        pytest.param(b"1e3", None, id="exponent"),
        pytest.param(b"", None, id="empty"),
    ],
)
async def test_a_last_event_id_that_is_no_number_streams_from_the_start(
    ctx: Ctx, page_client: httpx.AsyncClient, header: bytes | None, after: str | None
) -> None:
    ref = await _visitor(page_client)
    await _file(ctx, ref, 1, "first")
    headers = {} if header is None else {b"last-event-id": header}
    params = {} if after is None else {"after": after}
    async with page_client.stream(
        "GET", f"{PAGE}/stream", headers=headers, params=params
    ) as response:
        assert response.status_code == 200
        event_id, data = await Events(response).next()
    assert data.pop("at")  # when it was filed
    assert (event_id, data) == (1, _data_of("first"))


async def test_the_stream_starts_after_last_event_id(
    ctx: Ctx, page_client: httpx.AsyncClient
) -> None:
    ref = await _visitor(page_client)
    for i in (1, 2, 3):
        await _file(ctx, ref, i, f"line {i}")
    headers = {"last-event-id": "2"}
    async with page_client.stream("GET", f"{PAGE}/stream", headers=headers) as response:
        assert (await Events(response).next())[0] == 3
    async with page_client.stream("GET", f"{PAGE}/stream", params={"after": "1"}) as response:
        assert (await Events(response).next())[0] == 2


async def test_an_event_that_commits_after_a_newer_one_is_still_streamed(
    ctx: Ctx, page_client: httpx.AsyncClient
) -> None:
    ref = await _visitor(page_client)
    await _file(ctx, ref, 10, "the newer event, committed first")
    async with page_client.stream("GET", f"{PAGE}/stream") as response:
        events = Events(response)
        assert (await events.next())[0] == 10
        await _file(ctx, ref, 5, "the older event, committed late")
        late_id, late = await events.next(within=webchat.SETTLE_SECONDS)
        assert (late_id, late["text"]) == (5, "the older event, committed late")
        await _file(ctx, ref, 11, "and the next one")
        assert (await events.next())[0] == 11  # each event once


async def test_a_long_history_streams_past_one_batch(
    ctx: Ctx, page_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webchat, "BATCH", 3)
    ref = await _visitor(page_client)
    for i in range(1, 9):
        await _file(ctx, ref, i, f"line {i}")
    async with page_client.stream("GET", f"{PAGE}/stream") as response:
        events = Events(response)
        got = [(await events.next(within=3.0))[0] for _ in range(8)]
    assert got == list(range(1, 9))


async def test_the_pages_own_round_trip(ctx: Ctx, page_client: httpx.AsyncClient) -> None:
    """A line sent by the page is filed in its mailbox and streamed back to it."""
    await _visitor(page_client)
    sent = await page_client.post(f"{PAGE}/send", json=_line(text="Is anyone there?"))
    assert sent.status_code == 202, sent.text
    async with page_client.stream("GET", f"{PAGE}/stream") as response:
        _, data = await Events(response).next()
    assert data["type"] == "customer.message"
    assert (data["text"], data["author"]) == ("Is anyone there?", "Alex")
    detail = await listing.show_session(ctx, sent.json()["session_id"])
    assert detail.messages[-1].text == "Is anyone there?"


def _data_of(text: str) -> dict[str, Any]:
    return {"type": "message.created", "session_id": None, "author": ADMIN, "text": text}

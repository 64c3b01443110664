"""Signed inbound over real HTTP (uvicorn on 127.0.0.1, httpx): sessions are created and
joined; every bad request gets its status and stores nothing; a retried message id is stored
once. On SQLite and PostgreSQL (``db_url``)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from agent_console.gateway import api
from agent_console.services import channels, check, conversations, listing
from agent_console.services.context import Ctx

from .conftest import SMS, WEB, SignedClient, connect, team

pytestmark = pytest.mark.slow


async def counts(ctx: Ctx) -> tuple[int, int, int]:
    """(sessions, messages, inbound receipts) in the database."""
    from sqlalchemy import func, select

    from agent_console.store.models import InboundReceipt, Message, Session

    async with ctx.db.read() as conn:
        return (
            int(await conn.scalar(select(func.count()).select_from(Session)) or 0),
            int(await conn.scalar(select(func.count()).select_from(Message)) or 0),
            int(await conn.scalar(select(func.count()).select_from(InboundReceipt)) or 0),
        )


@pytest.fixture
async def signed(ctx: Ctx, gateway: Any) -> Any:
    await team(ctx)
    secret = await connect(ctx, SMS, "http://127.0.0.1:9/unused")
    async with gateway() as gw, httpx.AsyncClient(base_url=gw.base_url) as http:
        yield SignedClient(http, secret)


async def test_signed_messages_start_a_session_and_join_it(ctx: Ctx, signed: SignedClient) -> None:
    first = await signed.post(SMS, signed.message("Hi, my parcel is late"))
    assert first.status_code == 202, first.text
    answer = first.json()
    assert answer["status"] == "Waiting" and isinstance(answer["session_id"], int)

    second = await signed.post(SMS, signed.message("It was due Monday"))
    assert second.status_code == 202
    assert second.json()["session_id"] == answer["session_id"]

    other = await signed.post(SMS, signed.message("Hello?", customer="+15550002", name="Bo"))
    assert other.status_code == 202 and other.json()["session_id"] != answer["session_id"]

    detail = await listing.show_session(ctx, answer["session_id"])
    assert [m.text for m in detail.messages] == ["Hi, my parcel is late", "It was due Monday"]
    assert detail.session.customer == "Alice" and detail.session.channel == SMS
    assert await check.check(ctx) == []


async def test_a_retried_message_id_is_stored_once_and_gets_the_first_answer(
    ctx: Ctx, signed: SignedClient
) -> None:
    payload = signed.message("Only once, please", mid="prov-42")
    first = await signed.post(SMS, payload)
    before = await counts(ctx)
    again = await signed.post(SMS, payload)  # a provider retry: new signature, same body
    assert first.status_code == 202 and again.status_code == 200
    assert again.json() == first.json()
    assert await counts(ctx) == before

    # The same id with another text is not a retry: refused, nothing stored.
    changed = await signed.post(SMS, {**payload, "text": "something else"})
    assert changed.status_code == 409 and "already used" in changed.json()["error"]
    assert await counts(ctx) == before


async def test_concurrent_retries_of_one_message_store_it_once(
    ctx: Ctx, signed: SignedClient
) -> None:
    payload = signed.message("Sent twice at once", mid="prov-twin")
    answers = await asyncio.gather(*(signed.post(SMS, payload) for _ in range(6)))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [202]
    assert len({a.json()["session_id"] for a in answers}) == 1
    assert await counts(ctx) == (1, 1, 1)


async def test_the_same_message_id_on_two_channels_is_two_messages(
    ctx: Ctx, signed: SignedClient
) -> None:
    web_secret = await connect(ctx, WEB, "http://127.0.0.1:9/unused")
    payload = signed.message("hello", mid="shared-id")
    assert (await signed.post(SMS, payload)).status_code == 202
    assert (await signed.post(WEB, payload, secret=web_secret)).status_code == 202
    assert (await counts(ctx))[1] == 2


def _bad_signature_cases() -> list[tuple[str, dict[str, Any]]]:
    return [
        ("no signature header", {"drop": "webhook-signature"}),
        ("no id header", {"drop": "webhook-id"}),
        ("no timestamp header", {"drop": "webhook-timestamp"}),
        ("wrong secret", {"secret": "whsec_" + "QUFB" * 11}),
        ("6 minutes old", {"at": -360}),
        ("6 minutes ahead", {"at": 360}),
        ("signature of another body", {"other_body": True}),
        ("garbage signature", {"headers": {"webhook-signature": "v1,!!notbase64!!"}}),
        ("unknown version", {"v2": True}),
        ("timestamp not a number", {"headers": {"webhook-timestamp": "soon"}}),
    ]


async def test_each_bad_signature_is_401_and_stores_nothing(ctx: Ctx, signed: SignedClient) -> None:
    from agent_console.domain.webhooks import sign

    for case, how in _bad_signature_cases():
        payload = signed.message(f"case: {case}")
        body = json.dumps(payload).encode()
        at = datetime.now(UTC) + timedelta(seconds=how.get("at", 0))
        secret = how.get("secret", signed.secret)
        headers = sign(secret, "wh_1", b"{}" if how.get("other_body") else body, at).as_dict()
        if how.get("v2"):
            headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")
        headers.update(how.get("headers", {}))
        if "drop" in how:
            del headers[how["drop"]]
        answer = await signed.http.post(
            f"/v1/channels/{SMS}/messages", content=body, headers=headers
        )
        assert answer.status_code == 401, (case, answer.text)
        assert answer.json()["error"].startswith("bad signature"), case
        assert await counts(ctx) == (0, 0, 0), case


async def test_one_good_signature_among_several_is_enough(ctx: Ctx, signed: SignedClient) -> None:
    """Standard Webhooks: several space-separated signatures (a secret being rotated)."""
    from agent_console.domain.webhooks import sign

    body = json.dumps(signed.message("rotating")).encode()
    good = sign(signed.secret, "wh_2", body, datetime.now(UTC)).as_dict()
    good["webhook-signature"] = "v1,AAAA " + good["webhook-signature"]
    answer = await signed.http.post(f"/v1/channels/{SMS}/messages", content=body, headers=good)
    assert answer.status_code == 202


async def test_unknown_and_unconnected_channels_are_404(ctx: Ctx, signed: SignedClient) -> None:
    payload = signed.message("anyone?")
    unknown = await signed.post("carrier_pigeon", payload)
    assert unknown.status_code == 404 and "unknown channel" in unknown.json()["error"]
    unconnected = await signed.post("enhanced_whatsapp", payload)
    assert unconnected.status_code == 404 and "not connected" in unconnected.json()["error"]
    assert await counts(ctx) == (0, 0, 0)


def _malformed() -> list[tuple[str, Any, str]]:
    """(case, body: dict or raw bytes, words the one-line reason has)."""
    base = {"message_id": "m1", "customer": {"id": "+1", "name": "Al"}, "text": "hi"}
    return [
        ("not json", b"{not json", "not JSON"),
        ("not an object", b"[1, 2]", "not a JSON object"),
        ("no message_id", {k: v for k, v in base.items() if k != "message_id"}, "message_id"),
        ("no customer", {k: v for k, v in base.items() if k != "customer"}, "customer"),
        ("customer a string", {**base, "customer": "Al"}, "customer"),
        ("no customer id", {**base, "customer": {"name": "Al"}}, "customer.id"),
        ("no customer name", {**base, "customer": {"id": "+1"}}, "customer.name"),
        ("text a number", {**base, "text": 42}, "text"),
        ("empty text", {**base, "text": ""}, "text"),
        ("NUL in text", {**base, "text": "a\x00b"}, "cannot store"),
        ("customer id too long", {**base, "customer": {"id": "x" * 201, "name": "Al"}}, "id"),
        ("not UTF-8", b'{"text": "\xff"}', "UTF-8"),
    ]


async def test_each_malformed_body_is_400_with_a_reason_and_stores_nothing(
    ctx: Ctx, signed: SignedClient
) -> None:
    for case, body, words in _malformed():
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        answer = await signed.post(SMS, None, raw=raw)
        assert answer.status_code == 400, (case, answer.text)
        reason = answer.json()["error"]
        assert words in reason and "\n" not in reason, (case, reason)
        assert await counts(ctx) == (0, 0, 0), case


async def test_text_over_the_stores_limit_is_400_and_stores_nothing(
    ctx: Ctx, signed: SignedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conversations, "MAX_MESSAGE_CHARS", 1000)
    answer = await signed.post(SMS, signed.message("x" * 1001))
    assert answer.status_code == 400 and "too long" in answer.json()["error"]
    assert await counts(ctx) == (0, 0, 0)


async def test_a_body_over_1_mib_is_413_unread(ctx: Ctx, signed: SignedClient) -> None:
    big = signed.message("y" * (api.MAX_BODY + 10))
    answer = await signed.post(SMS, big)
    assert answer.status_code == 413 and "1048576" in answer.json()["error"]

    async def chunks() -> Any:  # no Content-Length: counted while read
        for _ in range(20):
            yield b"z" * 65536

    headers = {"webhook-id": "x", "webhook-timestamp": "1", "webhook-signature": "v1,x"}
    streamed = await signed.http.post(
        f"/v1/channels/{SMS}/messages", content=chunks(), headers=headers
    )
    assert streamed.status_code == 413
    assert await counts(ctx) == (0, 0, 0)


async def test_a_message_just_under_1_mib_is_stored_whole(ctx: Ctx, signed: SignedClient) -> None:
    text = "é" * 400_000 + "\x1b[31m<b>[bold]</b>"  # 800 kB of UTF-8 and hostile bytes
    answer = await signed.post(SMS, signed.message(text))
    assert answer.status_code == 202
    stored = await listing.message_text(
        ctx, (await listing.show_session(ctx, answer.json()["session_id"])).messages[0].id
    )
    assert stored.length == len(text) and stored.text == text[: len(stored.text)]


async def test_health_and_unknown_paths(ctx: Ctx, signed: SignedClient) -> None:
    health = await signed.http.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert (await signed.http.get("/v1/nothing")).status_code == 404
    wrong_method = await signed.http.get(f"/v1/channels/{SMS}/messages")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()


async def test_the_access_log_has_one_line_per_request_without_text_or_secrets(
    ctx: Ctx, signed: SignedClient
) -> None:
    import logging

    class Keep(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.INFO)
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(record.getMessage())

    # On the logger itself: the CLI's logging setup (other tests in this process) stops
    # records from reaching the root logger, where caplog listens.
    access = logging.getLogger("agent_console.gateway.access")
    keep, level = Keep(), access.level
    access.addHandler(keep)
    access.setLevel(logging.INFO)
    try:
        await signed.post(SMS, signed.message("secret text 12345"))
        await signed.http.get("/healthz?token=abc")
    finally:
        access.removeHandler(keep)
        access.setLevel(level)
    lines = keep.lines
    assert len(lines) == 2
    assert lines[0].startswith(f"POST /v1/channels/{SMS}/messages 202")
    assert lines[1].startswith("GET /healthz 200")
    text = "\n".join(lines)
    assert "12345" not in text and "token" not in text and signed.secret not in text


async def test_a_channel_disconnected_meanwhile_refuses_new_messages(
    ctx: Ctx, signed: SignedClient
) -> None:
    assert (await signed.post(SMS, signed.message("first"))).status_code == 202
    await channels.disconnect(ctx, SMS, admin="dana")
    answer = await signed.post(SMS, signed.message("second"))
    assert answer.status_code == 404 and "not connected" in answer.json()["error"]
    assert (await counts(ctx))[1] == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_locked_database_is_503_with_retry_after_and_the_retry_is_stored(
    ctx: Ctx, gateway: Any, db_url: str
) -> None:
    import dataclasses
    import sqlite3

    from .conftest import FAST

    await team(ctx)
    secret = await connect(ctx, SMS, "http://127.0.0.1:9/unused")
    # No delivery worker or router: nothing of the gateway writes while the test, which blocks
    # the event loop on sqlite3 for a moment, takes the file's write lock.
    options = dataclasses.replace(FAST, busy_timeout_ms=200, route=False, workers=0)
    async with gateway(options) as gw, httpx.AsyncClient(base_url=gw.base_url) as http:
        signed = SignedClient(http, secret)
        payload = signed.message("while the file is locked", mid="locked-1")
        blocker = sqlite3.connect(db_url.split("///", 1)[1], timeout=5)
        try:
            blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            answer = await signed.post(SMS, payload)
        finally:
            blocker.rollback()
            blocker.close()
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
        assert "try again" in answer.json()["error"]
        assert await counts(ctx) == (0, 0, 0)
        again = await signed.post(SMS, payload)
        assert again.status_code == 202

"""The web chat page: a customer in a browser, the gateway's own first client.

``GET /chat/{channel}`` serves one static page (HTML, CSS and a little JavaScript shipped in the
package). What the customer writes is posted to this module, which signs it with the channel's
secret and hands it to the same inbound path a channel provider uses (``api.accept_message``).
What the deployment sends the customer -- agent replies, the end line, the CSAT question --
leaves through the outbox to the channel's webhook; connected to this page's
``/chat/{channel}/webhook``, it is filed in the page's mailbox (``services.webchat``) and
streamed to the browser with server-sent events.

A visitor is known by a random id in a cookie signed with the channel's secret, so any gateway
can check it and nobody can read another visitor's chat by guessing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import json
import re
import secrets
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..domain.channels import CHANNELS_BY_ID, WEB_CHAT_CHANNELS
from ..domain.errors import StoreError
from ..domain.outbox import CSAT_QUESTION
from ..domain.webhooks import sign
from ..services import webchat
from ..services.channels import Connection
from . import api
from .api import ApiError, ctx_of

COOKIE = "ac_chat"
#: How often the live stream looks for new events (the page's own latency floor).
POLL_SECONDS = 0.3
#: How far back (in time) the stream keeps reading for events that committed late.
SETTLE_SECONDS = 5.0
#: Events read from the mailbox at once.
BATCH = 200
#: What a page may post: a customer line, not a document.
MAX_TEXT = 10_000
MAX_NAME = 80
_CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
#: Without the visitor cookie nothing the page does can be tied to its chat.
NO_COOKIE = "open the chat page first (and let it keep its cookie)"
_MAILBOX_ID = re.compile(r"[0-9]{1,18}")  # fits a BIGINT


def _page() -> str:
    return resources.files(__package__).joinpath("static/chat.html").read_text("utf-8")


async def _web_chat(request: Request) -> Connection:
    channel_id = request.path_params["channel"]
    if channel_id not in WEB_CHAT_CHANNELS:
        raise ApiError(404, f"no web chat page for {channel_id[:64]!r}")
    return await api.connected(request, channel_id)


def _cookie_sig(conn: Connection, ref: str) -> str:
    key = conn.secret.encode()
    mac = hmac.new(key, f"webchat.{conn.channel}.{ref}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _visitor(request: Request, conn: Connection) -> str | None:
    """The visitor id from a cookie this channel's secret signed, or None."""
    raw = request.cookies.get(COOKIE, "")
    ref, _, sig = raw.partition(".")
    if not ref.startswith("wc_") or not sig:
        return None
    return ref if hmac.compare_digest(sig, _cookie_sig(conn, ref)) else None


async def _chat_and_visitor(request: Request) -> tuple[Connection, str]:
    """The web chat's connection and the visitor's id, or ApiError (404 / 401)."""
    conn = await _web_chat(request)
    ref = _visitor(request, conn)
    if ref is None:
        raise ApiError(401, NO_COOKIE)
    return conn, ref


def _with_cookie(response: Response, request: Request, conn: Connection, ref: str) -> Response:
    response.set_cookie(
        COOKIE,
        f"{ref}.{_cookie_sig(conn, ref)}",
        max_age=30 * 24 * 3600,
        path=f"/chat/{conn.channel}",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


async def page(request: Request) -> Response:
    try:
        conn = await _web_chat(request)
    except ApiError as exc:
        return HTMLResponse(
            f"<!doctype html><title>Chat unavailable</title><p>{html.escape(exc.reason)}</p>",
            exc.status,
        )
    name = CHANNELS_BY_ID[conn.channel].name
    body = (
        _page()
        .replace("{{channel}}", html.escape(conn.channel))
        .replace("{{channel_name}}", html.escape(name))
    )
    response = HTMLResponse(body, headers=_PAGE_HEADERS)
    if _visitor(request, conn) is None:
        _with_cookie(response, request, conn, "wc_" + secrets.token_urlsafe(16))
    return response


#: The page runs only its own script and style, and talks only to this origin.
_PAGE_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


async def _json_body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ApiError(415, "send JSON (content-type: application/json)")
    raw = await api.read_body(request)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body is not a JSON object")
    return body


def _signed(
    conn: Connection, webhook_id: str, payload: dict[str, Any]
) -> tuple[dict[str, str], bytes]:
    raw = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return sign(conn.secret, webhook_id, raw, datetime.now(UTC)).as_dict(), raw


async def send(request: Request) -> Response:
    """The visitor writes: signed for the channel and posted through the inbound path."""
    ctx = ctx_of(request)
    try:
        conn, ref = await _chat_and_visitor(request)
        body = await _json_body(request)
        for field in ("name", "text", "client_id"):
            if not isinstance(body.get(field, ""), str):
                raise ApiError(400, f"field {field} must be a string")
        name = str(body.get("name") or "").strip()
        text = str(body.get("text") or "")
        client_id = str(body.get("client_id") or "")
        if not name or len(name) > MAX_NAME:
            raise ApiError(400, f"say who you are: a name of 1 to {MAX_NAME} characters")
        if not text.strip():
            raise ApiError(400, "write a message first")
        if len(text) > MAX_TEXT:
            raise ApiError(400, f"a message is at most {MAX_TEXT:,} characters")
        if not _CLIENT_ID.fullmatch(client_id):
            raise ApiError(400, "client_id: 8 to 64 letters, digits, - or _")
        message_id = f"webchat-{ref}-{client_id}"
        payload = {"message_id": message_id, "customer": {"id": ref, "name": name}, "text": text}
        headers, raw = _signed(conn, f"msg_{client_id}", payload)
        status, answer = await api.accept_message(api.batcher_of(request), conn, headers, raw)
        try:
            await webchat.file_event(
                ctx, conn.channel, ref, f"in:{message_id}", "customer.message",
                answer["session_id"], name, text, datetime.now(UTC),
            )  # fmt: skip
        except StoreError as exc:
            raise api.unavailable(exc) from exc
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
    except ApiError as exc:
        return exc.response()
    return JSONResponse(answer, status)


async def csat(request: Request) -> Response:
    """The visitor answers the CSAT question: signed and posted like a provider would."""
    ctx = ctx_of(request)
    try:
        conn, ref = await _chat_and_visitor(request)
        body = await _json_body(request)
        payload = {
            "session_id": body.get("session_id"),
            "customer": {"id": ref},
            "score": body.get("score"),
        }
        headers, raw = _signed(conn, "csat_" + secrets.token_hex(8), payload)
        status, answer = await api.accept_csat(ctx, conn, headers, raw)
        try:
            await webchat.file_event(
                ctx, conn.channel, ref, f"csat:{answer['session_id']}", "csat.answered",
                answer["session_id"], "you", f"You rated this conversation {answer['score']}/5",
                datetime.now(UTC),
            )  # fmt: skip
        except StoreError as exc:
            raise api.unavailable(exc) from exc
    except ApiError as exc:
        return exc.response()
    return JSONResponse(answer, status)


def _event_id(raw: str | None) -> int:
    """A ``Last-Event-ID`` / ``after`` value: a mailbox id, or 0 (from the start) when it is
    not one (``str.isdigit`` is not enough: "²" is a digit to it and no number to ``int``)."""
    return int(raw) if raw is not None and _MAILBOX_ID.fullmatch(raw) else 0


async def stream(request: Request) -> Response:
    """The visitor's chat, live: every mailbox event after ``Last-Event-ID`` (or ``after``).

    Mailbox ids are given out when an event is written, not when it commits: on PostgreSQL
    a line filed by the page's ``send`` can commit just after a webhook event with a higher
    id. So the stream does not move its floor to the newest id it sent, but keeps reading a
    few seconds back (:data:`SETTLE_SECONDS`) and sends what it has not sent yet.
    """
    ctx = ctx_of(request)
    try:
        conn, ref = await _chat_and_visitor(request)
    except ApiError as exc:
        return exc.response()
    after = _event_id(request.headers.get("last-event-id") or request.query_params.get("after"))
    loop = asyncio.get_running_loop()

    async def events() -> Any:
        floor = after  # every event up to here was sent, or is older than the stream
        sent: dict[int, float] = {}  # ids sent above the floor -> when
        while True:
            try:
                batch = await webchat.events_after(ctx, conn.channel, ref, floor, limit=BATCH)
            except StoreError:
                batch = []
            now = loop.time()
            fresh = [e for e in batch if e.id not in sent]
            for e in fresh:
                sent[e.id] = now
                data = {
                    "type": e.type,
                    "session_id": e.session_id,
                    "author": e.author,
                    "text": e.text,
                    "at": e.at.isoformat(),
                }
                if e.type == "csat.requested":
                    data["question"] = CSAT_QUESTION
                yield ServerSentEvent(data=json.dumps(data, ensure_ascii=False), id=str(e.id))
            # Raise the floor past what was sent long enough ago that no lower id can still be
            # on its way, or past a full batch of sent events (catching up a long history).
            settled = [i for i, t in sent.items() if now - t >= SETTLE_SECONDS]
            if len(batch) == BATCH and not fresh:
                settled.append(batch[-1].id)
            if settled:
                floor = max(floor, *settled)
                sent = {i: t for i, t in sent.items() if i > floor}
            if not fresh:
                await asyncio.sleep(POLL_SECONDS)

    return EventSourceResponse(events(), ping=15, headers={"cache-control": "no-store"})


async def webhook(request: Request) -> Response:
    """The page's end of the channel: the deployment's delivery worker posts events here."""
    ctx = ctx_of(request)
    try:
        conn = await _web_chat(request)
        raw = await api.read_body(request)
        body = api.check_signed(conn, request.headers, raw).body
        fields = {}
        for name in ("type", "event_id", "customer_id", "text", "at"):
            value = body.get(name)
            if not isinstance(value, str):
                raise ApiError(400, f"field {name} must be a string")
            fields[name] = value
        session_id = body.get("session_id")
        if isinstance(session_id, bool) or not isinstance(session_id, int):
            raise ApiError(400, "field session_id must be a whole number")
        try:
            at = datetime.fromisoformat(fields["at"])
        except ValueError:
            raise ApiError(400, "field at must be an ISO 8601 time") from None
        at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
        author = body.get("author")
        if not isinstance(author, str):
            author = "system"
        try:
            filed = await webchat.file_event(
                ctx, conn.channel, fields["customer_id"], fields["event_id"], fields["type"],
                session_id, author, fields["text"], at,
            )  # fmt: skip
        except StoreError as exc:
            raise api.unavailable(exc) from exc
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
    except ApiError as exc:
        return exc.response()
    return JSONResponse({"filed": filed})

"""The channel API: what a channel provider posts, checked in the order that stores nothing
on a bad request -- channel known and connected (404), body size (413), signature over the raw
body (401), JSON and its fields (400), then the service, which stores the message once per
``message_id`` (202 the first time, 200 with the same answer on a retry, 409 when the id comes
back with another message). docs/gateway.md is the reference.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..domain.channels import CHANNELS_BY_ID
from ..domain.errors import NotFound, Refused, StoreError
from ..domain.webhooks import BadSignature, verify
from ..services import channels
from ..services.channels import ChannelMessage, Conflict, Connection
from ..services.context import Ctx
from ..services.inbound_batch import InboundBatcher
from .connections import ConnectionCache

log = logging.getLogger(__name__)

#: The largest body the API reads (1 MiB); a larger one is refused with 413 unread.
MAX_BODY = 1024 * 1024


class ApiError(Exception):
    """A request refused with ``status`` and a one-line reason."""

    def __init__(self, status: int, reason: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.reason}, self.status, headers=self.headers)


def wall_clock() -> datetime:
    """Signatures are checked against the real time, whatever clock the services use."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Signed:
    """A request whose signature checked out: its parsed JSON object and its connection."""

    connection: Connection
    body: dict[str, Any]


async def connected(request: Request, channel_id: str) -> Connection:
    """The connection of ``channel_id`` (``ApiError`` 404 when unknown or not connected)."""
    if channel_id not in CHANNELS_BY_ID:
        raise ApiError(404, f"unknown channel {channel_id[:64]!r}")
    cache: ConnectionCache = request.app.state.connections
    try:
        found = await cache.get(channel_id)
    except StoreError as exc:
        raise unavailable(exc) from exc
    if found is None:
        raise ApiError(404, f"channel {channel_id} is not connected")
    return found


def unavailable(exc: Exception) -> ApiError:
    log.warning("gateway: database unavailable: %s", exc)
    return ApiError(
        503, "the deployment's database is unavailable; try again", {"Retry-After": "5"}
    )


def check_signed(conn: Connection, headers: Mapping[str, str], raw: bytes) -> Signed:
    """The parsed body of a request signed with ``conn``'s secret, or :class:`ApiError`."""
    if len(raw) > MAX_BODY:
        raise ApiError(413, f"the body is over {MAX_BODY} bytes")
    try:
        verify(conn.secret, {k.lower(): v for k, v in headers.items()}, raw, wall_clock())
    except BadSignature as exc:
        raise ApiError(401, f"bad signature: {exc}") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ApiError(400, "the body is not UTF-8 JSON") from None
    except (ValueError, RecursionError):
        raise ApiError(400, "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body is not a JSON object")
    return Signed(conn, body)


def _text_field(body: Mapping[str, Any], name: str, where: str = "") -> str:
    value = body.get(name)
    if value is None:
        raise ApiError(400, f"missing field {where}{name}")
    if not isinstance(value, str):
        raise ApiError(400, f"field {where}{name} must be a string")
    if not value:
        raise ApiError(400, f"field {where}{name} is empty")
    return value


async def accept_message(
    batcher: InboundBatcher, conn: Connection, headers: Mapping[str, str], raw: bytes
) -> tuple[int, dict[str, Any]]:
    """A customer message signed for connection ``conn``: (HTTP status, JSON answer).
    Raises :class:`ApiError`."""
    channel_id = conn.channel
    signed = check_signed(conn, headers, raw)
    body = signed.body
    message_id = _text_field(body, "message_id")
    customer = body.get("customer")
    if customer is None:
        raise ApiError(400, "missing field customer")
    if not isinstance(customer, dict):
        raise ApiError(400, "field customer must be an object with id and name")
    ref = _text_field(customer, "id", "customer.")
    name = _text_field(customer, "name", "customer.")
    text = _text_field(body, "text")
    message = ChannelMessage(channel_id, message_id, ref, name, text)
    try:
        message.checked()  # what is wrong with it is said before it is queued
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    result = await batcher.submit(message)
    if isinstance(result, Conflict):
        raise ApiError(409, str(result))
    if isinstance(result, NotFound):
        raise ApiError(404, str(result))
    if isinstance(result, StoreError):
        raise unavailable(result)
    if isinstance(result, Exception):
        raise ApiError(400, str(result))
    answer = {"session_id": result.session_id, "status": result.status}
    return (200 if result.replayed else 202), answer


async def accept_csat(
    ctx: Ctx, conn: Connection, headers: Mapping[str, str], raw: bytes
) -> tuple[int, dict[str, Any]]:
    """A signed CSAT answer: ``{"session_id": N, "customer": {"id"}, "score": 1..5}``."""
    channel_id = conn.channel
    signed = check_signed(conn, headers, raw)
    body = signed.body
    session_id = body.get("session_id")
    if isinstance(session_id, bool) or not isinstance(session_id, int):
        raise ApiError(400, "field session_id must be a whole number")
    customer = body.get("customer")
    if not isinstance(customer, dict):
        raise ApiError(400, "field customer must be an object with id")
    ref = _text_field(customer, "id", "customer.")
    score = body.get("score")
    if isinstance(score, bool) or not isinstance(score, int):
        raise ApiError(400, "field score must be a whole number from 1 to 5")
    try:
        answer = await channels.answer_csat(ctx, channel_id, ref, session_id, score)
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None
    except Refused as exc:
        raise ApiError(409, str(exc)) from None
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    except StoreError as exc:
        raise unavailable(exc) from exc
    reply = {"session_id": answer.session_id, "score": answer.score}
    return (200 if answer.replayed else 202), reply


async def read_body(request: Request) -> bytes:
    """The raw body, refused unread past :data:`MAX_BODY` (Content-Length or counted)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError(413, f"the body is over {MAX_BODY} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, f"the body is over {MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def ctx_of(request: Request) -> Ctx:
    ctx: Ctx = request.app.state.ctx
    return ctx


def batcher_of(request: Request) -> InboundBatcher:
    """This gateway's group-commit queue for inbound messages."""
    batcher: InboundBatcher = request.app.state.batcher
    return batcher


async def post_message(request: Request) -> Response:
    channel_id = request.path_params["channel"]
    try:
        conn = await connected(request, channel_id)  # 404 before reading any body
        raw = await read_body(request)
        status, answer = await accept_message(batcher_of(request), conn, request.headers, raw)
    except ApiError as exc:
        return exc.response()
    return JSONResponse(answer, status)


async def post_csat(request: Request) -> Response:
    channel_id = request.path_params["channel"]
    ctx = ctx_of(request)
    try:
        conn = await connected(request, channel_id)
        raw = await read_body(request)
        status, answer = await accept_csat(ctx, conn, request.headers, raw)
    except ApiError as exc:
        return exc.response()
    return JSONResponse(answer, status)


async def healthz(request: Request) -> Response:
    from ..services.changes import ping

    try:
        await ping(ctx_of(request))
    except StoreError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
    return JSONResponse({"status": "ok", "database": "ok"})

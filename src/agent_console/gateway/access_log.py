"""One log line per request: method, path, status, size, time. Never a body, never a header
value (signatures, cookies), never a query string (where a careless client may put a token)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("agent_console.gateway.access")


class AccessLog:
    """Pure ASGI middleware (a ``BaseHTTPMiddleware`` would buffer streamed responses)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent = 0
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
            return message

        async def logging_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, logging_send)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "%s %s %s %d B in, %d B out, %.1f ms",
                    scope.get("method", "-"),
                    _path(scope),
                    status,
                    received,
                    sent,
                    (time.perf_counter() - started) * 1000,
                )


def _path(scope: Mapping[str, Any]) -> str:
    path = str(scope.get("path", ""))
    return path if len(path) <= 200 else path[:200] + "…"

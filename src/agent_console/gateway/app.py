"""The gateway's ASGI app: its routes, and a lifespan that opens the services and runs the
delivery workers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..domain.outbox import DEFAULT_LEASE, DEFAULT_TIMEOUT
from ..services.context import Ctx, system_clock
from ..services.inbound_batch import InboundBatcher
from ..services.pulse_sender import WAKEUPS, PulseSender
from ..services.runtime import open_ctx
from . import api, webchat
from .access_log import AccessLog
from .connections import ConnectionCache
from .delivery import DeliveryWorker, worker_name
from .router import Router

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GatewayOptions:
    """How the gateway runs. ``workers`` delivery workers (0: this gateway only takes traffic
    in; another one delivers)."""

    workers: int = 1
    timeout: timedelta = DEFAULT_TIMEOUT
    lease: timedelta = DEFAULT_LEASE
    batch: int = 200
    concurrency: int = 16
    busy_timeout_ms: int = 5000
    pool_size: int = 10
    #: Assign queued work to agents (the gateway's own router; see router.py).
    route: bool = True
    #: The least seconds between two pulses to the consoles (PostgreSQL; 0: send none).
    #: One sender per database sends them, whichever gateway holds its lock.
    pulse_every: float = 0.2
    #: Listening backends a second the pulses may wake at most: on a big floor they come
    #: less often than ``pulse_every`` (``domain/pulse.py`` ``pace``; 0: no bound).
    pulse_wakeups: int = WAKEUPS


async def not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"error": f"no such endpoint: {request.method} {request.url.path[:200]}"}, 404
    )


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": f"{request.method} is not allowed here"}, 405)


def create_app(
    url: str,
    options: GatewayOptions | None = None,
    *,
    clock: Callable[[], datetime] = system_clock,
) -> Starlette:
    """The gateway on the database at ``url`` (opened when the app starts)."""
    options = options or GatewayOptions()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx: Ctx = await open_ctx(
            url,
            clock=clock,
            busy_timeout_ms=options.busy_timeout_ms,
            pool_size=options.pool_size,
            # No ping per checkout (a round trip each): the inbound batch is tried again when
            # its connection turns out dead, and the other loops try again on their own.
            pre_ping=False,
        )
        app.state.ctx = ctx
        app.state.connections = ConnectionCache(ctx)
        app.state.batcher = batcher = InboundBatcher(ctx)
        batcher.start()
        workers = [
            DeliveryWorker(
                ctx,
                name=worker_name(i),
                batch=options.batch,
                concurrency=options.concurrency,
                timeout=options.timeout,
                lease=options.lease,
            )
            for i in range(options.workers)
        ]
        app.state.workers = workers
        router = Router(ctx) if options.route else None
        app.state.router = router
        sender = (
            PulseSender(ctx, every=options.pulse_every, wakeups=options.pulse_wakeups)
            if options.pulse_every > 0 and not ctx.db.is_sqlite
            else None
        )
        app.state.pulse_sender = sender
        loops: list[DeliveryWorker | Router | PulseSender] = [
            *workers,
            *([router] if router else []),
            *([sender] if sender else []),
        ]
        tasks = [asyncio.create_task(w.run()) for w in loops]
        # What start-up made lives as long as the process: out of the collector's way, so
        # its collections stay short under load (the gateway's p99 latency).
        gc.collect()
        gc.freeze()
        log.info(
            "gateway started on %s with %d delivery worker(s)%s%s",
            ctx.db.display_url,
            len(workers),
            ", a router" if router else "",
            ", pulses to the consoles" if sender else "",
        )
        try:
            yield
        finally:
            await batcher.stop()
            for w in loops:
                w.stop()
            if tasks:
                await asyncio.wait(tasks, timeout=options.timeout.total_seconds() + 5)
            for t in tasks:
                t.cancel()
            await ctx.db.dispose()
            log.info("gateway stopped")

    routes = [
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/v1/channels/{channel}/messages", api.post_message, methods=["POST"]),
        Route("/v1/channels/{channel}/csat", api.post_csat, methods=["POST"]),
        Mount(
            "/static", StaticFiles(packages=[("agent_console.gateway", "static")]), name="static"
        ),
        Route("/chat/{channel}", webchat.page, methods=["GET"]),
        Route("/chat/{channel}/send", webchat.send, methods=["POST"]),
        Route("/chat/{channel}/csat", webchat.csat, methods=["POST"]),
        Route("/chat/{channel}/stream", webchat.stream, methods=["GET"]),
        Route("/chat/{channel}/webhook", webchat.webhook, methods=["POST"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(AccessLog)],
        lifespan=lifespan,
        exception_handlers={404: not_found, 405: method_not_allowed},
    )

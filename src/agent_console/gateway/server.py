"""Running the gateway on uvicorn: in the foreground (``agent-console gateway``), or as a task
next to the console (``agent-console demo --gateway``) and in tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn

from ..domain.text import escape_log
from ..logs import OneLineFormatter
from .app import GatewayOptions, create_app

ACCESS_LOGGER = "agent_console.gateway"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: any free port; the socket says which)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _config(url: str, options: GatewayOptions, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(url, options),
        host=host,
        port=port,
        log_config=None,  # our own one-line logging; uvicorn's access log is off
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
        server_header=False,
        proxy_headers=False,  # it answers for itself; a proxy in front says nothing to it
    )


def log_to_stderr(level: str = "info") -> None:
    """Gateway records (one per request, plus start, stop and warnings) on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in (ACCESS_LOGGER, "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.setLevel(level.upper())
        logger.addHandler(handler)
        logger.propagate = False


def run(url: str, host: str, port: int, options: GatewayOptions) -> None:
    """Serve until interrupted (SIGINT / SIGTERM: finish in-flight requests and deliveries)."""
    sock = bind(host, port)
    server = uvicorn.Server(_config(url, options, host, port))
    print(
        escape_log(f"agent-console gateway on http://{host}:{sock.getsockname()[1]}"),
        file=sys.stderr,
        flush=True,
    )
    server.run(sockets=[sock])
    if not server.started:
        raise SystemExit(1)


@dataclass
class Running:
    """A gateway serving in this process; ``base_url`` is where."""

    server: uvicorn.Server
    task: asyncio.Task[None]
    base_url: str

    @property
    def app(self) -> object:
        return self.server.config.loaded_app


@contextlib.asynccontextmanager
async def serving(
    url: str, options: GatewayOptions | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[Running]:
    """Serve the gateway as a task of the running loop until the block ends."""
    options = options or GatewayOptions()
    sock = bind(host, port)
    config = _config(url, options, host, sock.getsockname()[1])
    async with serving_app(config, sock) as running:
        yield running


@contextlib.asynccontextmanager
async def serving_app(config: uvicorn.Config, sock: socket.socket) -> AsyncIterator[Running]:
    """Serve ``config``'s app on the bound ``sock`` as a task until the block ends."""
    server = uvicorn.Server(config)
    started = asyncio.Event()
    startup = server.startup

    async def startup_then_tell(sockets: list[socket.socket] | None = None) -> None:
        await startup(sockets=sockets)
        started.set()

    server.startup = startup_then_tell  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        done, _ = await asyncio.wait(
            [task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        if task in done or not server.started:
            task.result()  # raises what stopped it
            raise RuntimeError("the server stopped before it started")
        host, port = sock.getsockname()[:2]
        yield Running(server, task, f"http://{host}:{port}")
    finally:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await task
        sock.close()

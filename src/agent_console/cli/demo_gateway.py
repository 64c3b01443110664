"""``demo --gateway``: the gateway as a second process next to the demo console.

The web chat channels are connected to the gateway's own ``/chat/{channel}/webhook`` and given
routing priority 1 (the customer in the browser gets dana's next free room), so what
the agent types in the terminal reaches the customer's browser through the real outbox, and
what the customer types comes in through the real signed inbound path. The gateway runs as a
child process (its own event loop, its log in the data directory) and stops with the console.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx

from ..config import data_dir
from ..domain.errors import ConsoleError
from ..services import channels, settings
from ..services.context import Ctx

if TYPE_CHECKING:
    from .main import State

HOST = "127.0.0.1"
#: The web chat channel the demo's customer page uses (both web chat channels are connected).
CHAT_CHANNEL = "enhanced_web_chat_v2"
WEB_CHATS = ("enhanced_web_chat_v1", "enhanced_web_chat_v2")
DEMO_ADMIN = "dana"
LOG_FILE = "demo-gateway.log"
READY_WITHIN = 20.0


def free_port(wanted: int) -> int:
    """``wanted`` when nothing listens there, else a free port."""
    for port in (wanted, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise ConsoleError("no free port on 127.0.0.1 for the gateway")


@contextlib.contextmanager
def demo_gateway(state: State, url: str, port: int) -> Iterator[str]:
    """Connect the web chat channels, start the gateway, yield the chat page's address."""
    port = free_port(port)
    base = f"http://{HOST}:{port}"

    async def connect(ctx: Ctx) -> None:
        for channel_id in WEB_CHATS:
            await channels.connect(
                ctx, channel_id, f"{base}/chat/{channel_id}/webhook", admin=DEMO_ADMIN
            )
            # The customer in the browser is served first: the next room dana has is theirs.
            await settings.set_setting(ctx, f"channel.{channel_id}.priority", "1", admin=DEMO_ADMIN)

    state.run(connect, url=url)
    log_path = data_dir() / LOG_FILE
    log_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "agent_console.cli.main",
                "--db",
                url,
                "gateway",
                "--host",
                HOST,
                "--port",
                str(port),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
    try:
        _wait_ready(child, base, log_path)
        yield f"{base}/chat/{CHAT_CHANNEL}"
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _wait_ready(child: subprocess.Popen[bytes], base: str, log_path: object) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise ConsoleError(f"the demo gateway stopped at start (exit {child.returncode}); "
                               f"see {log_path}")  # fmt: skip
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise ConsoleError(f"the demo gateway did not answer within {READY_WITHIN:g} s; see {log_path}")

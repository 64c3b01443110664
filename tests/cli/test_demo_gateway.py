"""``demo --gateway``: the gateway as a child process next to the demo console, with the web
chat channels connected to it and routed first (the console itself is tested elsewhere)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from agent_console.cli.demo_gateway import CHAT_CHANNEL, WEB_CHATS, demo_gateway
from agent_console.cli.main import State
from agent_console.demo.seed import seed
from agent_console.services import channels, settings
from agent_console.services.runtime import open_ctx

from .conftest import Console

pytestmark = pytest.mark.slow


def test_demo_gateway_serves_the_chat_page_and_stops_with_the_console(
    tmp_path: Path, home: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"

    async def make() -> None:
        ctx = await open_ctx(url)
        try:
            await seed(ctx, agents=4, sessions=10, seed=1)
        finally:
            await ctx.db.dispose()

    asyncio.run(make())
    with demo_gateway(State(), url, 0) as chat_url:
        assert chat_url.startswith("http://127.0.0.1:") and chat_url.endswith(CHAT_CHANNEL)
        page = httpx.get(chat_url, timeout=10)
        assert page.status_code == 200 and "Chat with us" in page.text
        base = chat_url.rsplit("/chat/", 1)[0]

        async def check() -> None:
            ctx = await open_ctx(url)
            try:
                listed = {c.channel: c for c in await channels.list_channels(ctx)}
                for channel_id in WEB_CHATS:
                    assert listed[channel_id].webhook_url == f"{base}/chat/{channel_id}/webhook"
                views = {v.key: v.value for v in await settings.list_settings(ctx)}
                assert all(views[f"channel.{c}.priority"] == "1" for c in WEB_CHATS)
            finally:
                await ctx.db.dispose()

        asyncio.run(check())
    with pytest.raises(httpx.ConnectError):
        httpx.get(chat_url, timeout=2)


def test_demo_gateway_needs_the_console(run_sqlite: Console) -> None:
    result = run_sqlite("demo", "--gateway", "--no-ui", db=False, code=2)
    assert "--gateway runs next to the console" in result.stderr

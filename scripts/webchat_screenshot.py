"""Take docs/screenshots/webchat.png: the web chat page mid-conversation.

A throw-away SQLite deployment with dana (admin, Online) and CSAT on agent end; the gateway
serves the page on 127.0.0.1 with the web chat channel connected to the page's own webhook; a
customer writes in Debian's chromium (driven by Playwright), dana answers and ends the chat
through the services, and the picture is taken when the page shows the CSAT question.

    .venv/bin/python scripts/webchat_screenshot.py [--out PATH] [--dark]

``AGENT_CONSOLE_CHROMIUM`` names the browser (default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Page, async_playwright, expect

from agent_console.domain.vocab import Presence
from agent_console.gateway.app import GatewayOptions
from agent_console.gateway.server import serving
from agent_console.services import (
    agents,
    channels,
    conversations,
    ending,
    presence,
    routing,
    settings,
)
from agent_console.services.runtime import open_ctx

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots" / "webchat.png"
CHROMIUM = os.environ.get("AGENT_CONSOLE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHANNEL = "enhanced_web_chat_v2"
PERMISSIONS = (
    "enhanced_chat_user",
    "enhanced_chat_rep",
    "messaging_agent",
    "end_messaging_session",
)
SHOWN_MS = 20_000


async def write(page: Page, text: str) -> int:
    await page.locator("#text").fill(text)
    async with page.expect_response(lambda r: r.url.endswith("/send")) as sent:
        await page.locator("#text").press("Enter")
    answer = await (await sent.value).json()
    await expect(page.locator("#log li.me", has_text=text)).to_have_count(1, timeout=SHOWN_MS)
    return int(answer["session_id"])


async def agent_says(page: Page, ctx: object, sid: int, text: str) -> None:
    await conversations.send(ctx, "dana", sid, text)  # type: ignore[arg-type]
    await expect(page.locator("#log li.agent", has_text=text)).to_have_count(1, timeout=SHOWN_MS)


async def take(out: Path, dark: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'webchat.db'}"
        ctx = await open_ctx(url)
        try:
            await agents.add_agent(ctx, "dana", capacity=5, permissions=PERMISSIONS, is_admin=True)
            await presence.set_presence(ctx, "dana", Presence.ONLINE)
            await settings.set_setting(ctx, "csat_on_agent_end", "on", admin="dana")
            options = GatewayOptions(timeout=timedelta(seconds=2), lease=timedelta(seconds=4))
            async with serving(url, options) as gw, async_playwright() as p:
                hook = f"{gw.base_url}/chat/{CHANNEL}/webhook"
                await channels.connect(ctx, CHANNEL, hook, admin="dana")
                browser = await p.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=ARGS
                )
                context = await browser.new_context(
                    viewport={"width": 760, "height": 1040},
                    device_scale_factor=1,
                    locale="en-US",
                    timezone_id="UTC",
                    color_scheme="dark" if dark else "light",
                )
                page = await context.new_page()
                await page.goto(f"{gw.base_url}/chat/{CHANNEL}")
                await expect(page.locator("#status")).to_have_attribute("data-state", "live")
                await page.locator("#name").fill("Alex")
                sid = await write(page, "Hello! My parcel has not arrived yet.")
                await write(page, "Order 12345, sent last Monday.")
                await routing.route(ctx)
                await agent_says(
                    page,
                    ctx,
                    sid,
                    "Hi Alex, sorry about the wait. I can see order 12345 left our warehouse "
                    "on Tuesday; it is with the courier now.",
                )
                await write(page, "When will it arrive?")
                await agent_says(
                    page, ctx, sid, "Tomorrow before noon. The tracking link is in your email."
                )
                await write(page, "Great, thank you!")
                await agent_says(page, ctx, sid, "You're welcome. Have a nice day!")
                await ending.end_session(ctx, "dana", sid)
                await expect(page.locator("#csat")).to_be_visible(timeout=SHOWN_MS)
                await page.locator("#text").blur()
                out.parent.mkdir(parents=True, exist_ok=True)
                await page.screenshot(path=str(out))
                await context.close()
                await browser.close()
        finally:
            await ctx.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--dark", action="store_true", help="the page in dark mode")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(
            f"no browser at {CHROMIUM}: apt-get install chromium, or set AGENT_CONSOLE_CHROMIUM"
        )
    asyncio.run(take(args.out, args.dark))
    print(args.out)


if __name__ == "__main__":
    main()

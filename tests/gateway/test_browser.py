"""The web chat page in a real browser: a customer in Debian's chromium (driven by Playwright),
an agent in the Textual console, and the gateway between them, all on 127.0.0.1 and on the
test's event loop.

The page is served by the gateway; its channel is connected to the gateway's own
``/chat/{channel}/webhook``, so what the agent sends goes out through the outbox and the
delivery worker and comes back to the page over its event stream, as in a deployment.

Every wait is on a condition (Playwright's ``expect``, the ``until`` helpers), never a sleep.
No browser is downloaded: ``AGENT_CONSOLE_CHROMIUM`` (default ``/usr/bin/chromium``, Debian's
``chromium`` package) is launched. Without it the tests are skipped -- except under CI, where
they fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    async_playwright,
    expect,
)

from agent_console.domain.outbox import CSAT_QUESTION
from agent_console.services import channels, conversations, listing, routing, settings
from agent_console.services.context import Ctx, system_clock
from agent_console.tui.app import make_app
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.widgets.composer import Composer
from agent_console.tui.widgets.transcript import Transcript
from tui.conftest import console_ready
from tui.conftest import until as until_console

from .conftest import ADMIN, FAST, WEB, team, until

CHROMIUM = os.environ.get("AGENT_CONSOLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # as root (CI) the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The test routes by hand (``routing.route``), so a new session is seen Waiting first.
MANUAL_ROUTING = dataclasses.replace(FAST, route=False)
#: How long the page may take to show what the deployment sent (outbox, worker, stream).
SHOWN_WITHIN_MS = 20_000

# SQLite is enough here: what the page does is the same on both stores, and the gateway's
# own tests cover PostgreSQL.
pytestmark = [pytest.mark.slow, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


@pytest.fixture
def clock() -> Callable[[], Any]:
    """The real clock: the gateway stamps what it takes in with it, and so does the console."""
    return system_clock


@pytest.fixture
def chromium() -> str:
    """The browser to drive: skipped without one, failed without one under CI."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"no browser at {CHROMIUM}: install Debian's chromium package")
        pytest.skip(
            f"no browser at {CHROMIUM} (apt-get install chromium, or set AGENT_CONSOLE_CHROMIUM)"
        )
    return CHROMIUM


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@dataclass
class Watched:
    """A page, with what went wrong in it: script errors, console errors (a CSP violation
    is one), and dialogs (``alert`` from injected markup would be one)."""

    page: Page
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.dialogs == [], self.dialogs


@contextlib.asynccontextmanager
async def web_chat(ctx: Ctx, gateway: Any, browser: Browser) -> AsyncIterator[Watched]:
    """The gateway serving, the web chat channel connected to the page's own webhook, and
    the page open in a fresh browser context (no cookies: a new visitor). The context closes
    first at the end, so the page's event stream ends before the gateway stops."""
    async with gateway(MANUAL_ROUTING) as gw:
        hook = f"{gw.base_url}/chat/{WEB}/webhook"
        await channels.connect(ctx, WEB, hook, admin=ADMIN)
        context = await browser.new_context(viewport={"width": 480, "height": 860}, locale="en-US")
        try:
            yield await _open(context, f"{gw.base_url}/chat/{WEB}")
        finally:
            await context.close()


async def _open(context: BrowserContext, url: str) -> Watched:
    page = await context.new_page()
    watched = Watched(page)
    page.on("pageerror", lambda exc: watched.errors.append(f"page error: {exc}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(f"console: {message.text}")

    async def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        await dialog.dismiss()

    page.on("console", on_console)
    page.on("dialog", on_dialog)
    await page.goto(url)
    await expect(page.locator("#status")).to_have_attribute("data-state", "live")
    return watched


async def customer_writes(page: Page, text: str, *, name: str | None = None) -> dict[str, Any]:
    """Type a line (and the name, the first time) and press Enter; the send's JSON answer."""
    if name is not None:
        await page.locator("#name").fill(name)
    await page.locator("#text").fill(text)
    async with page.expect_response(lambda r: r.url.endswith("/send")) as sent:
        await page.locator("#text").press("Enter")
    response = await sent.value
    assert response.ok, await response.text()
    answer: dict[str, Any] = await response.json()
    await expect(page.locator("#log li.me").last).to_contain_text(text)
    return answer


async def test_a_customer_chats_with_an_agent_in_the_console_and_rates_the_chat(
    ctx: Ctx, db_url: str, gateway: Any, browser: Browser
) -> None:
    await team(ctx)
    await settings.set_setting(ctx, "csat_on_agent_end", "on", admin=ADMIN)
    async with web_chat(ctx, gateway, browser) as watched:
        page = watched.page
        await expect(page.locator("h1")).to_have_text("Chat with us")

        # The customer writes; the session waits in the queue until routing gives it to dana.
        hello = "Hello, my parcel has not arrived"
        answer = await customer_writes(page, hello, name="Alex Smith")
        sid = answer["session_id"]
        assert answer["status"] == "Waiting"
        await customer_writes(page, "Order 12345, sent last Monday")

        # End Chat ends at once (no Undo time, tests/tui/test_issue11_endchat.py has it): the
        # page is what is under test.
        app = make_app(
            db_url, ADMIN, clock=system_clock, timezone=UTC, poll_interval=0.2, end_undo_seconds=0
        )
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await console_ready(pilot)
            assert screen.rows == []  # nothing is dana's yet
            assigned = await routing.route(ctx)
            assert [(a.session_id, a.agent) for a in assigned] == [(sid, ADMIN)]

            # The console opens the session with the customer's lines.
            transcript = screen.query_one(Transcript)
            await until_console(
                pilot,
                lambda: (
                    screen.detail is not None
                    and screen.detail.session.id == sid
                    and "Order 12345" in transcript.plain_text
                ),
                what="the customer's lines in the console",
            )
            assert "Alex Smith" in transcript.plain_text and hello in transcript.plain_text

            # dana replies in the composer; the page shows the reply, under dana's name.
            reply = "Hi Alex, let me check."
            composer = screen.query_one("#composer", Composer)
            composer.focus()
            await pilot.press(*reply)
            await pilot.press("enter")
            agent_line = page.locator("#log li.agent")
            await expect(agent_line).to_have_count(1, timeout=SHOWN_WITHIN_MS)
            await expect(agent_line).to_contain_text(reply)
            await expect(agent_line.locator(".who")).to_have_text("dana")

            # End Chat: the page shows the end line, then the CSAT question.
            await pilot.press("ctrl+e")
            end_line = page.locator("#log li.system", has_text="Session ended by dana")
            await expect(end_line).to_have_count(1, timeout=SHOWN_WITHIN_MS)
            csat = page.locator("#csat")
            await expect(csat).to_be_visible(timeout=SHOWN_WITHIN_MS)
            await expect(csat.locator("#csat-question")).to_have_text(CSAT_QUESTION)
            assert (await listing.show_session(ctx, sid)).session.status == "Ended"

            # The customer rates the chat 4/5: the page thanks them, the console shows it.
            await csat.get_by_role("button", name="4").click()
            await expect(csat).to_be_hidden(timeout=SHOWN_WITHIN_MS)
            await expect(page.locator("#log li.system").last).to_contain_text(
                "You rated this conversation 4/5"
            )
            await until_console(
                pilot,
                lambda: "The customer rated this conversation 4/5" in transcript.plain_text,
                what="the rating in the console's transcript",
            )
            assert isinstance(app.screen, ConsoleScreen)

        # In the record: the customer's lines, dana's reply (delivered), the end, the rating.
        detail = await listing.show_session(ctx, sid)
        texts = [m.text for m in detail.messages]
        assert texts[:3] == [hello, "Order 12345, sent last Monday", reply]
        assert any(t.startswith("Session ended by dana") for t in texts)
        assert texts[-1] == "The customer rated this conversation 4/5"
        watched.assert_clean()


HOSTILE = "<img src=x onerror=alert(1)><b>bold</b>"


async def test_customer_and_agent_text_is_shown_as_text_never_as_markup(
    ctx: Ctx, gateway: Any, browser: Browser
) -> None:
    await team(ctx)
    async with web_chat(ctx, gateway, browser) as watched:
        page = watched.page
        answer = await customer_writes(page, HOSTILE, name='<i>Eve</i> "&amp;"')
        mine = page.locator("#log li.me")
        await expect(mine).to_have_count(1)
        assert HOSTILE in await mine.inner_text()

        await routing.route(ctx)
        hostile_reply = "<script>alert(2)</script><a href='javascript:alert(3)'>click</a> &lt;"
        await conversations.send(ctx, ADMIN, answer["session_id"], hostile_reply)
        theirs = page.locator("#log li.agent")
        await expect(theirs).to_have_count(1, timeout=SHOWN_WITHIN_MS)
        assert hostile_reply in await theirs.inner_text()

        # The name is shown as typed, too.
        await expect(page.locator("#as")).to_have_text('Chatting as <i>Eve</i> "&amp;"')
        # Nothing of it became markup: the page has no such elements of its own.
        for tag in ("img", "b", "i", "script", "a"):
            await expect(page.locator(f"main {tag}")).to_have_count(0)
        # The customer's name is stored as given (the console shows it as text too).
        detail = await listing.show_session(ctx, answer["session_id"])
        assert detail.session.customer == '<i>Eve</i> "&amp;"'
        watched.assert_clean()


async def test_the_page_keeps_the_conversation_across_a_reload(
    ctx: Ctx, gateway: Any, browser: Browser
) -> None:
    """The visitor cookie brings the same chat back: a reload replays the mailbox."""
    await team(ctx)
    async with web_chat(ctx, gateway, browser) as watched:
        page = watched.page
        answer = await customer_writes(page, "Are you open on Sunday?", name="Sam")
        await routing.route(ctx)
        await conversations.send(ctx, ADMIN, answer["session_id"], "Yes, 10 to 4.")
        await expect(page.locator("#log li.agent")).to_contain_text(
            "Yes, 10 to 4.", timeout=SHOWN_WITHIN_MS
        )
        await page.reload()
        await expect(page.locator("#log li")).to_have_count(2)
        await expect(page.locator("#log li.me")).to_contain_text("Are you open on Sunday?")
        await expect(page.locator("#log li.agent")).to_contain_text("Yes, 10 to 4.")
        # Another line goes to the same session.
        again = await customer_writes(page, "Thanks!")
        assert again["session_id"] == answer["session_id"]
        await until(
            lambda: _last_text(ctx, answer["session_id"], "Thanks!"), what="the line stored"
        )
        watched.assert_clean()


async def _last_text(ctx: Ctx, sid: int, text: str) -> bool:
    return (await listing.show_session(ctx, sid)).messages[-1].text == text

"""Customer text is shown literally: markup is not parsed, actions are not run, no escapes."""

from __future__ import annotations

from typing import Any

from textual.command import CommandList

from agent_console.services import conversations, routing
from agent_console.services.context import Ctx
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.widgets.session_list import SessionList
from agent_console.tui.widgets.transcript import Transcript

from .conftest import SIZE, Seeded, click, console_ready, palette_open, quiet, until

HOSTILE = [
    "[/bold]",
    "[@click=app.quit]x[/]",
    "[b]bold?[/b] [link=https://evil.example]click[/link]",
    "\x1b[31mred\x1b[0m \x1b]0;title\x07 \u202eevil\u202c",
]


async def test_hostile_customer_text_renders_literally(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    for text in HOSTILE:
        await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", text)
    evil = await conversations.inbound(ctx, "[@click=app.quit]q[/]", "standard_sms", "[/]")
    await routing.route(ctx)

    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        shown = screen.query_one(Transcript).plain_text
        assert "[/bold]" in shown
        assert "[@click=app.quit]x[/]" in shown
        assert "[b]bold?[/b] [link=https://evil.example]click[/link]" in shown
        assert "\x1b" not in shown and "␛[31mred" in shown
        assert "\u202e" not in shown

        # The hostile customer name is listed literally, and opening it crashes nothing.
        options = screen.query_one(SessionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("[@click=app.quit]q[/]" in p for p in prompts)
        screen.open_session(evil.session_id)
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.id == evil.session_id,
        )
        assert "[/]" in screen.query_one(Transcript).plain_text

        # Clicking across the transcript runs no embedded action.
        await click(pilot, Transcript, offset=(12, 2))
        await quiet(pilot)
        assert app.is_running

        # The palette lists the session by its literal name.
        palette = await palette_open(pilot)
        await pilot.press(*"Open session")
        results = palette.query_one(CommandList)
        await until(
            pilot,
            lambda: any(
                "[@click=app.quit]q[/]" in str(results.get_option_at_index(i).prompt)
                for i in range(results.option_count)
            ),
            what="the palette to list the hostile session literally",
        )
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen), what="the console")
        await quiet(pilot)

        svg = app.export_screenshot()
        assert "\x1b" not in svg
        assert app.is_running
        assert isinstance(app.screen, ConsoleScreen)

"""The transcript over a bounded text window (issue 5 row 10): a message loaded only in part
says its full length, and Show more past the loaded window makes the console load a larger
(capped) one, forgotten when another session opens."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from agent_console.services import conversations
from agent_console.services.context import Ctx
from agent_console.services.views import (
    DETAIL_TEXT_CAP,
    MESSAGE_TEXT_CAP,
    MESSAGE_TEXT_WINDOW,
    MessageView,
)
from agent_console.tui.app import AgentConsoleApp
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.widgets.transcript import (
    BUDGET,
    DISPLAY_LIMIT,
    MAX_FACTOR,
    SHOW_MORE_STEP,
    Transcript,
    transcript_content,
    window,
)

from .conftest import Seeded, until

AT = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
BIG = "".join(f"[b]w{i % 89}[/b] " for i in range(40_000))[:300_000]


def cut_view(text: str, length: int) -> MessageView:
    return MessageView(1, "customer", "Meg", text, AT, True, length)


def test_a_message_loaded_in_part_says_its_full_length() -> None:
    view = cut_view("[b]x[/b] " * 2_000, 1_048_576)
    shown = str(transcript_content([view], total=1, tz=UTC))
    assert f"… ({1_048_576 - DISPLAY_LIMIT:,} of 1,048,576 characters not shown)" in shown
    assert "[b]x[/b]" in shown  # customer text stays inert
    assert window([view]).cut  # Show more is offered
    whole = MessageView(2, "customer", "Meg", "short", AT, True, 5)
    assert str(transcript_content([whole], total=1, tz=UTC)).endswith("short")
    assert not window([whole]).cut


def test_show_more_never_needs_more_than_the_services_give() -> None:
    assert DISPLAY_LIMIT * MAX_FACTOR <= MESSAGE_TEXT_CAP
    assert BUDGET * MAX_FACTOR <= DETAIL_TEXT_CAP


async def test_show_more_loads_a_larger_window_of_the_open_session(
    ctx: Ctx, seeded: Seeded, app_factory: Callable[..., AgentConsoleApp]
) -> None:
    await conversations.inbound(ctx, "Bob", "standard_sms", BIG)
    app = app_factory(seeded.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.loaded)
        screen = app.screen
        assert isinstance(screen, ConsoleScreen)
        transcript = screen.query_one(Transcript)
        screen.open_session(seeded.bob)

        def bob_big() -> MessageView | None:
            detail = screen.detail
            if detail is None or detail.session.id != seeded.bob:
                return None
            return next((m for m in detail.messages if m.full_length == len(BIG)), None)

        await until(pilot, lambda: bob_big() is not None, within=30, what="the big message")
        big = bob_big()
        assert big is not None and len(big.text) == MESSAGE_TEXT_WINDOW
        await until(pilot, lambda: "of 300,000 characters not shown" in transcript.plain_text)
        assert f"{300_000 - DISPLAY_LIMIT:,} of 300,000" in transcript.plain_text

        factor = 1
        while factor < SHOW_MORE_STEP**2:  # the second press needs more than a refresh loads
            transcript.show_more()
            factor *= SHOW_MORE_STEP
        wanted = f"{300_000 - DISPLAY_LIMIT * factor:,} of 300,000 characters not shown"
        await until(pilot, lambda: wanted in transcript.plain_text, within=30, what=wanted)
        assert "[b]w1[/b]" in transcript.plain_text
        big = bob_big()
        assert big is not None and len(big.text) == DISPLAY_LIMIT * factor

        # Another session forgets the larger window; back on Bob, the default one again.
        screen.open_session(seeded.alice)
        await until(pilot, lambda: screen.detail is not None and bob_big() is None)
        screen.open_session(seeded.bob)
        await until(pilot, lambda: bob_big() is not None, within=30)
        big = bob_big()
        assert big is not None and len(big.text) == MESSAGE_TEXT_WINDOW
        assert transcript.shown_factor == 1
        assert app.is_running

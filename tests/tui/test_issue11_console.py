"""Issue 11, the console's own defects: the transcript after a resize, and the words the
console says (end lines, toasts, counts)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agent_console.services import conversations
from agent_console.services.context import Ctx
from agent_console.tui.app import AgentConsoleApp
from agent_console.tui.widgets.transcript import Transcript

from .conftest import AGENT, SIZE, Seeded, console_ready, until


async def test_the_transcript_stays_on_the_newest_line_after_a_resize(
    ctx: Ctx, seeded: Seeded, app_factory: Callable[..., AgentConsoleApp]
) -> None:
    """Defect 4: at the end before a resize, at the end after it (wider and narrower)."""
    for i in range(40):
        await conversations.send(ctx, AGENT, seeded.bob, f"line {i}: " + "words " * 12)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        screen.open_session(seeded.bob)
        transcript = screen.query_one(Transcript)
        await until(
            pilot,
            lambda: (
                "line 39:" in transcript.plain_text
                and transcript.max_scroll_y > 0
                and transcript.is_vertical_scroll_end
            ),
            what="Bob's transcript at its newest line",
        )
        for width, height in ((80, 24), (160, 50), (100, 30)):
            await pilot.resize_terminal(width, height)
            await until(
                pilot,
                lambda w=width: app.size.width == w and transcript.is_vertical_scroll_end,
                what=f"the newest line after resizing to {width}x{height}",
            )
        # Scrolled up by the agent: a resize keeps the place instead.
        transcript.scroll_home(animate=False)
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        await until(pilot, lambda: app.size.width == 120, what="the resize")
        await pilot.pause()
        assert not transcript.is_vertical_scroll_end


async def test_an_old_end_by_the_timer_says_who_and_which_day(
    ctx: Ctx, seeded: Seeded, clock: Any, app_factory: Callable[..., AgentConsoleApp]
) -> None:
    """Defect 9: not "Ended by timer timer at 01:06 from timer", and an end 18 days ago
    says its date, not only a time."""
    from agent_console.services import timers
    from agent_console.tui.widgets.conversation import ConversationPane

    sid = (await conversations.outbound(ctx, AGENT, "Gil", "standard_sms", "Hello?")).session_id
    clock.advance(hours=25)
    await timers.sweep(ctx, now=clock.now)
    clock.advance(days=18)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        screen.open_session(sid)
        pane = screen.query_one(ConversationPane)
        await until(pilot, lambda: "Ended by" in pane.end_summary_text, what="the end summary")
        text = pane.end_summary_text
        assert text.startswith("Ended by the R7 timer (the customer never answered) on 24 Nov 2026")
        assert "timer timer" not in text and "from timer" not in text

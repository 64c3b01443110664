"""Changes made outside the console (CLI, other agents, customers) appear within a poll."""

from __future__ import annotations

from typing import Any

from agent_console.services import conversations, routing
from agent_console.services.context import Ctx
from agent_console.tui.widgets.transcript import Transcript

from .conftest import SIZE, Seeded, console_ready, until


async def test_outside_changes_appear_after_the_poll(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url, poll_interval=0.5)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", "Still waiting...")
        carol = await conversations.inbound(ctx, "Carol", "enhanced_web_chat_v1", "Hi!")
        await routing.route(ctx)

        # Nothing tells the console but its poll.
        await until(
            pilot,
            lambda: (
                "Alice  Still waiting..." in screen.query_one(Transcript).plain_text
                and carol.session_id in [row.id for row in screen.rows]
                and screen.agent_view is not None
                and screen.agent_view.used == 3
            ),
            what="the poll to show the changes",
        )

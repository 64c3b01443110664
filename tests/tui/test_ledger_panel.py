"""The capacity ledger panel: each session using capacity, its units, the rule that makes it
count (the service's words) and the key that frees it; and the pane after an end (R2)."""

from __future__ import annotations

from typing import Any

from agent_console.domain.vocab import Surface
from agent_console.services import capacity, conversations, ending, listing
from agent_console.services.context import Ctx
from agent_console.tui.screens.ledger import LedgerScreen
from agent_console.tui.widgets.conversation import ConversationPane

from .conftest import AGENT, SIZE, Seeded, click, console_ready, until
from .test_presence_logout import seed_model


async def _ledger(pilot: Any, *, by_click: bool = False) -> LedgerScreen:
    if by_click:
        await click(pilot, "#capacity")
    else:
        await pilot.press("ctrl+l")
    await until(pilot, lambda: isinstance(pilot.app.screen, LedgerScreen), what="the ledger")
    panel = pilot.app.screen
    assert isinstance(panel, LedgerScreen)
    return panel


async def test_the_ledger_lists_what_uses_capacity_and_the_key_that_frees_it(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    expected = await capacity.ledger(ctx, AGENT)
    assert [item.session_id for item in expected.items] == [seeded.alice, seeded.bob]
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        panel = await _ledger(pilot)
        title = str(panel.query_one("#ledger-title").render())
        assert "dana uses 2 of 5 units (3 free)" in title
        texts = panel.item_texts
        assert len(texts) == 2
        for item, text in zip(expected.items, texts, strict=True):
            assert f"S-{item.session_id}" in text
            assert "1 unit" in text
            assert item.why in text  # the service's rule, word for word
            # Tab-based: ending keeps the units until the tab is closed (R2).
            assert "frees it: ^e End Chat, then ^t Close tab" in text
        assert "Alice" in texts[0] and "Bob" in texts[1]

        # Enter on the second entry opens that session in the console.
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.screen is screen, what="the ledger to close")
        await until(
            pilot,
            lambda: screen.detail is not None and screen.detail.session.id == seeded.bob,
            what="Bob's session to open",
        )


async def test_clicking_the_meter_opens_the_ledger_and_an_ended_tab_says_close_it(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await ending.end_session(ctx, AGENT, seeded.alice, Surface.CONVERSATION)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        panel = await _ledger(pilot, by_click=True)
        first = panel.item_texts[0]
        assert f"S-{seeded.alice}" in first and "Ended" in first
        assert "close the tab to free capacity" in first
        assert "frees it: ^t Close tab" in first
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="the ledger to close")

        # The pane of the ended session: R2's note with its key, and who ended it.
        pane = screen.query_one(ConversationPane)
        await until(pilot, lambda: "close the tab to free capacity" in pane.tab_note_text)
        assert "^t" in pane.tab_note_text
        assert "Ended by dana at 09:00 from the conversation" in pane.end_summary_text
        assert "no CSAT survey was sent" in pane.end_summary_text


async def test_status_based_sessions_are_freed_by_end_chat_alone(
    ctx: Ctx, db_url: str, app_factory: Any
) -> None:
    seeded = await seed_model(ctx, db_url, "status-based")
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        pane = screen.query_one(ConversationPane)
        outlook = pane.end_outlook_text
        assert "its 1 unit is freed at once (status-based)" in outlook
        panel = await _ledger(pilot)
        for text in panel.item_texts:
            assert "status-based: Active" in text
            assert text.rstrip().endswith("frees it: ^e End Chat")


async def test_an_empty_ledger_says_so(seeded: Seeded, ctx: Ctx, app_factory: Any) -> None:
    for sid in (seeded.alice, seeded.bob):
        await ending.end_session(ctx, AGENT, sid, Surface.CONVERSATION)
        await conversations.close_tab(ctx, AGENT, sid)
    assert (await listing.show_session(ctx, seeded.alice)).session.units_held == 0
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        panel = await _ledger(pilot)
        assert panel.item_texts == []
        assert "Nothing uses your capacity" in str(panel.query_one("#ledger-empty").render())

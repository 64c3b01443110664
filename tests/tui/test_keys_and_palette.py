"""Every action is a binding with an id (the keymap can move it) and is in the palette."""

from __future__ import annotations

from typing import Any

from agent_console.services import listing
from agent_console.services.context import Ctx
from agent_console.tui.screens.console import ConsoleScreen

from .conftest import SIZE, Seeded, console_ready, until, until_async


def test_every_console_binding_has_an_id_and_a_description() -> None:
    for binding in ConsoleScreen.BINDINGS:
        assert binding.id, binding  # type: ignore[union-attr]
        assert binding.description, binding  # type: ignore[union-attr]


async def test_the_palette_offers_the_console_actions(seeded: Seeded, app_factory: Any) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        titles = [command.title for command in app.get_system_commands(screen)]
        for title in ("End Chat", "Presence: Busy", "Presence: Offline", "Next session"):
            assert title in titles
        assert "Close tab" not in titles  # only for an ended session
        assert "Presence: Online" not in titles  # already Online
        assert "Quit" in titles  # Textual's own stay


async def test_a_keymap_moves_end_chat_to_another_key(
    seeded: Seeded, ctx: Ctx, clock: Any, app_factory: Any
) -> None:
    app = app_factory(seeded.url, keymap={"end-chat": "f8"})
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        assert screen.key_for("end_chat") == "f8"
        await pilot.press("f8")
        await until(pilot, lambda: screen.pending_ends == [seeded.alice], what="the Undo time")
        clock.advance(seconds=5)

        async def ended() -> bool:
            return (await listing.show_session(ctx, seeded.alice)).session.status == "Ended"

        await until_async(pilot, ended, what="f8 to end the chat")


def test_every_action_check_action_answers_from_state_is_a_dynamic_action() -> None:
    """A refresh tells the footer about changed keys only for DYNAMIC_ACTIONS: an action
    check_action answers from the screen's state but missing there would keep a stale key."""
    import inspect
    import re

    from agent_console.tui.screens import console

    source = inspect.getsource(console.ConsoleScreen.check_action)
    named = set(re.findall(r'"([a-z_]+)"', source))
    assert named == set(console.DYNAMIC_ACTIONS)

"""A supervisor sets the agent's presence or logs them out while the agent's console is open:
the change feed brings it, a notification says who and why once, the status bar says who set
the presence, and the logged-out banner says who logged the agent out and why. The note is
text, never markup. At start-up a supervisor's presence is on the status bar, not in a toast."""

from __future__ import annotations

from typing import Any

from textual.app import App

from agent_console.domain.vocab import Presence
from agent_console.services import presence
from agent_console.services.context import Ctx
from agent_console.tui.screens.console import ConsoleScreen

from .conftest import ADMIN, AGENT, SIZE, Seeded, console_ready, quiet, until


def _toasts(app: App[Any], text: str) -> int:
    return sum(1 for n in app._notifications if text in n.message)


def _bar(screen: ConsoleScreen) -> str:
    return str(screen.query_one("#presence").render())


async def test_a_supervisors_change_is_told_once_and_shown_on_the_status_bar(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        assert "set by" not in _bar(console)

        await presence.set_presence(ctx, AGENT, Presence.BUSY, by=ADMIN, note="Coaching")
        await app.poll_changes()  # the change feed, as the live poll reads it
        told = f"{ADMIN} set you Busy: Coaching"
        await until(pilot, lambda: _toasts(app, told) == 1, what="the supervisor's notice")
        await until(pilot, lambda: f"Busy · set by {ADMIN}" in _bar(console), what="the bar")
        assert "Coaching" in str(console.query_one("#presence").tooltip)

        # The same again (nothing new for her: same presence, note and time): no second notice.
        await presence.set_presence(ctx, AGENT, Presence.BUSY, by=ADMIN, note="Coaching")
        await app.poll_changes()
        console.request_refresh()
        await quiet(pilot)
        assert _toasts(app, told) == 1

        # Her own change: the bar forgets who, and nothing is told.
        await presence.set_presence(ctx, AGENT, Presence.ONLINE)
        await app.poll_changes()
        await until(pilot, lambda: "set by" not in _bar(console), what="her own presence")
        await quiet(pilot)
        assert not any("set you" in n.message for n in app._notifications if n.message != told)


async def test_a_supervisor_logout_is_told_with_its_reason_and_the_banner_keeps_it(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        note = "End of shift [b]not bold[/b]"
        await presence.logout(ctx, AGENT, confirmed=True, by=ADMIN, note=note)
        await app.poll_changes()
        told = f"{ADMIN} logged you out: {note}"
        await until(pilot, lambda: _toasts(app, told) == 1, what="the logout notice")
        await until(pilot, lambda: console.rows == [], what="the tabs to close")
        banner = console.query_one("#logged-out-banner")
        assert banner.display is True
        assert str(banner.render()).startswith(f"{ADMIN} logged you out: {note}. You are logged")
        assert "Offline · set by root" in _bar(console) and "(logged out)" in _bar(console)
        [toast] = [n for n in app._notifications if told in n.message]
        assert (toast.severity, toast.markup) == ("warning", False)


async def test_at_start_up_the_status_bar_says_who_and_no_toast_is_raised(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    await presence.set_presence(ctx, AGENT, Presence.BUSY, by=ADMIN, note="Coaching")
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        console = await console_ready(pilot)
        assert f"Busy · set by {ADMIN}" in _bar(console)
        await quiet(pilot)
        assert not any("set you" in n.message for n in app._notifications)

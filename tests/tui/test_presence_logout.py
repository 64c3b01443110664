"""Presence menu, the Offline preview (R5) under both capacity models, and the logout warning
(R6): keyboard and mouse, each checked against the database afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, listing, presence, routing, settings
from agent_console.services.context import Ctx
from agent_console.store.models import CsatRequest, EndRecord
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.screens.logout import LogoutScreen
from agent_console.tui.screens.offline_preview import OfflinePreviewScreen
from agent_console.tui.screens.presence_menu import PresenceMenu

from .conftest import (
    ADMIN,
    AGENT,
    ALL_PERMISSIONS,
    SIZE,
    Seeded,
    click,
    console_ready,
    quiet,
    until,
    until_async,
)


async def seed_model(ctx: Ctx, url: str, model: str, *, csat: str = "off") -> Seeded:
    """Like the shared seed, with the deployment's capacity model (and R9) set first."""
    await agents.add_agent(ctx, ADMIN, capacity=1, is_admin=True)
    await settings.set_setting(ctx, "capacity_model", model, admin=ADMIN)
    await settings.set_setting(ctx, "csat_on_agent_end", csat, admin=ADMIN)
    await agents.add_agent(ctx, AGENT, capacity=5, permissions=ALL_PERMISSIONS)
    await presence.set_presence(ctx, AGENT, Presence.ONLINE)
    alice = await conversations.inbound(ctx, "Alice", "enhanced_whatsapp", "Hello, my order?")
    bob = await conversations.inbound(ctx, "Bob", "standard_sms", "Is anyone there?")
    assert {a.agent for a in await routing.route(ctx)} == {AGENT}
    return Seeded(url, alice.session_id, bob.session_id)


async def _status(ctx: Ctx, sid: int) -> tuple[str, str | None]:
    row = (await listing.show_session(ctx, sid)).session
    return row.status, row.owner


async def _count(ctx: Ctx, table: Any) -> int:
    async with ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def _open_menu_by_key(pilot: Any) -> PresenceMenu:
    await pilot.press("ctrl+o")
    await until(pilot, lambda: isinstance(pilot.app.screen, PresenceMenu), what="the menu")
    menu = pilot.app.screen
    assert isinstance(menu, PresenceMenu)
    return menu


async def test_the_presence_menu_opens_from_a_click_and_escape_changes_nothing(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        # Loaded is not laid out: the status bar takes its place once the first snapshot is
        # drawn, and a click before that lands elsewhere (it missed once on CI).
        await quiet(pilot)
        presence = screen.query_one("#presence")
        await until(pilot, lambda: presence.region.area > 0, what="the presence bar laid out")
        await click(pilot, "#presence")
        await until(pilot, lambda: isinstance(app.screen, PresenceMenu), what="the menu")
        menu = app.screen
        assert isinstance(menu, PresenceMenu)
        options = menu.query_one("#presence-options")
        ids = ["Online", "Busy", "Offline", "Log out"]  # the away reasons come under Busy
        prompts = [str(options.get_option(i).prompt) for i in ids]  # type: ignore[attr-defined]
        firsts = [p.split("\n")[0] for p in prompts]
        assert [line.split()[0] for line in firsts] == ["o", "b", "f", "l"]  # each one's key
        assert [line[1:].strip("● ").split(" (")[0] for line in firsts] == [
            "Online",
            "Busy",
            "Offline",
            "Log out",
        ]
        assert "(now · 0m)" in prompts[0]
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="the menu to close")
        await quiet(pilot)
        assert (await agents.get_agent(ctx, AGENT)).presence == "Online"


async def test_choosing_busy_with_the_arrow_keys_and_enter(
    seeded: Seeded, ctx: Ctx, app_factory: Any
) -> None:
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await _open_menu_by_key(pilot)
        await pilot.press("down", "enter")

        async def busy() -> bool:
            return (await agents.get_agent(ctx, AGENT)).presence == "Busy"

        await until_async(pilot, busy, what="Busy")
        for sid in (seeded.alice, seeded.bob):
            assert await _status(ctx, sid) == ("Active", AGENT)


@pytest.mark.parametrize(
    ("model", "after"),
    [("tab-based", ("Waiting", None)), ("status-based", ("Active", AGENT))],
)
async def test_r5_offline_preview_confirm_applies_what_it_showed(
    ctx: Ctx, db_url: str, app_factory: Any, model: str, after: tuple[str, str | None]
) -> None:
    seeded = await seed_model(ctx, db_url, model)
    expected = {
        e.session_id: e.effect
        for e in (await presence.set_presence(ctx, AGENT, Presence.OFFLINE, dry_run=True)).effects
    }
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await _open_menu_by_key(pilot)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, OfflinePreviewScreen), what="the preview")
        preview = app.screen
        assert isinstance(preview, OfflinePreviewScreen)
        shown = preview.effect_texts
        assert len(shown) == 2
        for sid, effect in expected.items():
            assert any(f"S-{sid}" in line and effect in line for line in shown)
        assert any("Alice" in line for line in shown)
        await click(pilot, "#offline-go")

        async def offline() -> bool:
            return (await agents.get_agent(ctx, AGENT)).presence == "Offline"

        await until_async(pilot, offline, what="Offline")
    # Under tab-based capacity nobody else is Online: the sessions wait for a rep.
    for sid in (seeded.alice, seeded.bob):
        assert await _status(ctx, sid) == after
    assert await _count(ctx, EndRecord) == 0


@pytest.mark.parametrize("model", ["tab-based", "status-based"])
async def test_r5_offline_preview_cancel_changes_nothing(
    ctx: Ctx, db_url: str, app_factory: Any, model: str
) -> None:
    seeded = await seed_model(ctx, db_url, model)
    before = await agents.get_agent(ctx, AGENT)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await _open_menu_by_key(pilot)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, OfflinePreviewScreen), what="the preview")
        if model == "tab-based":
            await click(pilot, "#offline-stay")
        else:
            await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, what="the preview to close")
        await quiet(pilot)
    assert await agents.get_agent(ctx, AGENT) == before
    for sid in (seeded.alice, seeded.bob):
        assert await _status(ctx, sid) == ("Active", AGENT)


async def test_r6_logout_cancel_changes_nothing(seeded: Seeded, ctx: Ctx, app_factory: Any) -> None:
    before = await agents.get_agent(ctx, AGENT)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await _open_menu_by_key(pilot)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LogoutScreen), what="the warning")
        warning = app.screen
        assert isinstance(warning, LogoutScreen)
        listed = warning.session_texts
        assert len(listed) == 2
        assert any(f"S-{seeded.alice}" in t and "Alice" in t for t in listed)
        assert any(f"S-{seeded.bob}" in t and "Bob" in t for t in listed)
        assert "Logging out ends 2 ongoing sessions; all 2 units you use are freed." in str(
            warning.query_one("#logout-summary").content  # type: ignore[attr-defined]
        )
        assert app.focused is warning.query_one("#logout-stay")  # the safe choice first
        await pilot.press("enter")  # on Cancel
        await until(pilot, lambda: app.screen is screen, what="the warning to close")
        await quiet(pilot)
    assert await agents.get_agent(ctx, AGENT) == before
    for sid in (seeded.alice, seeded.bob):
        assert await _status(ctx, sid) == ("Active", AGENT)
    assert await _count(ctx, EndRecord) == 0


async def test_r6_logout_confirm_ends_every_session_and_shows_the_logged_out_state(
    ctx: Ctx, db_url: str, app_factory: Any
) -> None:
    seeded = await seed_model(ctx, db_url, "tab-based", csat="on")
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        assert screen.query_one("#logged-out-banner").display is False
        await _open_menu_by_key(pilot)
        # The "Log out" entry: after Online, Busy and Offline (two lines each) and Break,
        # Lunch, Training (one line each).
        await click(pilot, "#presence-options", offset=(4, 10))
        await until(pilot, lambda: isinstance(app.screen, LogoutScreen), what="the warning")
        # The screen is on top before its buttons are mounted and laid out: a click needs them.
        await until(
            pilot,
            lambda: any(go.is_mounted and go.region for go in app.screen.query("#logout-go")),
            what="the Log out button",
        )
        csat_line = str(app.screen.query_one("#logout-csat").content)  # type: ignore[attr-defined]
        assert "Session ended by dana (logout)" in csat_line
        assert "a CSAT survey will be sent" in csat_line
        await click(pilot, "#logout-go")

        async def logged_out() -> bool:
            return not (await agents.get_agent(ctx, AGENT)).logged_in

        await until_async(pilot, logged_out, what="the logout")
        me = await agents.get_agent(ctx, AGENT)
        assert (me.presence, me.used) == ("Offline", 0)
        for sid in (seeded.alice, seeded.bob):
            detail = await listing.show_session(ctx, sid)
            assert detail.session.status == "Ended" and not detail.session.tab_open
            assert detail.end is not None
            assert (detail.end.actor_kind, detail.end.surface) == ("logout", "logout")
            assert "Session ended by dana (logout)" in detail.messages[-1].text
        assert await _count(ctx, CsatRequest) == 2  # R9 applies to a logout end

        banner = screen.query_one("#logged-out-banner")
        await until(pilot, lambda: banner.display is True, what="the logged-out banner")
        assert "logged out of Omni" in str(banner.render())
        assert "(logged out)" in str(screen.query_one("#presence").render())
        await until(pilot, lambda: screen.rows == [], what="the tabs to close")

        # Going Online logs back in.
        await _open_menu_by_key(pilot)
        await pilot.press("o")

        async def back() -> bool:
            view = await agents.get_agent(ctx, AGENT)
            return view.logged_in and view.presence == "Online"

        await until_async(pilot, back, what="logging back in")
        await until(pilot, lambda: banner.display is False, what="the banner to go")
    assert isinstance(screen, ConsoleScreen)

"""Row 11 -- authorization through every surface and through the services directly.

Cases: not the owner; each missing permission (enhanced chat user, enhanced chat rep,
messaging agent, end messaging session); R8 off; an Inactive session under status-based
capacity ended from the list; the row menu's End Session on an enhanced session; a non-admin
changing settings, triggers or agents.

Invariant: each is refused with its reason (a skipped result or a Refused naming it) on every
surface -- services, CLI, the console -- and nothing changes: the sessions, messages, end
records, CSAT requests, agents and settings are exactly as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import pytest
from click.testing import CliRunner
from textual.widgets import Button, Switch

from agent_console.cli.main import cli
from agent_console.domain.errors import Refused
from agent_console.domain.vocab import Presence, Surface, session_label
from agent_console.services import (
    agents,
    automation,
    bulk,
    conversations,
    ending,
    presence,
    routing,
    settings,
)
from agent_console.services.context import Ctx
from agent_console.services.listing import ROW_END_ABSENT
from agent_console.store.models import Base
from agent_console.tui.app import make_app
from agent_console.tui.screens.admin_settings import AdminSettingsScreen
from agent_console.tui.screens.bulk_end import BulkEndScreen
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.screens.row_menu import END, RowMenuScreen
from agent_console.tui.screens.sessions_list import SessionsListScreen
from agent_console.tui.widgets.conversation import ConversationPane
from tui.conftest import click

from .support import diff, dump, finish_with_check

pytestmark = pytest.mark.reliability

EC_USER, EC_REP = "enhanced_chat_user", "enhanced_chat_rep"
MSG, LIST = "messaging_agent", "end_messaging_session"
ALL = (EC_USER, EC_REP, MSG, LIST)
#: What a refused action must leave alone (bulk attempts are recorded, with their reasons).
GUARDED = ("sessions", "messages", "end_records", "csat_requests", "agents", "settings")

NOT_OWNER = "not the owner"
SETTING_OFF = "agents may not end sessions: setting is off"
INACTIVE = "Inactive sessions cannot be ended from the list under status-based capacity"
ROW_STANDARD = "row End Session is for standard channels only"
NOT_ADMIN = "only admins can change settings"


CHANNELS = ("enhanced_web_chat_v2", "standard_sms", "enhanced_whatsapp", "enhanced_sms")


@dataclass
class World:
    ctx: Ctx
    enhanced_chat: int  # owned by ann (enhanced web chat)
    standard: int  # owned by ann (standard SMS)
    enhanced_msg: int  # owned by ann (enhanced WhatsApp)
    inactive: int  # owned by ann, Inactive, status-based (Enhanced SMS)
    inactive_standard: int  # owned by ann, Inactive, status-based (Standard Facebook Messenger)


async def build(ctx: Ctx) -> World:
    await agents.add_agent(ctx, "root", is_admin=True)
    await settings.set_setting(ctx, "csat_on_agent_end", "on", admin="root")
    await settings.set_setting(
        ctx, "channel.enhanced_sms.capacity_model", "status-based", admin="root"
    )
    await settings.set_setting(
        ctx, "channel.standard_facebook_messenger.capacity_model", "status-based", admin="root"
    )
    await agents.add_agent(ctx, "ann", capacity=10, permissions=ALL)
    await presence.set_presence(ctx, "ann", Presence.ONLINE)
    ids = {}
    for ch in (*CHANNELS, "standard_facebook_messenger"):
        ids[ch] = (await conversations.inbound(ctx, f"cust-{ch}", ch, "hello")).session_id
    assert len(await routing.route(ctx)) == 5
    await conversations.mark_inactive(ctx, "ann", ids["enhanced_sms"])
    await conversations.mark_inactive(ctx, "ann", ids["standard_facebook_messenger"])
    # Everyone else is Offline: routing never gives them work.
    await agents.add_agent(ctx, "bob", permissions=ALL)  # not the owner of anything
    for missing in ALL:
        await agents.add_agent(ctx, f"no-{missing}", permissions=[p for p in ALL if p != missing])
    return World(ctx, *(ids[ch] for ch in CHANNELS), ids["standard_facebook_messenger"])


async def revoke_from_ann(ctx: Ctx, perm: str) -> None:
    await agents.set_agent(ctx, "ann", revoke=[perm])


Action = Callable[[World], Awaitable[Any]]


async def expect_refused(w: World, what: str, action: Action, reason: str) -> None:
    """Run ``action``; it must answer with ``reason`` and change nothing guarded.

    A macro is a bundle (R10/R11): its other steps (an internal note) may run; its refused
    end leaves the session, the records and the capacity alone.
    """
    guarded = GUARDED if "macro" not in what else tuple(t for t in GUARDED if t != "messages")
    before = await dump(w.ctx, guarded)
    try:
        answer = await action(w)
    except Refused as exc:
        assert reason in str(exc), (what, str(exc))
    else:
        results = answer if isinstance(answer, list) else getattr(answer, "results", [answer])
        steps = getattr(answer, "steps", None)
        if steps is not None:
            results = [s for s in steps if s.step == "end"]
            assert all(s.result == "skipped" for s in results), (what, steps)
        else:
            assert all(r.result == "skipped" for r in results), (what, results)
        assert all(reason in r.reason for r in results), (what, results, reason)
    assert diff(before, await dump(w.ctx, guarded)) == [], what


def end_as(agent: str, field: str, surface: Surface) -> Action:
    async def act(w: World) -> Any:
        return await ending.end_session(w.ctx, agent, getattr(w, field), surface)

    return act


def bulk_as(agent: str, *fields: str) -> Action:
    async def act(w: World) -> Any:
        return await bulk.bulk_end(w.ctx, agent, ids=[getattr(w, f) for f in fields])

    return act


CASES: list[tuple[str, Action, str]] = [
    # not the owner, from every owner-only surface
    ("End Chat, not owner", end_as("bob", "standard", Surface.CONVERSATION), NOT_OWNER),
    ("reply, not owner",
     lambda w: conversations.send(w.ctx, "bob", w.standard, "hi"), NOT_OWNER),
    ("mark inactive, not owner",
     lambda w: conversations.mark_inactive(w.ctx, "bob", w.enhanced_msg), NOT_OWNER),
    ("close tab, not owner",
     lambda w: conversations.close_tab(w.ctx, "bob", w.standard), "not your tab"),
    ("macro, not owner",
     lambda w: automation.run_macro(w.ctx, "Resolve and close", w.standard, as_agent="bob"),
     NOT_OWNER),
    ("logout ends only your own", lambda w: presence.logout(w.ctx, "bob", confirmed=True),
     ""),  # bob owns nothing: it ends nothing of ann's
    # each missing permission
    ("list row, missing end_messaging_session",
     end_as(f"no-{LIST}", "standard", Surface.ROW), f"missing permission {LIST}"),
    ("bulk, missing end_messaging_session",
     bulk_as(f"no-{LIST}", "standard", "enhanced_msg"), f"missing permission {LIST}"),
    # the row menu on an enhanced session; Inactive + status-based from the list
    ("row menu on enhanced", end_as("bob", "enhanced_msg", Surface.ROW), ROW_STANDARD),
    ("row menu on Inactive status-based", end_as("bob", "inactive", Surface.ROW), ROW_STANDARD),
    ("bulk on Inactive status-based", bulk_as("bob", "inactive"), INACTIVE),
    # R4 on a standard session: even its owner, with every permission, is refused
    ("row menu on Inactive standard status-based",
     end_as("ann", "inactive_standard", Surface.ROW), INACTIVE),
    ("list on Inactive standard status-based",
     end_as("ann", "inactive_standard", Surface.LIST), INACTIVE),
    ("bulk on Inactive standard status-based",
     bulk_as("ann", "inactive_standard", "inactive"), INACTIVE),
    # non-admins
    ("settings, not admin",
     lambda w: settings.set_setting(w.ctx, "agents_can_end", "off", admin="ann"), NOT_ADMIN),
    ("trigger, not admin",
     lambda w: automation.set_trigger_enabled(
         w.ctx, automation.END_WHEN_ESCALATED, False, admin="bob"), NOT_ADMIN),
    ("agent change, not admin",
     lambda w: agents.set_agent(w.ctx, "bob", capacity=99, admin="ann"), NOT_ADMIN),
]  # fmt: skip


async def test_every_refusal_has_its_reason_and_changes_nothing(ctx: Ctx, db_url: str) -> None:
    """Invariant: refused with the reason, nothing guarded changes -- services directly."""
    w = await build(ctx)
    for what, action, reason in CASES:
        await expect_refused(w, what, action, reason)

    # The owner missing each permission the conversation needs.
    for perm, field in ((EC_USER, "enhanced_chat"), (EC_REP, "enhanced_chat"), (MSG, "standard")):
        await revoke_from_ann(ctx, perm)
        await expect_refused(
            w, f"End Chat without {perm}", end_as("ann", field, Surface.CONVERSATION),
            f"missing permission {perm}",
        )  # fmt: skip
        await agents.set_agent(ctx, "ann", grant=[perm])

    # R8 off: no agent ends anything by hand, from any surface; automatic ends still happen.
    await settings.set_setting(ctx, "agents_can_end", "off", admin="root")
    for what, action in (
        ("End Chat, R8 off", end_as("ann", "standard", Surface.CONVERSATION)),
        ("row, R8 off", end_as("ann", "standard", Surface.ROW)),
        ("bulk, R8 off", bulk_as("ann", "standard", "enhanced_msg")),
        ("macro, R8 off", lambda w: automation.run_macro(
            w.ctx, "Resolve and close", w.standard, as_agent="ann")),
    ):  # fmt: skip
        await expect_refused(w, what, action, SETTING_OFF)
    fired = await automation.fire_trigger(ctx, "escalated", w.standard)
    assert [r.result for r in fired] == ["ended"]  # the system still may
    await finish_with_check(ctx, db_url)


async def test_the_cli_refuses_with_the_reason(ctx: Ctx, db_url: str) -> None:
    """Invariant: the same refusals through ``agent-console`` -- exit 1, the reason on
    stderr, nothing changed."""
    w = await build(ctx)
    runner = CliRunner()
    calls = [
        (["sessions", "end", str(w.standard), "--as", "bob"], NOT_OWNER),
        (["sessions", "end", str(w.enhanced_msg), "--as", "bob", "--surface", "row"],
         ROW_STANDARD),
        (["sessions", "end", str(w.standard), "--as", f"no-{LIST}", "--surface", "list"],
         f"missing permission {LIST}"),
        (["sessions", "end", str(w.inactive), "--as", "bob", "--surface", "list"], INACTIVE),
        (["send", str(w.standard), "hi", "--as", "bob"], NOT_OWNER),
        (["macro", "run", "Resolve and close", str(w.standard), "--as", "bob"], NOT_OWNER),
        (["settings", "set", "agents_can_end", "off", "--as", "ann"], NOT_ADMIN),
    ]  # fmt: skip
    for argv, reason in calls:
        before = await dump(ctx, GUARDED)
        result = await asyncio.to_thread(runner.invoke, cli, ["--db", db_url, *argv])
        assert result.exit_code == 1, (argv, result.exit_code, result.stdout, result.stderr)
        assert reason in result.stderr or reason in result.stdout, (argv, result.stderr)
        assert diff(before, await dump(ctx, GUARDED)) == [], argv
    await finish_with_check(ctx, db_url)


async def test_the_console_disables_and_refuses_with_the_reason(ctx: Ctx, db_url: str) -> None:
    """Invariant: in the console End Chat is disabled with the reason (missing permission,
    R8 off), its key does nothing, and the database is unchanged."""
    w = await build(ctx)
    await revoke_from_ann(ctx, MSG)
    app = make_app(db_url, "ann", clock=ctx.clock, timezone=UTC, poll_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.loaded)
        screen = app.screen
        assert isinstance(screen, ConsoleScreen)
        pane = screen.query_one(ConversationPane)
        for reason, change in (
            (f"missing permission {MSG}", None),
            (SETTING_OFF, ("agents_can_end", "off")),
        ):
            if change is not None:
                await agents.set_agent(ctx, "ann", grant=[MSG])
                await settings.set_setting(ctx, *change, admin="root")
            screen.open_session(w.standard)
            await until(pilot, lambda reason=reason: reason in pane.end_reason_text)
            assert pane.query_one("#end-chat").disabled
            before = await dump(ctx, GUARDED)
            await pilot.press("ctrl+e")
            await click(pilot, "#end-chat")
            await pilot.pause(0.5)
            assert diff(before, await dump(ctx, GUARDED)) == [], reason
            assert screen.detail is not None and screen.detail.session.status == "Active"

        # A non-admin in the admin settings: told why, the form locked, Save changes nothing.
        before = await dump(ctx, GUARDED)
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, AdminSettingsScreen))
        page = app.screen
        await until(
            pilot, lambda: "Only admins" in str(page.query_one("#settings-access").render())
        )
        assert page.query_one("#settings-save-button").disabled
        page.query_one("#setting-csat_on_agent_end", Switch).value = False
        await pilot.press("ctrl+s")
        await pilot.pause(0.5)
        assert diff(before, await dump(ctx, GUARDED)) == []
    await finish_with_check(ctx, db_url)


async def test_the_list_screen_refuses_row_end_on_enhanced_and_inactive(
    ctx: Ctx, db_url: str
) -> None:
    """Invariant: in the Messaging Sessions list, the row menu has no End Session on an
    enhanced session (R3) and shows it unavailable on an Inactive status-based one (R4), each
    with the reason on screen; End Sessions previews those rows as "will skip: reason" and
    ending the selection leaves them alone. Even the owner, with every permission, is refused;
    a forged menu choice is refused by the service with the same reason."""
    w = await build(ctx)
    app = make_app(db_url, "ann", clock=ctx.clock, timezone=UTC, poll_interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_list(pilot)

        # R3: no End Session on an enhanced row, and the menu says why.
        for sid in (w.enhanced_msg, w.enhanced_chat, w.inactive):
            before = await dump(ctx, GUARDED)
            menu = await row_menu(pilot, screen, sid)
            texts = [text for text, _ in menu.option_texts]
            assert not any("End Session" in text for text in texts), (sid, texts)
            assert note_text(menu) == ROW_END_ABSENT
            await forge_end_choice(pilot, screen, menu, sid, ROW_STANDARD)
            assert diff(before, await dump(ctx, GUARDED)) == [], sid

        # R4: End Session shown unavailable with the reason on an Inactive status-based row.
        before = await dump(ctx, GUARDED)
        menu = await row_menu(pilot, screen, w.inactive_standard)
        assert menu.option_texts[0] == (f"End Session — unavailable: {INACTIVE}", False)
        assert note_text(menu) == f"End Session unavailable: {INACTIVE}"
        await forge_end_choice(pilot, screen, menu, w.inactive_standard, INACTIVE)
        assert diff(before, await dump(ctx, GUARDED)) == []

        # End Sessions on the two Inactive rows: both will be skipped, nothing to confirm.
        refused = (w.inactive_standard, w.inactive)
        await select_rows(pilot, screen, refused)
        bulk = await open_bulk(pilot)
        assert bulk.summary is not None
        assert (bulk.summary.will_end, bulk.summary.will_skip) == (0, 2)
        assert preview_lines(bulk, refused) == {sid: f"will skip: {INACTIVE}" for sid in refused}
        assert bulk.query_one("#bulk-confirm", Button).disabled
        await pilot.press("y")
        await click(pilot, "#bulk-confirm")
        await pilot.pause(0.5)
        assert bulk.phase == "preview"
        assert diff(before, await dump(ctx, GUARDED)) == []
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)

        # With an endable row beside them, confirming ends that one only.
        await select_rows(pilot, screen, (w.standard,))
        bulk = await open_bulk(pilot)
        assert bulk.summary is not None
        assert (bulk.summary.will_end, bulk.summary.will_skip) == (1, 2)
        assert preview_lines(bulk, refused) == {sid: f"will skip: {INACTIVE}" for sid in refused}
        await pilot.press("y")
        await until(pilot, lambda: bulk.phase == "results", within=30)
        assert bulk.report is not None and (bulk.report.ended, bulk.report.skipped) == (1, 2)
        await until(pilot, lambda: len(bulk.lines_text) == 3)
        assert preview_lines(bulk, refused) == {sid: f"skipped: {INACTIVE}" for sid in refused}
        after = await dump(ctx, GUARDED)
        assert diff(without(before, w.standard), without(after, w.standard)) == []
        assert after != before  # the endable one did end
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
    await finish_with_check(ctx, db_url)


async def test_the_list_screen_refuses_without_the_permission_or_with_r8_off(
    ctx: Ctx, db_url: str
) -> None:
    """Invariant: in the list, an agent without ``end_messaging_session`` -- or anyone while
    R8 is off -- sees End Session unavailable with the reason and End Sessions skipping every
    row with it; nothing changes."""
    w = await build(ctx)
    for agent, reason in ((f"no-{LIST}", f"missing permission {LIST}"), ("ann", SETTING_OFF)):
        if reason == SETTING_OFF:
            await settings.set_setting(ctx, "agents_can_end", "off", admin="root")
        before = await dump(ctx, GUARDED)
        app = make_app(db_url, agent, clock=ctx.clock, timezone=UTC, poll_interval=0.2)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_list(pilot)
            menu = await row_menu(pilot, screen, w.standard)
            assert menu.option_texts[0] == (f"End Session — unavailable: {reason}", False)
            assert note_text(menu) == f"End Session unavailable: {reason}"
            await forge_end_choice(pilot, screen, menu, w.standard, reason)

            rows = (w.standard, w.enhanced_msg)
            await select_rows(pilot, screen, rows)
            bulk = await open_bulk(pilot)
            assert bulk.summary is not None
            assert (bulk.summary.will_end, bulk.summary.will_skip) == (0, 2)
            assert preview_lines(bulk, rows) == {sid: f"will skip: {reason}" for sid in rows}
            assert bulk.query_one("#bulk-confirm", Button).disabled
            await pilot.press("y")
            await pilot.pause(0.5)
            assert bulk.phase == "preview"
        assert diff(before, await dump(ctx, GUARDED)) == [], agent
    await finish_with_check(ctx, db_url)


# ------------------------------------------------------------------------------ list helpers


async def open_list(pilot: Any) -> SessionsListScreen:
    """From the console, f3 opens the list; wait for its rows and its count."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.loaded)
    await pilot.press("f3")
    await until(
        pilot,
        lambda: (
            isinstance(app.screen, SessionsListScreen)
            and app.screen.loaded
            and app.screen.total is not None
        ),
    )
    screen = app.screen
    assert isinstance(screen, SessionsListScreen)
    return screen


async def row_menu(pilot: Any, screen: SessionsListScreen, sid: int) -> RowMenuScreen:
    """Cursor on ``sid``'s row, enter: its menu, loaded."""
    app = pilot.app
    await until(pilot, lambda: app.screen is screen)
    screen.table.move_cursor([row.id for row in screen.table.rows].index(sid))
    await pilot.press("enter")
    await until(
        pilot, lambda: isinstance(app.screen, RowMenuScreen) and app.screen.menu is not None
    )
    menu = app.screen
    assert isinstance(menu, RowMenuScreen)
    await pilot.pause()
    return menu


def note_text(menu: RowMenuScreen) -> str:
    return str(menu.query_one("#row-menu-note").render())


async def forge_end_choice(
    pilot: Any, screen: SessionsListScreen, menu: RowMenuScreen, sid: int, reason: str
) -> None:
    """Never trust the UI alone: the menu answering "end" anyway is refused by the service,
    and the agent is told why."""
    app = pilot.app
    menu.dismiss(END)
    want = f"{session_label(sid)} not ended: {reason}"
    await until(pilot, lambda: any(want in n.message for n in app._notifications))
    await until(pilot, lambda: app.screen is screen)


async def select_rows(pilot: Any, screen: SessionsListScreen, ids: tuple[int, ...]) -> None:
    """Space on each row (added to what is selected)."""
    for sid in ids:
        screen.table.move_cursor([row.id for row in screen.table.rows].index(sid))
        await pilot.press("space")
    await until(pilot, lambda: all(screen.selection.is_selected(sid) for sid in ids))


async def open_bulk(pilot: Any) -> BulkEndScreen:
    """``e``: the End Sessions preview, with its rows."""
    app = pilot.app
    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, BulkEndScreen) and app.screen.summary)
    bulk = app.screen
    assert isinstance(bulk, BulkEndScreen)
    await until(pilot, lambda: bool(bulk.lines_text))
    return bulk


def preview_lines(bulk: BulkEndScreen, ids: tuple[int, ...]) -> dict[int, str]:
    """What the preview (or results) line of each of ``ids`` says after the customer."""
    by_label = {line.split("  ")[0]: line for line in bulk.lines_text}
    return {sid: by_label[session_label(sid)].split("  ", 2)[2] for sid in ids}


def without(state: Any, sid: int) -> Any:
    """``state`` without the rows of session ``sid``."""
    out = {}
    for name, rows in state.items():
        table = Base.metadata.tables[name]
        cols = [c.name for c in table.columns]
        key = "id" if name == "sessions" else "session_id" if "session_id" in cols else None
        if key is None:
            out[name] = rows
        else:
            i = cols.index(key)
            out[name] = [r for r in rows if r[i] != sid]
    return out


async def until(pilot: Any, predicate: Any, *, within: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {predicate}"
        await pilot.pause(0.05)

"""Start-up: the database opens in a worker; a bad database or agent is a screen, not a crash."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Label

from agent_console.tui.screens.error import ErrorScreen

from .conftest import SIZE, Seeded, console_ready, press_to_quit, quiet, until


def _error_text(screen: ErrorScreen) -> str:
    return " ".join(str(label.content) for label in screen.query(Label))


def _error_shown(app: Any) -> bool:
    """The error screen is on top and composed (it is pushed before its labels are mounted)."""
    return isinstance(app.screen, ErrorScreen) and bool(app.screen.query(Label))


async def test_a_database_that_cannot_be_opened_shows_the_store_error(
    tmp_path: Path, app_factory: Any
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'console.db'}"
    app = app_factory(url)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: _error_shown(app), what="the error screen")
        screen = app.screen
        assert isinstance(screen, ErrorScreen)
        assert "Cannot open the database" in _error_text(screen)
        assert "does not exist" in _error_text(screen)
        assert any("does not exist" in n.message for n in app._notifications)
        await press_to_quit(pilot, "q")
    assert app.return_code == 0


async def test_an_unknown_agent_is_named(seeded: Seeded, app_factory: Any) -> None:
    app = app_factory(seeded.url, "nobody[/b]")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: _error_shown(app), what="the error screen")
        assert "nobody[/b]" in _error_text(app.screen)


async def test_no_agent_says_how_to_choose_one(tmp_path: Path, app_factory: Any) -> None:
    app = app_factory(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", None)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: _error_shown(app), what="the error screen")
        assert "--as NAME" in _error_text(app.screen)
    assert not (tmp_path / "x.db").exists()  # nothing was opened


@pytest.mark.parametrize(
    "module",
    [
        "agent_console.tui.app",
        "agent_console.tui.screens.console",
        "agent_console.services.first_screen",
    ],
    ids=["app", "screen", "first-read"],
)
def test_importing_the_console_does_not_load_the_database_layer(module: str) -> None:
    """The app, its console screen and the first read (what they draw first) load no SQLAlchemy
    (~0.3 s of imports): what a screen says of an outcome is ``services.wording``, free of
    the database layer."""
    import subprocess
    import sys

    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy', 'alembic'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


#: What the console's start (``agent-console --db URL --as NAME`` up to the agent's sessions
#: on screen) must not load: migrations (the schema check reads the version row), another
#: database's dialect and driver, the gateway's web stack, the demo package, the CLI's other
#: commands and the console's other screens. Each costs start-up time and none of it is used
#: before the sessions are on screen.
NOT_ON_THE_CONSOLE_START = (
    "alembic",
    # The config reads settings without pydantic and writes them with tomlkit only on a save.
    "pydantic",
    "tomlkit",
    "sqlalchemy.dialects.postgresql",
    "asyncpg",
    "starlette",
    "uvicorn",
    "aiohttp",
    "agent_console.gateway",
    "agent_console.demo",
    "agent_console.services.channels",
    "agent_console.services.webchat",
    "agent_console.cli.admin",
    "agent_console.cli.agents",
    "agent_console.cli.channels",
    "agent_console.cli.demo_gateway",
    "agent_console.cli.gateway",
    "agent_console.cli.ops",
    "agent_console.cli.presence",
    "agent_console.cli.quick_replies",
    "agent_console.cli.sessions",
    "agent_console.cli.talk",
    # The console's other screens load when they open.
    "agent_console.tui.screens.admin_settings",
    "agent_console.tui.screens.bulk_end",
    "agent_console.tui.screens.ledger",
    "agent_console.tui.screens.logout",
    "agent_console.tui.screens.macro_picker",
    "agent_console.tui.screens.offline_preview",
    "agent_console.tui.screens.presence_menu",
    "agent_console.tui.screens.quick_reply_picker",
    "agent_console.tui.screens.sessions_list",
    "agent_console.tui.screens.transfer_picker",
)

#: The CLI's console start in a fresh process, up to the app's run, plus what the app's open
#: imports (the services and the console screen, tui/app.py ``_open``); prints sys.modules.
START_IMPORTS = """
import importlib, json, sys
from agent_console.tui import app as tui_app

def run(self):
    importlib.import_module(tui_app.BACKEND_MODULE)
    importlib.import_module("agent_console.tui.screens.console")
    print(json.dumps(sorted(sys.modules)))

tui_app.AgentConsoleApp.run = run
from agent_console.cli.main import main
main(["--db", sys.argv[1], "--as", "dana"])
"""


async def modules_of_a_start(tmp_path: Path, script: str) -> list[str]:
    """The modules ``script`` (a console start, run patched to print ``sys.modules``) has
    loaded, on a SQLite file at the newest schema with the agent dana."""
    import json
    import subprocess
    import sys

    from agent_console.services import agents
    from agent_console.services.runtime import open_ctx

    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    ctx = await open_ctx(url)  # the first run (creates the schema: Alembic, in this process)
    await agents.add_agent(ctx, "dana")
    await ctx.db.dispose()
    env = {**os.environ, "AGENT_CONSOLE_HOME": str(tmp_path / "home")}
    out = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", script, url],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def under(loaded: list[str], tops: tuple[str, ...]) -> list[str]:
    """The modules of ``loaded`` that are ``tops`` or inside one of them."""
    return [name for name in loaded if any(name == t or name.startswith(t + ".") for t in tops)]


async def test_the_console_start_imports_nothing_it_does_not_need(tmp_path: Path) -> None:
    loaded = await modules_of_a_start(tmp_path, START_IMPORTS)
    assert "agent_console.tui.backend" in loaded and "textual.app" in loaded  # it did start
    assert under(loaded, NOT_ON_THE_CONSOLE_START) == []


#: The same start when the first read answers (a SQLite file at head, a known agent): what
#: the app's mount imports to draw the sessions (the console screen, the stand-in backend).
FIRST_READ_START_IMPORTS = """
import importlib, json, sys
from agent_console.tui import app as tui_app

def run(self):
    assert self.options.first_screen is not None, "the first read did not answer"
    importlib.import_module("agent_console.tui.screens.console")
    importlib.import_module("agent_console.tui.opening_backend")
    print(json.dumps(sorted(sys.modules)))

tui_app.AgentConsoleApp.run = run
from agent_console.cli.main import main
main(["--db", sys.argv[1], "--as", "dana"])
"""

#: What the sessions wait for on the usual start and not on the first read's: the database
#: layer (its import alone is longer than a bare Textual app's whole start).
NOT_BEFORE_THE_FIRST_READ = ("sqlalchemy", "aiosqlite", "greenlet", "agent_console.tui.backend")


async def test_the_first_read_draws_the_sessions_without_the_database_layer(
    tmp_path: Path,
) -> None:
    loaded = await modules_of_a_start(tmp_path, FIRST_READ_START_IMPORTS)
    assert "agent_console.services.first_screen" in loaded and "textual.app" in loaded
    assert under(loaded, (*NOT_ON_THE_CONSOLE_START, *NOT_BEFORE_THE_FIRST_READ)) == []


def test_run_console_applies_the_users_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent_console.config import Settings
    from agent_console.tui import app as app_module

    monkeypatch.setenv("AGENT_CONSOLE_HOME", str(tmp_path / "home"))
    started: list[app_module.AgentConsoleApp] = []
    monkeypatch.setattr(app_module.AgentConsoleApp, "run", lambda self: started.append(self))
    settings = Settings(theme="agent-light", keymap={"end-chat": "f8"}, refresh_interval_ms=400)
    app_module.run_console("sqlite+aiosqlite:///x.db", "dana", settings=settings)
    (app,) = started
    assert (app.url, app.agent_name) == ("sqlite+aiosqlite:///x.db", "dana")
    assert app.poll_interval == 0.4
    assert app._theme_name == "agent-light"
    assert app._user_keymap == {"end-chat": "f8"}
    assert tmp_path / "home" / "config" / "themes" in app._theme_dirs


async def test_what_start_up_made_is_frozen_once_the_sessions_show_and_thawed_at_exit(
    seeded: Seeded, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Full collections walk every object the collector tracks: with start-up's modules and
    styles among them, each took 50-60 ms of the UI thread on 100,000 sessions (a search's
    frame at ~100 ms instead of ~35). Frozen once the console shows the sessions; thawed when
    the app ends, so a longer process (this test run) keeps nothing frozen."""
    import gc

    gc.unfreeze()
    from agent_console.tui.app import AgentConsoleApp

    monkeypatch.setattr(AgentConsoleApp, "freeze_start_up", True)  # the suite turns it off
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await until(pilot, lambda: gc.get_freeze_count() > 0, what="start-up frozen")
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0


async def test_the_collector_paused_for_the_start_is_back_on_once_the_sessions_show(
    seeded: Seeded, app_factory: Any
) -> None:
    """The CLI pauses the garbage collector while the console starts (cli/console.py); the
    app turns it back on with the sessions on screen, or with an error screen."""
    import gc

    gc.disable()
    try:
        app = app_factory(seeded.url)
        async with app.run_test(size=SIZE) as pilot:
            await console_ready(pilot)
            await until(pilot, gc.isenabled, what="the collector back on")
        gc.disable()
        app = app_factory(seeded.url, "nobody")
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: _error_shown(app), what="the error screen")
            assert gc.isenabled()
    finally:
        gc.enable()


async def test_the_first_refresh_shows_the_sessions_with_the_first_one_open_in_one_round(
    seeded: Seeded, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first snapshot brings the first session's detail with the list: one round of
    queries before the agent sees the sessions, not a second one for the open session. It is
    asked for before the console screen is up (its queries run while the screen composes)."""
    from agent_console.tui.backend import ConsoleBackend

    asked: list[int | None] = []
    composed_when_asked: list[bool] = []
    original = ConsoleBackend.snapshot

    async def counted(self: ConsoleBackend, session_id: int | None, **kw: Any) -> Any:
        asked.append(session_id)
        composed_when_asked.append(bool(app.screen.query("#sessions")))
        return await original(self, session_id, **kw)

    monkeypatch.setattr(ConsoleBackend, "snapshot", counted)
    app = app_factory(seeded.url, poll_interval=3600)  # no refresh but the first
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        assert screen.selected_id == seeded.alice
        assert screen.detail is not None and screen.detail.session.id == seeded.alice
        await quiet(pilot)
        assert asked == [None]
        assert composed_when_asked == [False]

"""Start-up: the database opens in a worker; a bad database or agent is a screen, not a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Label

from agent_console.tui.screens.error import ErrorScreen

from .conftest import SIZE, Seeded, console_ready, until


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
        await pilot.press("q")
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


def test_importing_the_app_does_not_load_the_database_layer() -> None:
    import subprocess
    import sys

    code = (
        "import sys, agent_console.tui.app; "
        "print(any(m.startswith('sqlalchemy') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


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
    seeded: Seeded, app_factory: Any
) -> None:
    """Full collections walk every object the collector tracks: with start-up's modules and
    styles among them, each took 50-60 ms of the UI thread on 100,000 sessions (a search's
    frame at ~100 ms instead of ~35). Frozen once the console shows the sessions; thawed when
    the app ends, so a longer process (this test run) keeps nothing frozen."""
    import gc

    gc.unfreeze()
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await until(pilot, lambda: gc.get_freeze_count() > 0, what="start-up frozen")
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0

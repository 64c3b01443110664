"""One representative screen per shipped theme, NO_COLOR, and the theme choice kept across starts.

The snapshots show the busy console (five sessions: Active, Ended with its tab open, a system
line) in each theme, so every colour the console uses is on screen at least once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.color import Color as RichColor
from rich.style import Style
from textual.app import App
from textual.filter import Monochrome, NoColor

from agent_console.config import load_settings, save_theme
from agent_console.tui.themes import shipped_themes_dir
from conftest import FakeClock

from ..conftest import SIZE, console_ready, until
from .conftest import (
    SMALL,
    ConsoleSnapshot,
    SeedFn,
    build_app,
    seed_agents_cannot_end,
    seed_busy_shift,
    seed_database,
)

SHIPPED = ["agent-dark", "agent-light", "agent-high-contrast", "agent-ansi"]


@pytest.mark.parametrize("theme", SHIPPED)
def test_theme(console_snapshot: ConsoleSnapshot, theme: str) -> None:
    """The busy console in ``theme``."""
    assert console_snapshot(seed_busy_shift, theme=theme)


@pytest.mark.parametrize("theme", SHIPPED)
def test_theme_end_chat_refused(console_snapshot: ConsoleSnapshot, theme: str) -> None:
    """A disabled button and a warning line: the colours that are easiest to get wrong."""
    assert console_snapshot(seed_agents_cannot_end, size=SMALL, theme=theme)


@pytest.fixture
def no_color(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("NO_COLOR", "1")
    yield


@pytest.mark.parametrize("theme", ["agent-dark", "agent-ansi"])
def test_no_color(console_snapshot: ConsoleSnapshot, no_color: None, theme: str) -> None:
    """NO_COLOR: the console in greys only, still readable (status words, bold, reverse)."""
    assert console_snapshot(seed_busy_shift, size=SMALL, theme=theme)


# ---------------------------------------------------------------------------- behaviour


def _cells(app: App[Any]) -> Iterator[tuple[str, Style]]:
    """Every (text, style) on screen as drawn: after Textual's line filters, the same strips
    ``export_screenshot`` writes."""
    for strip in app.screen._compositor.render_strips():
        for text, style, _control in strip:
            if style is not None:
                yield text, style


def _rgb(colour: RichColor | None) -> tuple[int, int, int] | None:
    if colour is None or colour.is_default:
        return None
    triplet = colour.get_truecolor()
    return (triplet.red, triplet.green, triplet.blue)


def _is_grey(rgb: tuple[int, int, int]) -> bool:
    return max(rgb) - min(rgb) <= 2


@pytest.mark.parametrize("theme", SHIPPED)
@pytest.mark.parametrize("no_color_set", [True, False], ids=["NO_COLOR", "colour"])
async def test_no_color_leaves_readable_greys_only(
    snapshot_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    theme: str,
    no_color_set: bool,
) -> None:
    """With NO_COLOR set nothing on screen has a hue, in every shipped theme, and no text is
    drawn in its own background colour (the ANSI theme once came out black on black)."""
    if no_color_set:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    clock = FakeClock()
    await _seed_async(seed_busy_shift, clock)
    app = build_app(clock, theme=theme)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await pilot.pause()
        assert app.no_color is no_color_set
        hued: set[tuple[int, int, int]] = set()
        invisible: list[str] = []
        for text, style in _cells(app):
            fg, bg = _rgb(style.color), _rgb(style.bgcolor)
            hued |= {rgb for rgb in (fg, bg) if rgb is not None and not _is_grey(rgb)}
            if text.strip() and fg is not None and fg == bg:
                invisible.append(text)
        assert "".join(invisible) == ""
        if no_color_set:
            assert hued == set(), f"{theme}: coloured cells under NO_COLOR: {sorted(hued)[:5]}"
        else:
            assert hued, f"{theme}: expected some colour without NO_COLOR"


async def test_no_color_filter_follows_a_theme_change(
    snapshot_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Switching between a truecolor and an ANSI theme under NO_COLOR swaps Textual's filter:
    greys for the first, the terminal's own default colours for the second."""
    monkeypatch.setenv("NO_COLOR", "1")
    clock = FakeClock()
    await _seed_async(seed_busy_shift, clock)
    app = build_app(clock)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)

        def kinds() -> set[type[object]]:
            return {type(f) for f in app._filters if isinstance(f, Monochrome | NoColor)}

        assert kinds() == {Monochrome}
        app.theme = "agent-ansi"
        await pilot.pause()
        assert kinds() == {NoColor}
        assert any(text.strip() for text, _style in _cells(app))
        app.theme = "agent-light"
        await pilot.pause()
        assert kinds() == {Monochrome}


async def _seed_async(seed_fn: SeedFn, clock: FakeClock) -> None:
    # seed_database runs its own event loop: give it a thread of its own.
    await asyncio.to_thread(seed_database, seed_fn, clock)


async def test_the_chosen_theme_is_saved_and_used_next_start(
    snapshot_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Choosing a theme writes it to config.toml; the next start reads it and uses it."""
    monkeypatch.setenv("AGENT_CONSOLE_HOME", str(snapshot_dir / "home"))
    monkeypatch.delenv("AGENT_CONSOLE_CONFIG", raising=False)
    monkeypatch.delenv("AGENT_CONSOLE_THEME", raising=False)
    clock = FakeClock()
    await _seed_async(seed_busy_shift, clock)

    saved: list[str] = []

    def save_and_tell(name: str) -> None:
        save_theme(name)
        saved.append(name)  # after the file is written (the app saves on a thread)

    first = build_app(clock, on_theme_change=save_and_tell)
    async with first.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        assert first.theme == "agent-dark"
        first.theme = "agent-high-contrast"
        # The app hears of the change on its next message, then saves on a thread: wait for
        # the save itself (waiting for the app's workers could come before it even started).
        await until(pilot, lambda: saved == ["agent-high-contrast"], what="the theme saved")
    assert load_settings().theme == "agent-high-contrast"

    settings = load_settings()
    second = build_app(
        clock, theme=settings.theme, theme_dirs=[shipped_themes_dir()], on_theme_change=save_theme
    )
    async with second.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        assert second.theme == "agent-high-contrast"
        assert not second._notifications  # no "unknown theme" warning


def test_broken_theme_file(console_snapshot: ConsoleSnapshot, snapshot_dir: Path) -> None:
    """A user theme file that does not parse: one notification naming it, default theme."""
    user = snapshot_dir / "themes"
    user.mkdir()
    (user / "sunset.toml").write_text("name = 'sunset'\nprimary = [", encoding="utf-8")
    assert console_snapshot(seed_busy_shift, theme_dirs=[shipped_themes_dir(), user])


async def test_a_broken_theme_file_is_one_notification_naming_it(
    snapshot_dir: Path,
) -> None:
    """A user theme that does not parse: the console starts in its theme and says which file."""
    user = snapshot_dir / "themes"
    user.mkdir()
    (user / "sunset.toml").write_text("name = 'sunset'\nprimary = [", encoding="utf-8")
    clock = FakeClock()
    await _seed_async(seed_busy_shift, clock)
    app = build_app(clock, theme_dirs=[shipped_themes_dir(), user])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await console_ready(pilot)
        messages = [n.message for n in app._notifications]
        assert [m for m in messages if "sunset.toml" in m] == [messages[0]]
        assert len(messages) == 1
        assert app.theme == "agent-dark"

"""Theme files: the four shipped ones load; a bad file is one notification naming it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent_console.tui.themes import (
    APP_VARIABLES,
    DEFAULT_THEME,
    ThemeFileError,
    load_theme_file,
    load_themes,
    shipped_themes_dir,
)

from .conftest import SIZE, Seeded, console_ready

SHIPPED = {"agent-dark", "agent-light", "agent-high-contrast", "agent-ansi"}


def test_the_shipped_themes_load_and_set_the_console_colours() -> None:
    folder = shipped_themes_dir()
    assert folder is not None
    themes, problems = load_themes([folder])
    assert problems == []
    assert {t.name for t in themes} == SHIPPED
    for theme in themes:
        assert set(APP_VARIABLES) <= set(theme.variables), theme.name


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("name = 'x'\nprimary = ", "TOML syntax error"),
        ("name = 'x'", "primary is required"),
        ("name = 'x'\nprimary = 'not-a-colour'", "is not a colour"),
        ("name = 'x'\nprimary = '#123456'\nsparkle = 1", "unknown key 'sparkle'"),
        ("name = '[@click=app.quit]'\nprimary = '#123456'", "must be 1-64 letters"),
        ("name = 'x'\nprimary = '#123456'\ndark = 'yes'", "dark must be true or false"),
        ("name = 'x'\nprimary = '#123456'\n[variables]\nmsg-agent = 'nope'", "not a colour"),
        ("name = 'x'\nprimary = '#123456'\n[variables]\nborder = 'red; }'", "plain CSS"),
    ],
)
def test_a_bad_theme_file_is_refused_with_a_reason(tmp_path: Path, body: str, reason: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ThemeFileError, match=reason.replace("(", r"\(")):
        load_theme_file(path)


async def test_a_bad_user_theme_is_one_notification_and_good_ones_register(
    seeded: Seeded, tmp_path: Path, app_factory: Any
) -> None:
    user = tmp_path / "themes"
    user.mkdir()
    (user / "broken.toml").write_text("primary = [", encoding="utf-8")
    (user / "mine.toml").write_text(
        "name = 'mine'\nprimary = '#336699'\ndark = true\n", encoding="utf-8"
    )
    app = app_factory(seeded.url, theme_dirs=[shipped_themes_dir(), user])
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        assert app.theme == DEFAULT_THEME
        assert SHIPPED | {"mine"} <= set(app.available_themes)
        messages = [n.message for n in app._notifications]
        assert len([m for m in messages if "broken.toml" in m]) == 1
        # A user theme without the console's variables gets them from its own colours.
        app.theme = "mine"
        await pilot.pause()
        assert set(APP_VARIABLES) <= set(app.theme_variables)


async def test_every_shipped_theme_renders_the_console(seeded: Seeded, app_factory: Any) -> None:
    for name in sorted(SHIPPED):
        app = app_factory(seeded.url, theme=name)
        async with app.run_test(size=SIZE) as pilot:
            await console_ready(pilot)
            assert app.theme == name
            assert "\x1b" not in app.export_screenshot()


async def test_an_unknown_theme_falls_back_to_the_default(seeded: Seeded, app_factory: Any) -> None:
    app = app_factory(seeded.url, theme="no-such-theme")
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        assert app.theme == DEFAULT_THEME
        assert any("no-such-theme" in n.message for n in app._notifications)


async def test_a_theme_change_is_handed_to_the_saver(seeded: Seeded, app_factory: Any) -> None:
    saved: list[str] = []
    app = app_factory(seeded.url, on_theme_change=saved.append)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        assert saved == []  # the initial theme is not a change
        app.theme = "agent-light"
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert saved == ["agent-light"]

"""A dialog's first opening parses its own CSS only (``tui/stylesheet.py``).

Textual's ``reparse`` parsed every source again (the app's, every screen's and every widget's
``DEFAULT_CSS``) the first time a screen with a CSS file of its own was shown: 34-52 ms on
the loaded console, before each dialog's first opening. A new theme still parses them all,
with its colours, once per process: a theme used before, or a second app, parses nothing."""

from __future__ import annotations

from typing import Any

import pytest
import textual.css.stylesheet as textual_stylesheet

from agent_console.tui.screens.help import HelpScreen
from agent_console.tui.stylesheet import PARSE_CACHE_SIZE, forget_parsed

from .conftest import SIZE, Seeded, console_ready, quiet, until


def _spy_on_parsing(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Where each source Textual parses comes from (its ``read_from``), in order."""
    parsed: list[object] = []
    parse = textual_stylesheet.parse

    def counting(scope: str, css: str, read_from: object, *args: Any, **kw: Any) -> Any:
        parsed.append(read_from)
        return parse(scope, css, read_from, *args, **kw)

    monkeypatch.setattr(textual_stylesheet, "parse", counting)
    return parsed


async def test_a_screens_first_opening_parses_only_the_css_not_parsed_yet(
    seeded: Seeded, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = _spy_on_parsing(monkeypatch)
    forget_parsed()  # what earlier apps of this process parsed
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        await quiet(pilot)
        before = set(app.stylesheet.source)
        assert len(before) < PARSE_CACHE_SIZE  # every source stays in the cache
        parsed.clear()
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")
        await quiet(pilot)
        new = set(app.stylesheet.source) - before
        assert any(str(path).endswith("help.tcss") for path, _ in new)
        assert sorted(map(str, parsed)) == sorted(map(str, new))  # each new one, once

        # A new theme changes the variables: every source is parsed again, with them.
        parsed.clear()
        first = app.theme
        app.theme = "agent-light" if first != "agent-light" else "agent-dark"
        await quiet(pilot)
        assert sorted(map(str, parsed)) == sorted(map(str, app.stylesheet.source))

        # Back to a theme parsed before: nothing is parsed again.
        parsed.clear()
        app.theme = first
        await quiet(pilot)
        assert parsed == []


async def test_a_second_app_of_the_process_parses_nothing(
    seeded: Seeded, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = _spy_on_parsing(monkeypatch)
    forget_parsed()
    for run in range(2):
        parsed.clear()
        app = app_factory(seeded.url)
        async with app.run_test(size=SIZE) as pilot:
            await console_ready(pilot)
            await quiet(pilot)
            assert (parsed == []) is (run == 1), parsed

"""The console's memory stays flat while the living demo runs (issue 11, defect 12).

The demo grew by about 1.4 MB a minute: every refresh rebuilt the key footer, and every key it
had ever shown stayed in memory (Textual keeps a watcher per key on the footer; see
``tui/widgets/footer.py``). Minutes of the living demo run here in seconds: the world ticks back
to back and the fake clock moves on by a tick's worth each time. (The footer is now rebuilt
only when the keys it shows change, not on every refresh; the rebuilds themselves are forced,
the keys relabelled, and checked in ``test_a_rebuilt_footer_keeps_no_watcher_of_its_old_keys``.)
"""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from textual.widget import Widget
from textual.widgets._footer import FooterKey

from agent_console.demo.driver import TICK_SECONDS, DemoDriver
from agent_console.demo.world import Pace
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.widgets.footer import Footer, forget_closed_watchers
from conftest import FakeClock

from .conftest import SIZE, Seeded, console_ready, quiet, until

#: Ticks of the world: a simulated minute, each tick a database change and a refresh.
TICKS = 20
#: Widgets removed but not yet collected a moment after (the last frame's layout may still
#: hold the footer's previous keys); a leak leaves every key of every rebuild.
STRAY_SLACK = 20


class SteppedDriver(DemoDriver):
    """The demo driver on a fake clock: ticks back to back, the clock a tick further each time."""

    def __init__(self, clock: FakeClock, **kw: Any) -> None:
        super().__init__(interval=0.01, **kw)
        self.clock = clock

    async def _run(self) -> None:
        self.clock.advance(seconds=TICK_SECONDS)
        await super()._run()


def _count_rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a footer was rebuilt (one counter, in a list)."""
    rebuilt = [0]
    recompose = Footer.recompose

    async def counting(self: Footer) -> None:
        rebuilt[0] += 1
        await recompose(self)

    monkeypatch.setattr(Footer, "recompose", counting)
    return rebuilt


def _relabel_keys(app: Any) -> Any:
    """A change of the keys the footer shows, as a key map's would make: each call of the
    returned function gives every key a new label, so the next binding refresh rebuilds."""
    labels = [0]
    display = app.get_key_display

    def label(binding: Any) -> str:
        return f"{display(binding)}{labels[0]}"

    app.get_key_display = label

    def relabel() -> None:
        labels[0] += 1

    return relabel


def _widgets() -> list[Widget]:
    return [o for o in gc.get_objects() if isinstance(o, Widget)]


async def test_minutes_of_the_living_demo_leave_no_removed_widget_in_memory(
    seeded: Seeded, clock: FakeClock, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A new customer every tick: every tick commits, and the console refreshes.
    busy = Pace(new_customer=1.0, follow_up=0.0, follow_up_at_start=False)
    driver = SteppedDriver(clock, seed=5, pace=busy)
    shown = [0]
    show = ConsoleScreen._show_snapshot

    def counting(screen: ConsoleScreen) -> None:
        shown[0] += 1
        show(screen)

    monkeypatch.setattr(ConsoleScreen, "_show_snapshot", counting)
    app = app_factory(seeded.url, demo=driver, poll_interval=0.02)
    async with app.run_test(size=SIZE) as pilot:
        await console_ready(pilot)
        gc.collect()
        before = weakref.WeakSet(_widgets())
        start = driver.ticks
        await until(
            pilot, lambda: driver.ticks >= start + TICKS, within=60.0, what=f"{TICKS} ticks"
        )
        driver.stop()
        await quiet(pilot)
        gc.collect()
        stray = [w for w in _widgets() if w not in before and not w.is_attached]

        assert shown[0] >= TICKS // 4, "the console hardly refreshed: the test shows nothing"
        assert len(stray) <= STRAY_SLACK, f"{len(stray)} removed widgets still in memory"


async def test_a_rebuilt_footer_keeps_no_watcher_of_its_old_keys(
    seeded: Seeded, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    rebuilt = _count_rebuilds(monkeypatch)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        footer = screen.query_one(Footer)
        relabel = _relabel_keys(app)
        start = rebuilt[0]
        for i in range(1, 11):
            relabel()
            screen.refresh_bindings()
            # Each rebuild before the next change: the footer queues one rebuild at a time,
            # so a change made while one is queued joins it (a CI run saw fewer than 10).
            await until(pilot, lambda i=i: rebuilt[0] >= start + i, what=f"footer rebuild {i}")
        await pilot.pause()
        keys = len(footer.query(FooterKey))
        assert keys > 0
        assert len(getattr(footer, "__watchers", {}).get("compact", [])) <= keys
        assert forget_closed_watchers(footer) == 0  # nothing left to forget


def test_every_screen_takes_the_footer_that_forgets_its_old_keys() -> None:
    """A screen that imports Textual's own ``Footer`` brings the leak back for that screen."""
    import ast
    from pathlib import Path

    import agent_console.tui as tui

    root = Path(tui.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "footer.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "textual.widgets"
                and any(alias.name == "Footer" for alias in node.names)
            ):
                offenders.append(str(path.relative_to(root)))
    assert offenders == []


async def test_binding_changes_before_a_refresh_rebuild_the_footer_once(
    seeded: Seeded, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual's footer queues a rebuild per change; only the last one would show."""
    rebuilt = _count_rebuilds(monkeypatch)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await quiet(pilot)
        relabel = _relabel_keys(app)
        start = rebuilt[0]
        for _ in range(10):
            relabel()
            screen.refresh_bindings()  # no refresh between them
        await until(pilot, lambda: rebuilt[0] > start, what="a footer rebuild")
        await quiet(pilot)
        assert rebuilt[0] == start + 1
        keys = screen.query_one(Footer).query(FooterKey)
        assert keys and all(str(key.key_display).endswith("10") for key in keys)


async def test_a_binding_refresh_that_changes_no_key_does_not_rebuild_the_footer(
    seeded: Seeded, app_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The console refreshes its bindings on every refresh; most change nothing shown."""
    rebuilt = _count_rebuilds(monkeypatch)
    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await quiet(pilot)
        footer = screen.query_one(Footer)
        keys = set(footer.query(FooterKey))
        start = rebuilt[0]
        for _ in range(10):
            screen.refresh_bindings()
            await pilot.pause()
        await quiet(pilot)
        assert rebuilt[0] == start
        assert set(footer.query(FooterKey)) == keys
        _relabel_keys(app)()  # while a change does rebuild it: the count sees rebuilds
        screen.refresh_bindings()
        await until(pilot, lambda: rebuilt[0] == start + 1, what="a footer rebuild")


async def test_the_render_caches_of_removed_widgets_are_freed(
    seeded: Seeded, app_factory: Any
) -> None:
    """Textual keeps up to 1,024 widgets' render caches (``StylesCache``, with the lines they
    last drew) in a cache keyed by the instance (Textual issue #6665): every footer rebuild
    and list refresh left its old widgets' drawn lines in memory. ``tui/styles_cache_fix.py``
    keys it on the colours alone."""
    from textual._styles_cache import StylesCache

    app = app_factory(seeded.url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await console_ready(pilot)
        await quiet(pilot)
        footer = screen.query_one(Footer)
        old = weakref.WeakSet(key._styles_cache for key in footer.query(FooterKey))
        assert len(old) > 0
        _relabel_keys(app)()
        screen.refresh_bindings()
        await until(
            pilot,
            lambda: not any(key._styles_cache in old for key in footer.query(FooterKey)),
            what="the footer's keys made again",
        )
        await quiet(pilot)
        gc.collect()
        assert [c for c in old if isinstance(c, StylesCache)] == []


@pytest.mark.parametrize("width", [120, 80], ids=["wide", "narrow (compact)"])
async def test_a_rebuilt_footer_styles_each_key_once(
    seeded: Seeded, app_factory: Any, monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    """A key is made as compact as its footer: binding it to the footer's ``compact`` once
    mounted changes nothing, so nothing restyles it (it restyled every key of every rebuild,
    6% of a quick-replies test's CPU under the profiler)."""
    from textual.app import App
    from textual.dom import DOMNode

    restyled: list[DOMNode] = []
    update_styles = App.update_styles

    def spying(self: App[Any], node: DOMNode, animate: bool = True) -> None:
        if isinstance(node, FooterKey):
            restyled.append(node)
        update_styles(self, node, animate=animate)

    monkeypatch.setattr(App, "update_styles", spying)
    app = app_factory(seeded.url)
    async with app.run_test(size=(width, SIZE[1])) as pilot:
        screen = await console_ready(pilot)
        await quiet(pilot)
        footer = screen.query_one(Footer)
        old = set(footer.query(FooterKey))
        restyled.clear()
        _relabel_keys(app)()
        screen.refresh_bindings()
        await until(
            pilot,
            lambda: bool(footer.query(FooterKey)) and not old & set(footer.query(FooterKey)),
            what="the footer's keys made again",
        )
        await quiet(pilot)
        keys = [k for k in footer.query(FooterKey) if not k.has_class("-command-palette")]
        palette = footer.query_one("FooterKey.-command-palette", FooterKey)
        assert palette.compact and palette.has_class("-compact")  # unbound: as Textual has it
        assert footer.compact is (width < 100)
        assert [key.has_class("-compact") for key in keys] == [footer.compact] * len(keys)
        assert [key.compact for key in keys] == [footer.compact] * len(keys)
        assert restyled == []

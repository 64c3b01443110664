"""One measurement of bench/tui_bench.py, in a fresh process (started by it, not by hand).

    tui_child.py bare                 first frame of a bare Textual app (Header, Label, Footer)
    tui_child.py bare-tty             the same app run for real (in bench/tty_start.py's pty)
    tui_child.py console URL          first frame, then the console ready, on the database URL
    tui_child.py inapp URL REPEATS    the list on the database: open, filters, pages, RSS
    tui_child.py bulk URL             select all matching + bulk end from the list
    tui_child.py demo PATH MINUTES    the living demo on a fake clock: resident memory by minute

Every mode prints one JSON line. A *frame* is the moment Textual hands a rendered screen
update to its driver (``App._display``; headless, the driver then writes nothing): every time
here runs from an event (process start, key press, filter chosen) to the first frame that
shows its result. Cold starts report wall-clock ``time.time()`` so the parent can measure from
the moment it started the process. Imports are deferred: a cold start imports what its app
imports, nothing more.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any


def emit(**values: object) -> None:
    print(json.dumps(values), flush=True)


def rss_mb() -> tuple[float, float]:
    """(resident now, peak resident) of this process in MB, from /proc."""
    fields: dict[str, float] = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


class Frames:
    """Records when the app produces each frame (perf_counter and wall clock)."""

    def __init__(self, app: Any) -> None:
        self.perf: list[float] = []
        self.wall: list[float] = []
        display = app._display

        def recording(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            if renderable is not None:
                self.perf.append(time.perf_counter())
                self.wall.append(time.time())

        app._display = recording

    def after(self, moment: float) -> float | None:
        """The first frame at or after ``moment`` (perf_counter)."""
        return next((f for f in self.perf if f >= moment), None)


async def wait_for(
    pilot: Any, predicate: Callable[[], bool], *, within: float = 60.0, step: float = 0.001
) -> None:
    deadline = time.perf_counter() + within
    while not predicate():
        if time.perf_counter() > deadline:
            raise SystemExit("timed out")
        await asyncio.sleep(step)


async def frame_after(pilot: Any, frames: Frames, moment: float) -> float:
    """Wait for the first frame at or after ``moment`` and return its time."""
    await wait_for(pilot, lambda: frames.after(moment) is not None)
    found = frames.after(moment)
    assert found is not None
    return found


# -- cold starts -------------------------------------------------------------------------------


def bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Label

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Label("Hello")
            yield Footer()

    async def run() -> None:
        app = Bare()
        frames = Frames(app)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: bool(frames.wall))
        emit(first_frame=frames.wall[0])

    asyncio.run(run())


#: What the bare app shows (the pty measure's clock stops when it is on screen).
BARE_TEXT = "Hello from a bare Textual app"


def bare_tty() -> None:
    """The bare app as a person runs it: in the terminal, until ctrl+q (no JSON line)."""
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Header, Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Static(BARE_TEXT)
            yield Footer()

    Bare().run()


def console(url: str) -> None:
    """The console's start as the CLI makes it: the first read (on SQLite), then the app.
    Emits the first frame, the frame with the agent's sessions, and the frame once the
    database is open and the first session's detail is drawn (the console "loaded")."""
    from agent_console.services.first_screen import first_screen
    from agent_console.store.url import DatabaseURL
    from agent_console.tui.app import make_app

    async def run() -> None:
        path = DatabaseURL(url).sqlite_path
        first = first_screen(path, "dana") if path is not None else None
        app = make_app(url, "dana", first_screen=first)
        frames = Frames(app)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: bool(frames.wall))
            # By class name: importing the console screen here would load the services early.
            await wait_for(
                pilot,
                lambda: (
                    type(app.screen).__name__ == "ConsoleScreen"
                    and bool(getattr(app.screen, "rows", None))
                ),
            )
            shown = await frame_after(pilot, frames, time.perf_counter())
            await wait_for(pilot, lambda: getattr(app.screen, "loaded", False))
            ready = await frame_after(pilot, frames, time.perf_counter())
        wall = dict(zip(frames.perf, frames.wall, strict=True))
        emit(first_frame=frames.wall[0], sessions_shown=wall[shown], console_ready=wall[ready])

    asyncio.run(run())


# -- in the app ----------------------------------------------------------------------------------


class Shown:
    """When the list's table last received rows (page one, a filter's rows, a next page)."""

    def __init__(self) -> None:
        from agent_console.tui.widgets.session_table import SessionTable

        self.at = 0.0
        show, append = SessionTable.show, SessionTable.append

        def shown(table: Any, *args: Any, **kw: Any) -> None:
            show(table, *args, **kw)
            self.at = time.perf_counter()

        def appended(table: Any, *args: Any, **kw: Any) -> None:
            append(table, *args, **kw)
            self.at = time.perf_counter()

        SessionTable.show = shown  # type: ignore[method-assign]
        SessionTable.append = appended  # type: ignore[method-assign]


def list_shown(app: Any, list_screen: type, shown: Shown, since: float) -> bool:
    screen = app.screen
    return isinstance(screen, list_screen) and bool(screen.loaded) and shown.at > since


def console_loaded(app: Any, console_screen: type) -> bool:
    return isinstance(app.screen, console_screen) and bool(app.screen.loaded)


async def start_console(url: str) -> tuple[Any, Any, Frames]:
    from datetime import UTC, datetime

    from agent_console.tui.app import make_app

    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    app = make_app(url, "dana", clock=lambda: now, poll_interval=3600)
    return app, now, Frames(app)


def inapp(url: str, repeats: int) -> None:
    from agent_console.tui.screens.console import ConsoleScreen
    from agent_console.tui.screens.sessions_list import SessionsListScreen

    shown = Shown()

    async def run() -> dict[str, object]:
        app, _, frames = await start_console(url)
        out: dict[str, object] = {}
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(
                pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.loaded
            )
            await pilot.pause(0.2)

            # A key that does nothing: what the pilot and one frame cost by themselves.
            noop = []
            for _ in range(repeats):
                started = time.perf_counter()
                await pilot.press("f12")
                noop.append(time.perf_counter() - started)
            out["noop_key_s"] = noop

            # Open the list: from the key press to the frame with the first page.
            opens = []
            for i in range(repeats):
                started = time.perf_counter()
                await pilot.press("f3")
                await wait_for(pilot, partial(list_shown, app, SessionsListScreen, shown, started))
                opens.append(await frame_after(pilot, frames, shown.at) - started)
                if i < repeats - 1:
                    await pilot.press("escape")
                    await wait_for(pilot, lambda: isinstance(app.screen, ConsoleScreen))
                    await pilot.pause(0.2)
            screen = app.screen
            assert isinstance(screen, SessionsListScreen)
            await pilot.pause(0.3)
            out["open_s"] = opens
            out["rows_loaded"] = len(screen.table.rows)
            out["rows_on_screen"] = len(screen.table.visible_rows())

            # Filter changes and sorts: from the choice to the frame with the new rows.
            from agent_console.tui.widgets.filter_choice import FilterChoice

            changes = [
                ("#filter-status", "Waiting"),
                ("#filter-channel", "standard"),
                ("#filter-owner", "none"),
                ("#filter-status", "Ended"),
                ("#filter-age", "min:24h"),
                ("#filter-channel", "all"),
                ("#filter-owner", "all"),
                ("#filter-age", "all"),
                ("#filter-status", "all"),
                ("#filter-sort", "customer"),
                ("#filter-sort", "status"),
                ("#filter-sort", "channel"),
                ("#filter-sort", "owner"),
                ("#filter-sort", "last_message"),
                ("#filter-sort", "created"),
            ]
            filter_times: list[tuple[str, float, int]] = []
            for select_id, value in changes:
                generation = screen._generation
                started = time.perf_counter()
                screen.query_one(select_id, FilterChoice).value = value
                await wait_for(
                    pilot,
                    lambda g=generation: (
                        screen.shown_generation > g  # type: ignore[misc]
                        and screen.shown_generation == screen._generation
                    ),
                )
                elapsed = await frame_after(pilot, frames, shown.at) - started
                await wait_for(pilot, lambda: screen.total is not None)  # the count follows
                filter_times.append((f"{select_id[1:]}={value}", elapsed, screen.total or 0))
                await pilot.pause(0.1)
            out["filters"] = filter_times

            # Page moves within the loaded rows, and into the next keyset page.
            screen.table.focus()
            await pilot.pause(0.1)
            pages = []
            for _ in range(repeats * 2):
                started = time.perf_counter()
                await pilot.press("pagedown")
                pages.append(await frame_after(pilot, frames, started) - started)
            fetches = []
            for _ in range(repeats):
                loaded = len(screen.table.rows)
                started = time.perf_counter()
                await pilot.press("end")
                await wait_for(pilot, lambda n=loaded: len(screen.table.rows) > n)  # type: ignore[misc]
                fetches.append(await frame_after(pilot, frames, shown.at) - started)
                await pilot.pause(0.1)
            out["page_move_s"] = pages
            out["next_page_s"] = fetches
            out["rows_loaded_after_paging"] = len(screen.table.rows)
            rss, peak = rss_mb()
            out["rss_mb"] = rss
            out["peak_rss_mb"] = peak
        return out

    emit(**asyncio.run(run()))


def customer_names(url: str, count: int) -> list[str]:
    """``count`` customers of the seeded database, spread over it: what an agent searches for."""
    import sqlite3

    from agent_console.store.url import DatabaseURL

    path = str(DatabaseURL(url).sqlite_path)
    con = sqlite3.connect(path)
    try:
        (total,) = con.execute("SELECT count(*) FROM customers").fetchone()
        step = max(1, int(total) // count)
        rows = con.execute(
            "SELECT name FROM customers WHERE id % ? = 7 ORDER BY id LIMIT ?", (step, count)
        ).fetchall()
    finally:
        con.close()
    return [str(r[0]) for r in rows]


def find(url: str, repeats: int) -> None:
    """The list's search (a customer's full name, then the surname alone) and the jump to the
    last page (ctrl+end) and back (ctrl+home): from the key to the frame with the rows."""
    from textual.widgets import Input

    from agent_console.tui.screens.console import ConsoleScreen
    from agent_console.tui.screens.sessions_list import SessionsListScreen

    shown = Shown()
    names = customer_names(url, repeats)

    async def run() -> dict[str, object]:
        app, _, frames = await start_console(url)
        out: dict[str, object] = {}
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: console_loaded(app, ConsoleScreen))
            await pilot.pause(0.2)
            started = time.perf_counter()
            await pilot.press("f3")
            await wait_for(pilot, partial(list_shown, app, SessionsListScreen, shown, started))
            screen = app.screen
            assert isinstance(screen, SessionsListScreen)
            await wait_for(pilot, lambda: screen.total is not None)
            await pilot.pause(0.3)
            box = screen.query_one("#list-search", Input)

            async def search(text: str) -> tuple[str, float, int]:
                await pilot.press("slash")
                await wait_for(pilot, lambda: app.focused is box)
                generation = screen._generation
                box.value = text  # typed, and enter before the typing delay is over
                started = time.perf_counter()
                await pilot.press("enter")
                await wait_for(
                    pilot,
                    lambda: (
                        screen.shown_generation > generation
                        and screen.shown_generation == screen._generation
                    ),
                )
                elapsed = await frame_after(pilot, frames, shown.at) - started
                await wait_for(pilot, lambda: screen.total is not None)
                return text, elapsed, screen.total or 0

            searches = []
            for name in names:
                searches.append(await search(name))
                surname = [w for w in name.split() if w.isalpha()][-1]
                searches.append(await search(surname))  # the surname alone: many sessions
            out["searches"] = searches
            await pilot.press("c")  # every filter and the search cleared
            await wait_for(pilot, lambda: screen.total is not None and not box.value)
            await pilot.pause(0.3)

            lasts, firsts = [], []
            for _ in range(repeats):
                started = time.perf_counter()
                await pilot.press("ctrl+end")
                await wait_for(
                    pilot,
                    lambda t=started: screen.table.has_less and shown.at > t,  # type: ignore[misc]
                )
                lasts.append(await frame_after(pilot, frames, shown.at) - started)
                await pilot.pause(0.2)
                started = time.perf_counter()
                await pilot.press("ctrl+home")
                await wait_for(
                    pilot,
                    lambda t=started: not screen.table.has_less and shown.at > t,  # type: ignore[misc]
                )
                firsts.append(await frame_after(pilot, frames, shown.at) - started)
                await pilot.pause(0.2)
            out["last_page_s"] = lasts
            out["first_page_s"] = firsts
            out["rows_after_last"] = len(screen.table.rows)
        return out

    emit(**asyncio.run(run()))


def bulk(url: str) -> None:
    from agent_console.tui.screens.bulk_end import BulkEndScreen
    from agent_console.tui.screens.console import ConsoleScreen
    from agent_console.tui.screens.sessions_list import SessionsListScreen
    from agent_console.tui.widgets.filter_choice import FilterChoice
    from agent_console.tui.widgets.outcome_lines import OutcomeLines

    results_shown = [0.0]
    show_lines = OutcomeLines.show

    def showing(widget: Any, *args: Any, **kw: Any) -> None:
        show_lines(widget, *args, **kw)
        results_shown[0] = time.perf_counter()

    OutcomeLines.show = showing  # type: ignore[method-assign]

    async def run() -> dict[str, object]:
        app, _, frames = await start_console(url)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(
                pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.loaded
            )
            await pilot.press("f3")
            await wait_for(
                pilot, lambda: isinstance(app.screen, SessionsListScreen) and app.screen.loaded
            )
            screen = app.screen
            assert isinstance(screen, SessionsListScreen)
            generation = screen._generation
            screen.query_one("#filter-status", FilterChoice).value = "Waiting"
            await wait_for(
                pilot,
                lambda: (
                    screen.shown_generation > generation
                    and screen.shown_generation == screen._generation
                ),
            )
            await pilot.pause(0.2)
            matching = screen.total
            progress: list[int] = []

            started = time.perf_counter()
            await pilot.press("A", "e")
            await wait_for(
                pilot,
                lambda: isinstance(app.screen, BulkEndScreen) and app.screen.summary is not None,
            )
            bulk_screen = app.screen
            assert isinstance(bulk_screen, BulkEndScreen)
            previewed = time.perf_counter()
            report_progress = bulk_screen._progress

            def counting(done: int, total: int) -> None:
                progress.append(done)
                report_progress(done, total)

            bulk_screen._progress = counting  # type: ignore[method-assign]
            await pilot.press("y")
            await wait_for(
                pilot,
                lambda: bulk_screen.phase == "results" and bool(bulk_screen.lines_text),
                within=120,
            )
            # The frame that shows the per-row results (their rows are set just before it).
            finished = await frame_after(pilot, frames, results_shown[0])
            report = bulk_screen.report
            assert report is not None
            rss, peak = rss_mb()
        return {
            "matching": matching,
            "ended": report.ended,
            "skipped": report.skipped,
            "total_s": finished - started,
            "preview_s": previewed - started,
            "run_and_results_s": finished - previewed,
            "progress_updates": progress,
            "rss_mb": rss,
            "peak_rss_mb": peak,
        }

    emit(**asyncio.run(run()))


# -- the living demo ---------------------------------------------------------------------------


def demo(path: str, minutes: float) -> None:
    """The living demo (``agent-console demo``: its seed, its world, its console) on a fake
    clock: the world ticks back to back and the clock moves a tick's worth (3 s) each time, so
    ``minutes`` of demo run in a fraction of the time. The resident set is read when the
    console shows its sessions (minute 0) and after every simulated minute."""
    from datetime import UTC, datetime, timedelta

    from agent_console.demo.driver import TICK_SECONDS, DemoDriver
    from agent_console.demo.seed import seed
    from agent_console.services.runtime import open_ctx
    from agent_console.tui.app import make_app
    from agent_console.tui.screens.console import ConsoleScreen

    now = [datetime(2026, 11, 23, 10, 0, tzinfo=UTC)]

    def clock() -> datetime:
        return now[0]

    class SteppedDriver(DemoDriver):
        async def _run(self) -> None:
            now[0] += timedelta(seconds=TICK_SECONDS)
            await super()._run()

    ticks_per_minute = round(60 / TICK_SECONDS)
    total_ticks = round(minutes * ticks_per_minute)
    url = f"sqlite+aiosqlite:///{path}"

    async def run() -> dict[str, object]:
        ctx = await open_ctx(url, clock=clock)
        try:  # what agent-console demo seeds (its defaults)
            await seed(ctx, agents=8, sessions=300, seed=1)
        finally:
            await ctx.db.dispose()
        driver = SteppedDriver(1, interval=0.01)
        # A quick poll: a refresh per world tick, as a 3 s tick and a 0.25 s poll give.
        app = make_app(url, "dana", clock=clock, poll_interval=0.02, demo=driver)
        samples: list[tuple[float, float]] = []
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: console_loaded(app, ConsoleScreen), step=0.01)
            start_tick = driver.ticks
            started = time.perf_counter()
            samples.append((0.0, rss_mb()[0]))
            next_minute = 1
            while driver.ticks - start_tick < total_ticks:
                await asyncio.sleep(0.02)
                done = driver.ticks - start_tick
                while done >= next_minute * ticks_per_minute:
                    samples.append((float(next_minute), rss_mb()[0]))
                    next_minute += 1
            wall = time.perf_counter() - started
            driver.stop()
            widgets = len(app.screen.query("*"))
        return {
            "simulated_minutes": (driver.ticks - start_tick) / ticks_per_minute,
            "ticks": driver.ticks - start_tick,
            "wall_s": wall,
            "samples": samples,
            "peak_rss_mb": rss_mb()[1],
            "widgets_on_screen": widgets,
        }

    emit(**asyncio.run(run()))


def main() -> None:
    mode, *args = sys.argv[1:]
    if mode == "bare":
        bare()
    elif mode == "bare-tty":
        bare_tty()
    elif mode == "console":
        console(args[0])
    elif mode == "inapp":
        inapp(args[0], int(args[1]))
    elif mode == "bulk":
        bulk(args[0])
    elif mode == "find":
        find(args[0], int(args[1]))
    elif mode == "demo":
        demo(args[0], float(args[1]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()

"""The supervisor board's one-second clock on the UI thread, at 1,000 agents (issue 14).

    .venv/bin/python bench/floor_board_tick.py [--agents 1000] [--ticks 20] [--size 120x40]

The board re-renders its times every second without reading the database
(``FloorBoardScreen._tick``). This runs the real screen headless (``App.run_test``) over a
made-up view of ``--agents`` rows (no database: the backend only answers the clock and hands
the view back), moves the clock a second before each tick and times the tick itself: the work
the UI thread does each second. It also times the same tick rewriting every row, as the board
did before it limited the clock to the rows on screen. Prints one JSON object: medians and
maxima in ms, and the ratio of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from textual.app import App

from agent_console.domain.floor import FloorState
from agent_console.domain.vocab import Presence
from agent_console.services.views.floor import FloorAgent, FloorTotals, FloorView
from agent_console.tui.screens.floor_board import FloorBoardScreen

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def made_up_view(agents: int) -> FloorView:
    rows = [
        FloorAgent(
            id=i,
            name=f"agent{i:04d}",
            is_admin=False,
            state=FloorState.ONLINE,
            presence=Presence.ONLINE,
            away_reason=None,
            presence_since=T0 - timedelta(minutes=i % 300),
            presence_by=None,
            presence_note=None,
            used=i % 4,
            capacity=4,
            active=i % 3,
            inactive=i % 2,
            customers_waiting=i % 2,
            longest_wait_since=T0 - timedelta(seconds=i) if i % 2 else None,
        )
        for i in range(agents)
    ]
    totals = FloorTotals(agents, {s: 0 for s in FloorState}, 0, 0, 0, 0, 0, 0, None)
    return FloorView(T0, rows, [], totals)


class ClockOnly:
    """The little of a backend the board's clock needs: the time, and the view."""

    def __init__(self, view: FloorView) -> None:
        self.view = view
        self.at = T0

    def now(self) -> datetime:
        return self.at

    async def floor(self, *_args: Any, **_kw: Any) -> FloorView:
        return self.view


class BoardOnly(App[None]):
    def __init__(self, backend: ClockOnly) -> None:
        super().__init__()
        self.backend = backend

    def on_mount(self) -> None:
        self.push_screen(FloorBoardScreen(self.backend))  # type: ignore[arg-type]


async def measure(agents: int, ticks: int, size: tuple[int, int]) -> dict[str, Any]:
    backend = ClockOnly(made_up_view(agents))
    app = BoardOnly(backend)
    async with app.run_test(size=size) as pilot:
        board = app.screen
        assert isinstance(board, FloorBoardScreen)
        while board.view is None:
            await pilot.pause(0.05)
        board.clock_timer.pause()
        table = board.table

        def every_row() -> None:  # the tick as it was: each row's cells, each second
            now = backend.now()
            for agent in backend.view.agents:
                board._update_row(table, agent, now)

        timings: dict[str, list[float]] = {"tick": [], "every_row": []}
        for _ in range(ticks):
            for name, step in (("tick", board._tick), ("every_row", every_row)):
                backend.at += timedelta(seconds=1)
                started = time.perf_counter()
                step()
                timings[name].append((time.perf_counter() - started) * 1000)
                await pilot.pause()
    tick, before = timings["tick"], timings["every_row"]
    return {
        "agents": agents,
        "size": f"{size[0]}x{size[1]}",
        "ticks": ticks,
        "tick_ms": {"median": round(statistics.median(tick), 2), "max": round(max(tick), 2)},
        "every_row_ms": {
            "median": round(statistics.median(before), 2),
            "max": round(max(before), 2),
        },
        "ratio_every_row_to_tick": round(statistics.median(before) / statistics.median(tick), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.split("x"))
    print(json.dumps(asyncio.run(measure(args.agents, args.ticks, (width, height))), indent=2))


if __name__ == "__main__":
    main()

"""The suite's pilot waits for idleness in 5 ms windows (``tests/shared/quick_idle.py``)."""

from __future__ import annotations

from textual import _wait
from textual.app import App, ComposeResult
from textual.widgets import Input

from shared.quick_idle import IDLE, WINDOW


def test_the_suite_looks_at_5_ms_windows_and_keeps_the_5_percent_rule() -> None:
    assert (_wait.SLEEP_GRANULARITY, _wait.SLEEP_IDLE) == (WINDOW, IDLE) == (0.005, 0.00025)


class Typing(App[None]):
    def compose(self) -> ComposeResult:
        yield Input()


async def test_typed_keys_still_arrive_in_order_one_by_one() -> None:
    app = Typing()
    async with app.run_test(size=(40, 3)) as pilot:
        await pilot.press(*"Messaging Sessions", "left", "left", "x")
        assert app.query_one(Input).value == "Messaging Sessioxns"

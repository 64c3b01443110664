"""``agent-console demo``: living by default (seeded), ``--tour``, ``--still`` (Textual faked)."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from agent_console.demo.driver import DemoDriver
from agent_console.demo.tour import TourPlayer

from .conftest import Console


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace ``agent_console.tui.app.run_console`` and record how it was called."""
    calls: list[dict[str, Any]] = []
    fake = types.ModuleType("agent_console.tui.app")

    def run_console(**kwargs: Any) -> None:
        calls.append(kwargs)

    fake.run_console = run_console  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agent_console.tui.app", fake)
    return calls


def test_the_demo_is_living_with_the_seed_it_was_made_with(
    run_sqlite: Console, launched: list[dict[str, Any]]
) -> None:
    run_sqlite("demo", "--sessions", "10", db=False)
    run_sqlite("demo", "--sessions", "10", "--seed", "42", db=False)
    first, second = launched
    assert (first["demo"].seed, first["tour"]) == (1, None)
    assert (second["demo"].seed, second["tour"]) == (42, None)
    assert isinstance(first["demo"], DemoDriver)


def test_tour_plays_the_guided_tour(run_sqlite: Console, launched: list[dict[str, Any]]) -> None:
    run_sqlite("demo", "--sessions", "10", "--tour", "--seed", "5", db=False)
    [call] = launched
    assert (call["demo"].seed, call["agent"]) == (5, "dana")
    assert isinstance(call["tour"], TourPlayer) and call["tour"].exit_at_end


def test_still_keeps_the_world_quiet(run_sqlite: Console, launched: list[dict[str, Any]]) -> None:
    run_sqlite("demo", "--sessions", "10", "--still", db=False)
    run_sqlite("demo", "--sessions", "10", "--still", "--tour", db=False)
    still, still_tour = launched
    assert "demo" not in still and "tour" not in still  # the plain console call
    assert still_tour["demo"] is None and isinstance(still_tour["tour"], TourPlayer)


def test_tour_needs_the_console(run_sqlite: Console, launched: list[dict[str, Any]]) -> None:
    result = run_sqlite("demo", "--no-ui", "--tour", code=2, db=False)
    assert "--tour plays in the console; drop --no-ui" in result.stderr
    assert launched == []


def test_no_ui_still_only_makes_the_database(
    run_sqlite: Console, launched: list[dict[str, Any]]
) -> None:
    data = run_sqlite.json("demo", "--no-ui", "--sessions", "12", "--seed", "3", db=False)
    assert (data["sessions"], data["agent"]) == (12, "dana")
    assert launched == []


def test_help_mentions_the_living_demo_and_the_tour(run_sqlite: Console) -> None:
    out = run_sqlite("demo", "--help", db=False).stdout
    assert "living" in out
    for option in ("--tour", "--still", "--seed", "--no-ui"):
        assert option in out

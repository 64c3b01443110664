"""Starting the console: ``agent-console`` and ``agent-console demo`` (Textual is faked)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

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


def test_demo_no_ui_makes_a_fresh_seeded_database(run_sqlite: Console, home: Path) -> None:
    first = run_sqlite("demo", "--no-ui", "--sessions", "40", "--agents", "4", db=False)
    demo_db = home / "data" / "demo.db"
    assert demo_db.is_file()
    assert f"demo database: {demo_db}" in first.stdout
    assert "sessions:  40" in first.stdout
    assert "seeding: 40/40 sessions" in first.stderr

    data = run_sqlite.json(
        "demo", "--no-ui", "--sessions", "40", "--agents", "4", "--seed", "2", db=False
    )
    assert (data["sessions"], data["agents"], data["agent"]) == (40, 4, "dana")
    assert data["database"] == str(demo_db)
    on_demo = Console(data["url"])
    assert on_demo.json("sessions", "list", "--limit", "1")["total"] == 40  # fresh, not 80
    dana = on_demo.json("agents", "show", "dana")
    assert dana["is_admin"] is True and dana["presence"] == "Online"
    assert on_demo("check").exit_code == 0


def test_demo_removes_stale_wal_files(run_sqlite: Console, home: Path) -> None:
    data_dir = home / "data"
    data_dir.mkdir(parents=True)
    (data_dir / "demo.db-wal").write_bytes(b"stale junk")
    (data_dir / "demo.db-shm").write_bytes(b"stale junk")
    run_sqlite("demo", "--no-ui", "--sessions", "5", db=False)
    assert (data_dir / "demo.db").is_file()
    wal = data_dir / "demo.db-wal"
    assert not wal.exists() or wal.read_bytes() != b"stale junk"


def test_demo_starts_the_console_as_dana(
    run_sqlite: Console, home: Path, launched: list[dict[str, Any]]
) -> None:
    run_sqlite("demo", "--sessions", "10", db=False)
    [call] = launched
    assert call["agent"] == "dana"
    assert call["url"].endswith(str(home / "data" / "demo.db"))
    assert call["settings"].theme  # the loaded settings are passed on


def test_demo_with_an_unknown_agent_exits_1(
    run_sqlite: Console, launched: list[dict[str, Any]]
) -> None:
    result = run_sqlite("demo", "--sessions", "5", "--as", "ghost", db=False, code=1)
    assert "unknown agent 'ghost'" in result.stderr
    assert launched == []


def test_demo_refuses_db(run_sqlite: Console) -> None:
    result = run_sqlite("demo", "--no-ui", code=2)
    assert "drop --db" in result.stderr


def test_bare_command_starts_the_console(
    run_sqlite: Console, launched: list[dict[str, Any]]
) -> None:
    run_sqlite("agents", "add", "dana")
    run_sqlite("--as", "dana")
    [call] = launched
    assert call["agent"] == "dana" and call["url"] == run_sqlite.url
    # On SQLite the first screen is read without the database layer and handed over.
    first = call["first_screen"]
    assert first.agent.name == "dana" and first.sessions == []


def test_a_schema_that_is_not_current_takes_the_usual_start(
    run_sqlite: Console, launched: list[dict[str, Any]]
) -> None:
    """The first read steps aside; the usual start says what to do (and starts nothing)."""
    import sqlite3

    run_sqlite("agents", "add", "dana")
    path = run_sqlite.url.split("///", 1)[1]
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = '0010'")
    result = run_sqlite("--as", "dana", code=1)
    assert "run `agent-console db upgrade`" in result.stderr
    assert launched == []


def test_the_console_starts_with_the_collector_paused_and_it_is_back_on_after(
    run_sqlite: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Full collections during start-up walk every object start-up made, again and again;
    the console turns the collector back on once the sessions are on screen."""
    import gc

    seen: list[bool] = []
    fake = types.ModuleType("agent_console.tui.app")
    fake.run_console = lambda **kwargs: seen.append(gc.isenabled())  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "agent_console.tui.app", fake)
    run_sqlite("agents", "add", "dana")
    assert gc.isenabled()
    run_sqlite("--as", "dana")
    assert seen == [False]
    assert gc.isenabled()


def test_bare_command_refuses_an_unknown_agent(
    run_sqlite: Console, launched: list[dict[str, Any]]
) -> None:
    result = run_sqlite("--as", "ghost", code=1)
    assert result.stderr == "agent-console: error: unknown agent 'ghost'\n"
    assert launched == []


def test_bare_command_on_the_default_database(
    run_sqlite: Console, home: Path, launched: list[dict[str, Any]]
) -> None:
    run_sqlite(db=False)
    [call] = launched
    assert call["agent"] is None
    assert (home / "data").is_dir()
    assert call["url"].endswith(str(home / "data" / "agent-console.db"))

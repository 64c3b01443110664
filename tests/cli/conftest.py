"""CLI fixtures: a throw-away home, a database (SQLite file and PostgreSQL), and a runner.

Every test runs ``agent-console`` in-process through ``click.testing.CliRunner`` with
``AGENT_CONSOLE_HOME`` pointing at ``tmp_path``, so nothing touches the user's real files.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result

from agent_console.cli.main import cli
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx

T = TypeVar("T")
ENV_VARS = (
    "AGENT_CONSOLE_DB",
    "AGENT_CONSOLE_CONFIG",
    "AGENT_CONSOLE_AGENT",
    "AGENT_CONSOLE_THEME",
    "AGENT_CONSOLE_DEBUG",
)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """AGENT_CONSOLE_HOME in tmp_path and no other agent-console variable set."""
    root = tmp_path / "home"
    monkeypatch.setenv("AGENT_CONSOLE_HOME", str(root))
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    return root


class Console:
    """Runs ``agent-console --db URL ARGS...`` and checks the exit code."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int | None = 0, db: bool = True) -> Result:
        argv = (["--db", self.url] if db and self.url else []) + list(args)
        result = self.runner.invoke(cli, argv, catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, (
                f"agent-console {' '.join(args)} exited {result.exit_code}, not {code}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}"
            )
        return result

    def json(self, *args: str, code: int | None = 0, db: bool = True) -> Any:
        result = self(*args, "--json", code=code, db=db)
        return json.loads(result.stdout)

    def services(self, work: Callable[[Ctx], Awaitable[T]]) -> T:
        """Run service code directly on the same database (for setup and checks)."""
        assert self.url is not None

        async def go() -> T:
            ctx = await open_ctx(self.url)  # type: ignore[arg-type]
            try:
                return await work(ctx)
            finally:
                await ctx.db.dispose()

        return asyncio.run(go())


@pytest.fixture
def run(db_url: str) -> Console:
    """The console on a fresh database: a SQLite file, and PostgreSQL when configured."""
    return Console(db_url)


@pytest.fixture
def run_sqlite(tmp_path: Path) -> Console:
    """The console on a fresh SQLite file only (for file-level behaviour)."""
    return Console(f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")


@pytest.fixture
def team(run: Console) -> Console:
    """dana (admin, every permission, capacity 5, Online) and amir (messaging only,
    capacity 2, Offline)."""
    run(
        "agents",
        "add",
        "dana",
        "--admin",
        "--capacity",
        "5",
        "--perm",
        "enhanced_chat_user",
        "--perm",
        "enhanced_chat_rep",
        "--perm",
        "messaging_agent",
        "--perm",
        "end_messaging_session",
    )
    run("agents", "add", "amir", "--capacity", "2", "--perm", "messaging_agent")
    run("presence", "dana", "online")
    return run

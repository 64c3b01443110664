"""Reliability suite fixtures: a throw-away home so the CLI never reads the user's files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx

ENV_VARS = (
    "AGENT_CONSOLE_DB",
    "AGENT_CONSOLE_CONFIG",
    "AGENT_CONSOLE_AGENT",
    "AGENT_CONSOLE_THEME",
    "AGENT_CONSOLE_DEBUG",
)


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "home"
    monkeypatch.setenv("AGENT_CONSOLE_HOME", str(root))
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    return root


@pytest.fixture
async def live(db_url: str) -> AsyncIterator[Ctx]:
    """The test's own view of the database on the real clock (worker processes use it too)."""
    ctx = await open_ctx(db_url)
    try:
        yield ctx
    finally:
        await ctx.db.dispose()

"""The PostgreSQL server CI provides (``scripts/pg_throwaway.py``) answers with asyncpg."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from shared.pg_throwaway_module import load_pg_throwaway

PG_URL = os.environ.get("AGENT_CONSOLE_TEST_PG_URL")
REQUIRE_PG = bool(os.environ.get("AGENT_CONSOLE_REQUIRE_PG"))


@pytest.mark.pg
def test_pg_url_answers_select_1() -> None:
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("AGENT_CONSOLE_REQUIRE_PG is set but AGENT_CONSOLE_TEST_PG_URL is not")
        pytest.skip("no PostgreSQL: set AGENT_CONSOLE_TEST_PG_URL (CI does, see .ci/run)")

    import asyncpg

    dsn = PG_URL.replace("+asyncpg", "", 1)

    async def select_1() -> object:
        conn = await asyncpg.connect(dsn, timeout=10)
        try:
            return await conn.fetchval("select 1")
        finally:
            await conn.close()

    assert asyncio.run(select_1()) == 1


def test_a_scratch_directory_is_in_memory_when_there_is_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server's files go to memory when it can (its files on ext4 made the PostgreSQL
    tests spend most of their CPU in the file system), and to the temporary directory when
    the memory directory is missing or too small: never nowhere."""
    import tempfile

    pg = load_pg_throwaway()
    memory = tmp_path / "shm"
    memory.mkdir()
    monkeypatch.setattr(pg, "MEMORY_DIR", str(memory))
    monkeypatch.setattr(pg, "MEMORY_DIR_ROOM", 1)
    made = Path(pg.scratch_dir("x-"))
    assert made.parent == memory and made.name.startswith("x-") and not any(made.iterdir())

    monkeypatch.setattr(pg, "MEMORY_DIR_ROOM", 1 << 62)  # no machine has that much
    assert Path(pg.scratch_dir()).parent == Path(tempfile.gettempdir())
    monkeypatch.setattr(pg, "MEMORY_DIR", str(tmp_path / "missing"))
    monkeypatch.setattr(pg, "MEMORY_DIR_ROOM", 1)
    assert Path(pg.scratch_dir()).parent == Path(tempfile.gettempdir())


def test_the_scratch_command_prints_a_new_directory(capsys: pytest.CaptureFixture[str]) -> None:
    pg = load_pg_throwaway()
    assert pg.main(["scratch"]) == 0
    made = Path(capsys.readouterr().out.strip())
    try:
        assert made.is_dir() and not any(made.iterdir())
    finally:
        made.rmdir()

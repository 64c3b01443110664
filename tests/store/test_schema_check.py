"""The schema check at every start: a database at head opens without Alembic; anything else
(first run, an older schema, a damaged version table) goes through Alembic as before."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agent_console.domain.errors import StoreError
from agent_console.services.runtime import open_ctx
from agent_console.store.schema import HEAD_REVISION, head_revision
from conftest import FakeClock


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_head_constant_is_alembics_head() -> None:
    """A new migration must move HEAD_REVISION too, or every start would go through Alembic
    (and refuse the database it just migrated)."""
    assert head_revision() == HEAD_REVISION


async def test_a_first_run_creates_the_schema_and_the_next_start_skips_alembic(
    tmp_path: Path,
) -> None:
    db = tmp_path / "console.db"
    ctx = await open_ctx(_url(db), clock=FakeClock())
    await ctx.db.dispose()
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (HEAD_REVISION,)
        ]
    code = (
        "import asyncio, sys\n"
        "from agent_console.services.runtime import open_ctx\n"
        "async def main():\n"
        f"    ctx = await open_ctx({_url(db)!r})\n"
        "    await ctx.db.dispose()\n"
        "asyncio.run(main())\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))\n"
    )
    assert _run(code) == "[]"


async def test_an_older_schema_is_still_refused_with_the_way_out(tmp_path: Path) -> None:
    db = tmp_path / "console.db"
    ctx = await open_ctx(_url(db), clock=FakeClock())
    await ctx.db.dispose()
    with sqlite3.connect(db) as con:
        con.execute("UPDATE alembic_version SET version_num = '0007'")
    with pytest.raises(StoreError, match=f"at schema 0007, this console needs {HEAD_REVISION}"):
        await open_ctx(_url(db), clock=FakeClock())


async def test_two_version_rows_are_left_to_alembic(tmp_path: Path) -> None:
    db = tmp_path / "console.db"
    ctx = await open_ctx(_url(db), clock=FakeClock())
    await ctx.db.dispose()
    with sqlite3.connect(db) as con:
        con.execute(f"INSERT INTO alembic_version VALUES ('{HEAD_REVISION}x')")
    with pytest.raises(Exception, match="more than one head"):
        await open_ctx(_url(db), clock=FakeClock())

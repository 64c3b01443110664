"""The PostgreSQL server CI provides (``scripts/pg_throwaway.py``) answers with asyncpg."""

from __future__ import annotations

import asyncio
import os

import pytest

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

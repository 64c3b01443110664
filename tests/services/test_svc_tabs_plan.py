"""A console's tabs are read by index seeks, not a walk through everything the agent ended.

``services.tabs`` runs on every refresh of every console. Both of its halves must seek
``(owner_id, status, ...)``: the live sessions by their statuses (named, not ``!= Ended``),
the ended ones with a tab open by ``ix_sessions_owner_tabs`` (``tab_open`` in the index, and
compared with ``=``, which PostgreSQL can look up in an index; ``IS TRUE`` it cannot). With
``!= Ended`` and without ``tab_open`` in an index, an agent with 11,000 ended sessions of a
100,000-session database took ~12 ms a refresh on SQLite; ~0.03 ms with them.

SQLite only: on a nearly empty table PostgreSQL's planner rightly picks whatever is cheapest,
so a plan there says little (``bench/`` measures it on 100,000 sessions).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from agent_console.services import tabs
from agent_console.services.context import Ctx


async def _plan(ctx: Ctx) -> str:
    async with ctx.db.read() as conn:
        stmt = tabs._tabs(conn)
        values = {"agent_id": 1, "live_window": 500, "ended_window": 200}
        compiled = stmt.params(values).compile(
            conn.sync_connection, compile_kwargs={"literal_binds": True}
        )
        rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
        return "\n".join(str(r[3]) for r in rows)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_tabs_are_read_by_index_seeks(ctx: Ctx) -> None:
    plan = await _plan(ctx)
    searches = [line for line in plan.splitlines() if line.startswith("SEARCH sessions")]
    assert any(
        "ix_sessions_owner_tabs (owner_id=? AND status=? AND tab_open=?)" in s for s in searches
    ), plan
    # A seek per live status, not (owner_id=?) and a filter over every ended session.
    assert any(s.endswith("(owner_id=? AND status=?)") for s in searches), plan
    assert not [line for line in plan.splitlines() if line.startswith("SCAN sessions")], plan


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_postgresql_knows_owner_and_status_go_together(ctx: Ctx) -> None:
    """Without statistics on the pair, PostgreSQL guessed ~2,300 live sessions for an agent
    with none (100,000 demo sessions) and walked the primary key: 20 ms a refresh, 1 ms with
    them (measured on that seed; a small test database would plan either way)."""
    async with ctx.db.read() as conn:
        kinds = await conn.scalar(
            text(
                "SELECT stxkind::text FROM pg_statistic_ext WHERE stxname = :name "
                "AND stxrelid = 'sessions'::regclass"
            ),
            {"name": "st_sessions_owner_status"},
        )
    assert kinds is not None and "m" in kinds and "f" in kinds  # mcv and dependencies

"""Issue 11, Find: the list searches by customer name or message text through an index (FTS5
on SQLite, GIN on PostgreSQL: the query plans are asserted here), combined with the filters;
the last page is one keyset page from the end; the list's choices are kept per agent."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from svc_support import ALL, STANDARD, STANDARD_FB, add, assigned
from test_listing_filters import CHANNELS, every_page, world

from agent_console.demo.seed import seed
from agent_console.services import conversations, list_prefs, listing
from agent_console.services.context import Ctx
from agent_console.services.listing import SORT_LABELS, SessionFilter, Sort
from agent_console.store import search
from conftest import FakeClock


async def found(ctx: Ctx, words: str, **filters: Any) -> list[str]:
    page = await listing.list_sessions(ctx, SessionFilter(search=words, **filters), limit=100)
    return sorted(r.customer for r in page.rows)


async def people(ctx: Ctx) -> dict[str, int]:
    ids = {}
    for name, channel, line in (
        ("Alice Martin", STANDARD, "Has my order shipped?"),
        ("Alicia Keys", STANDARD_FB, "I want a refund"),
        ("Bob Stone", STANDARD, "The parcel never came; refund please"),
        ("José Ñúñez", "byoc", "hola"),
    ):
        ids[name] = (await conversations.inbound(ctx, name, channel, line)).session_id
    return ids


async def test_find_by_a_word_of_the_customers_name_or_of_a_line(ctx: Ctx) -> None:
    await people(ctx)
    assert await found(ctx, "alice") == ["Alice Martin"]
    assert await found(ctx, "ali") == ["Alice Martin", "Alicia Keys"]  # words start with it
    assert await found(ctx, "MARTIN") == ["Alice Martin"]
    assert await found(ctx, "refund") == ["Alicia Keys", "Bob Stone"]
    assert await found(ctx, "refund stone") == []  # every word in the name or in one line
    assert await found(ctx, "refund parcel") == ["Bob Stone"]
    assert await found(ctx, "  shipped?! ") == ["Alice Martin"]  # punctuation is no word
    assert await found(ctx, "nobody") == []
    assert await found(ctx, "Ñúñez") == ["José Ñúñez"]
    if ctx.db.dialect == "sqlite":  # accents do not count (PostgreSQL: unaccent is an extension)
        assert await found(ctx, "nunez jose") == ["José Ñúñez"]
    # Too little to search for: no search at all (every session).
    assert len(await found(ctx, "a")) == 4
    assert len(await found(ctx, "?!")) == 4


async def test_find_combines_with_the_filters_and_the_count_follows(ctx: Ctx) -> None:
    await people(ctx)
    flt = SessionFilter(search="refund", channels=(STANDARD,))
    assert await found(ctx, "refund", channels=(STANDARD,)) == ["Bob Stone"]
    assert await listing.count_sessions(ctx, flt) == 1
    assert await listing.count_sessions(ctx, SessionFilter(search="refund")) == 2


async def test_find_sees_new_lines_and_customers_at_once_but_not_system_lines(ctx: Ctx) -> None:
    await add(ctx, "amir", ALL)
    sid = await assigned(ctx, "amir", STANDARD, customer="Cara Lopez")
    assert await found(ctx, "lopez") == ["Cara Lopez"]
    assert await found(ctx, "voucher") == []
    await conversations.send(ctx, "amir", sid, "Here is your voucher code")
    assert await found(ctx, "voucher") == ["Cara Lopez"]  # the agent's line
    await conversations.inbound(ctx, "Cara Lopez", STANDARD, "Thanks, the coupon works")
    assert await found(ctx, "coupon") == ["Cara Lopez"]
    # System lines ("Session ended by ...", notes) are not searched.
    from agent_console.domain.vocab import Surface
    from agent_console.services import ending

    await ending.end_session(ctx, "amir", sid, Surface.CONVERSATION)
    assert await found(ctx, "ended") == []


async def _plan(ctx: Ctx, words: str) -> str:
    async with ctx.db.read() as conn:
        clauses = await listing.filter_clauses(conn, SessionFilter(search=words), ctx.now())
        stmt = listing._ids_page(clauses, Sort(), None, 200)
        compiled = stmt.compile(conn.sync_connection, compile_kwargs={"literal_binds": True})
        if conn.dialect.name == "sqlite":
            rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            return "\n".join(str(r[3]) for r in rows)
        # A handful of rows: PostgreSQL would rightly scan them; forbid it to see whether the
        # indexes serve these expressions at all (a mismatched expression would still scan).
        await conn.execute(text("SET LOCAL enable_seqscan = off"))
        rows = await conn.exec_driver_sql(f"EXPLAIN {compiled}")
        return "\n".join(str(r[0]) for r in rows)


async def test_find_uses_the_search_indexes_not_a_scan(ctx: Ctx) -> None:
    """The plan README states: the full-text indexes give the ids, every table is then read
    by its keys; no table is scanned."""
    await people(ctx)
    plan = await _plan(ctx, "alice refund")
    if ctx.db.dialect == "sqlite":
        assert "SCAN customers_fts VIRTUAL TABLE INDEX 0:M" in plan, plan
        assert "SCAN messages_fts VIRTUAL TABLE INDEX 0:M" in plan, plan
        assert "SEARCH messages USING INTEGER PRIMARY KEY" in plan, plan
        assert "SEARCH sessions USING COVERING INDEX ix_sessions_customer_status" in plan, plan
        assert "SEARCH sessions USING INTEGER PRIMARY KEY" in plan, plan
        scans = [line for line in plan.splitlines() if line.startswith("SCAN ")]
        assert all("VIRTUAL TABLE" in line for line in scans), plan
    else:
        assert "Bitmap Index Scan on ix_search_customers_name" in plan, plan
        assert "Bitmap Index Scan on ix_search_messages_text" in plan, plan
        assert "Seq Scan on messages" not in plan and "Seq Scan on customers" not in plan, plan


async def triggers(conn: Any) -> dict[str, str]:
    rows = await conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type='trigger'")
    return {r[0]: r[1] for r in rows}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL: GIN, no trigger
async def test_the_migration_and_the_seed_keep_the_same_trigger(ctx: Ctx) -> None:
    """The seed drops and makes again the insert triggers (indexing its rows in bulk): it must
    make them as the migration did, and the index must hold the seeded rows."""
    async with ctx.db.read() as conn:
        before = await triggers(conn)
    assert before["messages_fts_insert"] == search.trigger_sql("messages")
    assert before["customers_fts_insert"] == search.trigger_sql("customers")
    await seed(ctx, sessions=60, agents=3)
    async with ctx.db.read() as conn:
        after = await triggers(conn)
        indexed = await conn.scalar(text("SELECT count(*) FROM messages_fts"))
        lines = await conn.scalar(
            text("SELECT count(*) FROM messages WHERE author_kind <> 'system'")
        )
        customers = await conn.scalar(text("SELECT name FROM customers ORDER BY id LIMIT 1"))
    assert after == before
    assert indexed == lines
    word = str(customers).split()[-1]
    assert len(await found(ctx, word)) >= 1


# Last page: keyset from the end -------------------------------------------------------------


@pytest.mark.parametrize("key", list(SORT_LABELS))
async def test_the_last_page_is_the_end_of_every_sort_and_pages_back_to_the_start(
    ctx: Ctx, clock: FakeClock, key: str
) -> None:
    await world(ctx, clock)
    for descending in (True, False):
        sort = Sort(key, descending)  # type: ignore[arg-type]
        forward = await every_page(ctx, SessionFilter(), sort, 100)
        last = await listing.list_sessions(ctx, SessionFilter(), sort=sort, limit=3, from_end=True)
        assert [r.id for r in last.rows] == forward[-3:]
        assert last.next_cursor is None  # nothing after the last page
        # Back, page by page, to the first row; each page continues where the next began.
        ids = [r.id for r in last.rows]
        page = last
        while page.prev_cursor is not None:
            page = await listing.list_sessions(
                ctx, SessionFilter(), sort=sort, limit=3, before=page.prev_cursor
            )
            assert page.next_cursor is not None
            ids = [r.id for r in page.rows] + ids
            assert len(ids) <= len(forward)
        assert ids == forward


async def test_the_last_page_with_a_filter_and_a_search(ctx: Ctx, clock: FakeClock) -> None:
    await world(ctx, clock)
    flt = SessionFilter(channels=(CHANNELS[0],), search="hi")
    forward = await every_page(ctx, flt, Sort(), 100)
    assert 1 < len(forward) < 8
    last = await listing.list_sessions(ctx, flt, sort=Sort(), limit=1, from_end=True)
    assert [r.id for r in last.rows] == forward[-1:]
    assert last.prev_cursor is not None
    short = await listing.list_sessions(ctx, flt, sort=Sort(), limit=100, from_end=True)
    assert [r.id for r in short.rows] == forward and short.prev_cursor is None


# Kept per agent ---------------------------------------------------------------------------


async def test_the_lists_choices_are_kept_per_agent(ctx: Ctx) -> None:
    await add(ctx, "amir", ALL)
    await add(ctx, "bea", ALL)
    assert await list_prefs.load_list_view(ctx, "amir") == list_prefs.ListView()
    view = list_prefs.ListView(
        status="Waiting",
        channel="standard",
        owner="me",
        sort="customer",
        descending=False,
        search="refund",
    )
    await list_prefs.save_list_view(ctx, "amir", view)
    assert await list_prefs.load_list_view(ctx, "amir") == view
    assert await list_prefs.load_list_view(ctx, "bea") == list_prefs.ListView()
    changed = list_prefs.ListView(age="min:1h")
    await list_prefs.save_list_view(ctx, "amir", changed)  # one row per agent, replaced
    assert await list_prefs.load_list_view(ctx, "amir") == changed
    with pytest.raises(ValueError, match="NUL"):
        await list_prefs.save_list_view(ctx, "bea", list_prefs.ListView(search="a\x00b"))


async def test_a_stored_view_that_makes_no_sense_gives_the_defaults(ctx: Ctx) -> None:
    assert list_prefs._parse("not json") == list_prefs.ListView()
    assert list_prefs._parse("[1]") == list_prefs.ListView()
    assert list_prefs._parse('{"status": 3, "descending": "no", "search": "x"}') == (
        list_prefs.ListView(search="x")
    )

"""Composer drafts: saved, loaded and cleared per agent and session; cleared by the send that
commits them and kept by a send that fails; stored byte-identical; migration 0001 -> 0002."""

from __future__ import annotations

import asyncio

import pytest
from old_schema import migrate, old_agent, old_session
from sqlalchemy import func, select
from svc_support import ALL, STANDARD, add, assigned

from agent_console.domain.errors import NotFound, Refused, StoreError
from agent_console.domain.vocab import Surface
from agent_console.services import agents, conversations, drafts, ending, listing
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx, open_for_upgrade, upgrade_db
from agent_console.store.models import Draft
from agent_console.store.schema import HEAD_REVISION, current_revision
from conftest import T0, FakeClock

HOSTILE = [
    pytest.param("\x1b[2J\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07", id="escape sequences"),
    pytest.param("[@click=app.quit]x[/] [/bold] [b]", id="markup"),
    pytest.param("\u202eevil\u202c \u2066iso\u2069 \u200f", id="bidi controls"),
    pytest.param("\x85\x9b31m C1 \x7f DEL \x01\x02\t\r\n", id="C0 and C1 controls"),
    pytest.param("\x1b[200~paste\x1b[201~ \x1b[?1000h", id="paste end and mouse on"),
    pytest.param("😀\U000e0001 e\u0301 \ufeff\u00a0 👩‍👩‍👧", id="emoji and format chars"),
    pytest.param("  leading and trailing spaces  \n\n", id="whitespace kept"),
    pytest.param("x" * 300_000 + "\n" + "é" * 10_000, id="long"),
]


async def _dana_with_session(ctx: Ctx) -> int:
    await add(ctx, "dana", ALL)
    return await assigned(ctx, "dana", STANDARD)


async def _draft_rows(ctx: Ctx) -> int:
    async with ctx.db.read() as conn:
        return int(await conn.scalar(select(func.count()).select_from(Draft)) or 0)


async def test_a_draft_is_saved_loaded_replaced_and_cleared(ctx: Ctx, clock: FakeClock) -> None:
    sid = await _dana_with_session(ctx)
    assert await drafts.load_draft(ctx, "dana", sid) == ""
    await drafts.save_draft(ctx, "dana", sid, "first")
    clock.advance(seconds=5)
    await drafts.save_draft(ctx, "dana", sid, "second thoughts")
    assert await drafts.load_draft(ctx, "dana", sid) == "second thoughts"
    async with ctx.db.read() as conn:
        row = (await conn.execute(select(Draft))).one()
    assert row.updated_at == clock.now
    assert await _draft_rows(ctx) == 1
    await drafts.clear_draft(ctx, "dana", sid)
    assert await drafts.load_draft(ctx, "dana", sid) == ""
    assert await _draft_rows(ctx) == 0


async def test_saving_an_empty_draft_removes_it(ctx: Ctx) -> None:
    sid = await _dana_with_session(ctx)
    await drafts.save_draft(ctx, "dana", sid, "something")
    await drafts.save_draft(ctx, "dana", sid, "")
    assert await _draft_rows(ctx) == 0


async def test_drafts_are_per_agent_and_per_session(ctx: Ctx) -> None:
    sid = await _dana_with_session(ctx)
    other = await assigned(ctx, "dana", STANDARD, customer="eve")
    await agents.add_agent(ctx, "sam", permissions=ALL)
    await drafts.save_draft(ctx, "dana", sid, "dana on one")
    await drafts.save_draft(ctx, "dana", other, "dana on two")
    await drafts.save_draft(ctx, "sam", sid, "sam on one")
    assert await drafts.load_draft(ctx, "dana", sid) == "dana on one"
    assert await drafts.load_draft(ctx, "dana", other) == "dana on two"
    assert await drafts.load_draft(ctx, "sam", sid) == "sam on one"
    assert await drafts.load_draft(ctx, "sam", other) == ""


@pytest.mark.parametrize("text", HOSTILE)
async def test_hostile_draft_text_is_stored_byte_identical(ctx: Ctx, text: str) -> None:
    sid = await _dana_with_session(ctx)
    await drafts.save_draft(ctx, "dana", sid, text)
    loaded = await drafts.load_draft(ctx, "dana", sid)
    assert loaded.encode("utf-8") == text.encode("utf-8")


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a\x00b", "NUL"),
        ("lone \ud800 surrogate", "valid Unicode"),
        ("x" * (drafts.MAX_DRAFT_CHARS + 1), "too long"),
    ],
    ids=["nul", "surrogate", "too long"],
)
async def test_text_no_database_can_hold_is_refused_and_the_old_draft_kept(
    ctx: Ctx, text: str, why: str
) -> None:
    sid = await _dana_with_session(ctx)
    await drafts.save_draft(ctx, "dana", sid, "kept")
    with pytest.raises(ValueError, match=why):
        await drafts.save_draft(ctx, "dana", sid, text)
    assert await drafts.load_draft(ctx, "dana", sid) == "kept"


async def test_unknown_session_or_agent_is_refused(ctx: Ctx) -> None:
    sid = await _dana_with_session(ctx)
    with pytest.raises(NotFound, match="no session S-999999"):
        await drafts.save_draft(ctx, "dana", 999_999, "x")
    with pytest.raises(NotFound, match="unknown agent"):
        await drafts.save_draft(ctx, "nobody", sid, "x")
    assert await _draft_rows(ctx) == 0


async def test_the_send_that_commits_clears_the_draft_in_the_same_transaction(ctx: Ctx) -> None:
    sid = await _dana_with_session(ctx)
    await drafts.save_draft(ctx, "dana", sid, "On its way")
    await conversations.send(ctx, "dana", sid, "On its way", clear_draft=True)
    assert await drafts.load_draft(ctx, "dana", sid) == ""
    detail = await listing.show_session(ctx, sid)
    assert detail.messages[-1].text == "On its way"


async def test_a_send_without_clear_draft_leaves_the_draft(ctx: Ctx) -> None:
    sid = await _dana_with_session(ctx)
    await drafts.save_draft(ctx, "dana", sid, "still typing")
    await conversations.send(ctx, "dana", sid, "something else")
    assert await drafts.load_draft(ctx, "dana", sid) == "still typing"


async def test_a_failed_send_keeps_the_draft(ctx: Ctx) -> None:
    sid = await _dana_with_session(ctx)
    await drafts.save_draft(ctx, "dana", sid, "Your refund is on its way")
    # Somebody (here dana's other console) ends the session before this send.
    assert (await ending.end_session(ctx, "dana", sid, Surface.CONVERSATION)).result == "ended"
    with pytest.raises(Refused, match="has ended"):
        await conversations.send(ctx, "dana", sid, "Your refund is on its way", clear_draft=True)
    assert await drafts.load_draft(ctx, "dana", sid) == "Your refund is on its way"
    # Not the owner: refused too, and again nothing of the draft is lost.
    other = await assigned(ctx, "dana", STANDARD, customer="eve")
    await agents.add_agent(ctx, "sam", permissions=ALL)
    await drafts.save_draft(ctx, "sam", other, "sam's words")
    with pytest.raises(Refused, match="not the owner"):
        await conversations.send(ctx, "sam", other, "sam's words", clear_draft=True)
    assert await drafts.load_draft(ctx, "sam", other) == "sam's words"


async def test_concurrent_saves_of_one_draft_leave_one_row(ctx: Ctx) -> None:
    sid = await _dana_with_session(ctx)
    texts = [f"version {i}" for i in range(8)]
    await asyncio.gather(*(drafts.save_draft(ctx, "dana", sid, t) for t in texts))
    assert await _draft_rows(ctx) == 1
    assert await drafts.load_draft(ctx, "dana", sid) in texts


# Migration 0001 -> 0002 ---------------------------------------------------------------------


async def test_migration_0001_to_0002_adds_drafts_and_keeps_the_data(empty_db_url: str) -> None:
    clock = FakeClock(T0)
    old = await open_for_upgrade(empty_db_url, clock=clock)
    try:
        await migrate(old, "0001")
        assert await current_revision(old.db) == "0001"
        # The agent and the session as schema 0001 stores them: the services read and write
        # the newest schema (migrations 0008 and 0009 added columns to agents and sessions).
        await old_agent(old, "dana", ALL, at=T0)
        sid = await old_session(old, "Alice", STANDARD, [("customer", "hi", T0)])
    finally:
        await old.db.dispose()

    # A console built for 0002 refuses the old schema with the way out in the message.
    with pytest.raises(StoreError, match=f"at schema 0001, this console needs {HEAD_REVISION}"):
        await open_ctx(empty_db_url, clock=clock)

    ctx = await open_for_upgrade(empty_db_url, clock=clock)
    try:
        assert await upgrade_db(ctx) == HEAD_REVISION
        assert await current_revision(ctx.db) == HEAD_REVISION
        assert (await agents.get_agent(ctx, "dana")).name == "dana"
        assert (await listing.show_session(ctx, sid)).messages[0].text == "hi"
        await drafts.save_draft(ctx, "dana", sid, "kept across the upgrade")
        assert await drafts.load_draft(ctx, "dana", sid) == "kept across the upgrade"

        await migrate(ctx, "0001", down=True)
        assert await current_revision(ctx.db) == "0001"
        await migrate(ctx, "head")
        assert await drafts.load_draft(ctx, "dana", sid) == ""  # the downgrade dropped drafts
    finally:
        await ctx.db.dispose()
    reopened = await open_ctx(empty_db_url, clock=clock)
    await reopened.db.dispose()


async def test_models_match_the_migrations(empty_db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import text as sa_text

    from agent_console.store.models import Base
    from agent_console.store.search import is_search_object

    ctx = await open_ctx(empty_db_url, clock=FakeClock(T0))
    try:
        async with ctx.db.read() as conn:
            # The search's FTS5 tables and expression indexes (migration 0005) are not models.
            opts = {"include_name": lambda name, *_: not is_search_object(name)}
            diff = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts=opts), Base.metadata
                )
            )
        async with ctx.db.read() as conn:
            sqlite = conn.dialect.name == "sqlite"
            names = await conn.execute(
                sa_text(
                    "SELECT name FROM sqlite_master WHERE type = 'index'"
                    if sqlite
                    else "SELECT indexname FROM pg_indexes WHERE tablename = 'sessions'"
                )
            )
            indexes = set(names.scalars())
    finally:
        await ctx.db.dispose()
    assert diff == []
    # SQLAlchemy cannot reflect an expression index on SQLite (compare_metadata skips it, with
    # a warning): check that one by name, on both databases.
    assert "ix_sessions_last_activity_id" in indexes

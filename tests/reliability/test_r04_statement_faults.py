"""Row 4 -- a database error at the Nth statement of an end, for every N.

A ``before_cursor_execute`` listener raises the driver's own ``OperationalError`` when the
Nth statement of the operation is about to run (N = 1, 2, ... until the operation runs out of
statements). Ends covered: End Chat (status-based, with an R7 timer and a CSAT survey), logout
(several sessions and an open tab), the "Escalate to Tier 2" macro (note, transfer, end, the
escalation trigger), and a bulk end's run.

Invariant: the fault reaches the agent as one clear line (a StoreError), the transaction rolls
back whole -- a dump of every table is identical to the one taken before -- and the retry,
without the fault, succeeds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from agent_console.domain.errors import StoreError
from agent_console.domain.vocab import Presence, Surface
from agent_console.services import (
    agents,
    automation,
    bulk,
    conversations,
    ending,
    presence,
    routing,
    settings,
)
from agent_console.services.context import Ctx

from .support import Injector, diff, dump, finish_with_check, invariants_hold

pytestmark = pytest.mark.reliability

ALL = ("enhanced_chat_user", "enhanced_chat_rep", "messaging_agent", "end_messaging_session")
MAX_STATEMENTS = 60


async def every_statement_fails_once(
    ctx: Ctx, make_target: Callable[[int], Awaitable[Any]], act: Callable[[Any], Awaitable[Any]]
) -> int:
    """For N = 1.. : fail statement N of ``act(target)``, compare dumps, retry; returns how
    many statements the operation has. Each N gets a fresh, identical target."""
    injector = Injector(ctx)
    for n in range(1, MAX_STATEMENTS):
        target = await make_target(n)
        before = await dump(ctx)
        with injector.failing_at(n):
            try:
                await act(target)
            except StoreError as exc:
                assert injector.fired, f"statement {n}: StoreError without the fault: {exc}"
                message = str(exc)
                assert "injected fault" in message and "\n" not in message, message
            else:
                assert not injector.fired, f"statement {n} failed but the operation said ok"
                return n - 1  # ran out of statements: the fault never fired, it succeeded
        assert diff(before, await dump(ctx)) == [], f"statement {n}: a partial write survived"
        retried = await act(target)  # the same operation, no fault: it goes through
        assert retried is not None
        await check_done(result_of=retried)
    raise AssertionError(f"more than {MAX_STATEMENTS} statements?")


async def check_done(result_of: Any) -> None:
    results = getattr(result_of, "results", None)
    if results is None and isinstance(result_of, list):
        results = result_of
    for r in results or ():
        assert r.result == "ended", r


async def _deployment(ctx: Ctx) -> None:
    await agents.add_agent(ctx, "root", is_admin=True)
    await settings.set_setting(ctx, "csat_on_agent_end", "on", admin="root")
    await settings.set_setting(
        ctx, "channel.enhanced_whatsapp.capacity_model", "status-based", admin="root"
    )


async def test_end_chat_fails_at_every_statement_then_succeeds(ctx: Ctx, db_url: str) -> None:
    """Invariant: End Chat is all or nothing (session, timer, units, record, line, CSAT)."""
    await _deployment(ctx)
    await agents.add_agent(ctx, "ann", capacity=1000, permissions=ALL)

    async def target(n: int) -> int:
        # Agent-initiated: it has an R7 timer the end must clear; status-based: units freed.
        r = await conversations.outbound(ctx, "ann", f"cust{n}", "enhanced_whatsapp", "Hi!")
        return r.session_id

    async def act(sid: int) -> Any:
        return [await ending.end_session(ctx, "ann", sid, Surface.CONVERSATION)]

    statements = await every_statement_fails_once(ctx, target, act)
    assert statements >= 8, statements
    await finish_with_check(ctx, db_url)
    print(f"\nEnd Chat: {statements} statements, each failed once and rolled back")


async def test_logout_fails_at_every_statement_then_succeeds(ctx: Ctx, db_url: str) -> None:
    """Invariant: logout (ends, tabs, presence, capacity) is one transaction."""
    await _deployment(ctx)

    async def target(n: int) -> str:
        name = f"rep{n}"
        await agents.add_agent(ctx, name, capacity=5, permissions=ALL)
        await presence.set_presence(ctx, name, Presence.ONLINE)
        for i, ch in enumerate(("standard_sms", "enhanced_whatsapp", "enhanced_web_chat_v2")):
            await conversations.inbound(ctx, f"{name}-c{i}", ch, "hello")
        assert len(await routing.route(ctx)) == 3
        # One more ended session whose tab is still open: logout closes it too.
        extra = await conversations.outbound(ctx, name, f"{name}-x", "standard_sms", "Hi")
        await ending.end_session(ctx, name, extra.session_id, Surface.CONVERSATION)
        return name

    async def act(name: str) -> Any:
        result = await presence.logout(ctx, name, confirmed=True)
        assert result.tabs_closed == 4
        return result

    statements = await every_statement_fails_once(ctx, target, act)
    assert statements >= 10, statements
    await finish_with_check(ctx, db_url)
    print(f"\nlogout: {statements} statements, each failed once and rolled back")


async def test_escalation_macro_fails_at_every_statement_then_succeeds(
    ctx: Ctx, db_url: str
) -> None:
    """Invariant: a macro's steps and the trigger they fire are one transaction."""
    await _deployment(ctx)
    await agents.add_agent(ctx, "ann", capacity=1000, permissions=ALL)

    async def target(n: int) -> int:
        r = await conversations.outbound(ctx, "ann", f"cust{n}", "standard_sms", "Hi!")
        return r.session_id

    async def act(sid: int) -> Any:
        result = await automation.run_macro(ctx, automation.ESCALATE, sid, as_agent="ann")
        assert [s.result for s in result.steps] == ["done", "done", "done"], result.steps
        return result

    statements = await every_statement_fails_once(ctx, target, act)
    assert statements >= 10, statements
    await finish_with_check(ctx, db_url)
    print(f"\nmacro: {statements} statements, each failed once and rolled back")


async def test_bulk_end_run_fails_at_every_statement_then_resumes(ctx: Ctx, db_url: str) -> None:
    """Invariant: a bulk chunk is all or nothing; the operation resumes after the fault."""
    await _deployment(ctx)
    await agents.add_agent(ctx, "ann", capacity=1000, permissions=ALL)

    async def target(n: int) -> int:
        ids = [
            (await conversations.outbound(ctx, "ann", f"b{n}-{i}", ch, "Hi")).session_id
            for i, ch in enumerate(("standard_sms", "enhanced_whatsapp", "standard_sms"))
        ]
        return await bulk.start_bulk(ctx, "ann", ids=ids)

    async def act(bulk_id: int) -> Any:
        report = await bulk.run_bulk(ctx, bulk_id, chunk=2)  # two chunks, two transactions
        assert report.status == "completed" and report.ended == 3, report
        return report

    # A fault in the second chunk leaves the first one committed: that is the design (each
    # chunk is a transaction, the operation resumes). So the state after a fault is the one
    # before it plus whole chunks: never a part of one.
    injector = Injector(ctx)
    n = 1
    while True:
        bulk_id = await target(n)
        before = await dump(ctx)
        with injector.failing_at(n):
            try:
                await act(bulk_id)
            except StoreError:
                assert injector.fired
            else:
                assert not injector.fired
                break
        report = await bulk.bulk_report(ctx, bulk_id)
        assert report.status == "running", report
        assert (report.ended, report.pending) in ((0, 3), (2, 1), (3, 0)), report
        if report.ended == 0:
            assert diff(before, await dump(ctx)) == [], f"statement {n}: a partial write survived"
        await invariants_hold(ctx)  # a committed chunk is whole: records, lines, capacity
        await act(bulk_id)  # resuming without the fault finishes it
        n += 1
    assert n > 10, n
    await finish_with_check(ctx, db_url)
    print(f"\nbulk run: {n - 1} statements, each failed once")

"""Row 12 -- the R7 timer races an agent's End Chat, and customers write at the same moment.

Three processes start together on the same agent-initiated sessions: the sweep (pretending the
24 h are up), the agent ending each by End Chat, and every customer answering.

Invariant: each session ends at most once (one end record, one end line) and by one actor; the
timer never ends a session its customer answered (a reply beats the timer); an ended session is
never reopened; a message that arrives after the end is kept, in a new session of its own.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from agent_console.domain.vocab import Presence
from agent_console.services import agents, conversations, presence
from agent_console.services.context import Ctx
from agent_console.store.models import Customer, EndRecord, Message, Session

from .support import (
    end_line_counts,
    end_record_counts,
    finish_with_check,
    ids_file,
    release,
    start_worker,
)

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

N = 80
ALL = ("enhanced_chat_user", "enhanced_chat_rep", "messaging_agent", "end_messaging_session")


async def test_timer_agent_and_customer_race_one_end_no_reopen(
    live: Ctx, db_url: str, tmp_path: Path
) -> None:
    """Invariant: one end each; a reply beats the timer; ended stays ended; late messages
    land in new sessions."""
    await agents.add_agent(live, "ann", capacity=N, permissions=ALL)
    await presence.set_presence(live, "ann", Presence.ONLINE)
    customers = [f"cust{i:03}" for i in range(N)]
    ids = [
        (await conversations.outbound(live, "ann", c, "standard_sms", "Hello from us")).session_id
        for c in customers
    ]
    listed = ids_file(tmp_path, "ids", ids)
    named = ids_file(tmp_path, "customers", customers)  # type: ignore[arg-type]

    go = tmp_path / "go"
    timer = start_worker(tmp_path, "timer", "sweep", db_url, "--hours", "25", "--chunk", "1",
                         go=go)  # fmt: skip
    agent = start_worker(tmp_path, "agent", "end-each", db_url, "--agent", "ann",
                         "--ids-file", listed, "--reverse", go=go)  # fmt: skip
    writers = start_worker(tmp_path, "customers", "inbound", db_url,
                           "--customers-file", named, go=go)  # fmt: skip
    release([timer, agent, writers], go)
    swept = timer.finish()[-1]["result"]
    by_hand = agent.finish()[-1]["result"]
    written = writers.finish()[-1]["result"]

    # One end at most per session, and "ended" said by exactly the actor on record.
    ended_by = Counter(r["session_id"] for r in swept + by_hand if r["result"] == "ended")
    assert all(n == 1 for n in ended_by.values()), ended_by.most_common(3)
    counts = await end_record_counts(live)
    assert set(counts) == set(ended_by) and all(n == 1 for n in counts.values())
    assert await end_line_counts(live) == dict(counts)
    for r in swept + by_hand:
        if r["result"] == "skipped":
            assert r["reason"], r

    async with live.db.read() as conn:
        records = {e.session_id: e for e in (await conn.execute(select(EndRecord))).all()}
        replied = {
            m.session_id
            for m in (
                await conn.execute(
                    select(Message.session_id).where(Message.author_kind == "customer")
                )
            ).all()
        }
    # A reply beats the timer: the timer ended no session its customer had answered.
    for sid, record in records.items():
        if record.actor_kind == "timer":
            assert sid not in replied, f"the timer ended S-{sid} after the customer replied"
    # Each customer's message: in the old session while it was live, else in a new one.
    joined = {r["session_id"] for r in written if not r["new_session"]}
    fresh = {r["session_id"] for r in written if r["new_session"]}
    assert joined <= set(ids) and not (fresh & set(ids))
    assert len(joined) + len(fresh) == N

    # After the race: everyone writes once more; every ended session stays ended.
    for customer in customers:
        r = await conversations.inbound(live, customer, "standard_sms", "one more thing")
        assert r.session_id not in records, f"ended session S-{r.session_id} reopened"
    async with live.db.read() as conn:
        status = dict((await conn.execute(select(Session.id, Session.status))).all())
        per_customer = Counter(
            (await conn.scalars(select(Customer.name).join(Session, Session.customer_id ==
                                Customer.id))).all()
        )  # fmt: skip
    assert all(status[sid] == "Ended" for sid in records)
    assert all(per_customer[c] >= 1 for c in customers)
    await finish_with_check(live, db_url)
    kinds = Counter(r.actor_kind for r in records.values())
    print(
        f"\n{N} sessions: ended by {dict(kinds)}; replies joined {len(joined)}, "
        f"started {len(fresh)} new sessions"
    )

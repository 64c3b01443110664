"""Row 2 -- End Chat, bulk End Sessions and logout on the same sessions, from three processes.

Invariant: each session is ended exactly once, by one actor: exactly one of the three reports
``ended`` for it, the others report ``skipped: already ended by <that actor>``, and the
database holds one end record (by that actor, from that surface) and one "Session ended by"
line for it. Capacity stays exact (the invariants check).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from agent_console.domain.vocab import Permission
from agent_console.services import agents
from agent_console.services.context import Ctx
from agent_console.store.models import EndRecord

from .support import (
    end_line_counts,
    end_record_counts,
    finish_with_check,
    ids_file,
    release,
    seed_active,
    start_worker,
)

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

N = 240
P = Permission


async def test_end_chat_bulk_end_and_logout_race_each_session_ends_once(
    live: Ctx, db_url: str, tmp_path: Path
) -> None:
    """Invariant: one end per session -- one ``ended`` answer, one end record, one line."""
    ann = await agents.add_agent(live, "ann", capacity=1000, permissions=[P.MESSAGING_AGENT])
    await agents.add_agent(live, "sup", permissions=[P.END_MESSAGING_SESSION])
    # Half tab-based, half status-based: the units each end gives back differ.
    ids = await seed_active(live, N // 2, [ann], prefix="tab")
    ids += await seed_active(live, N // 2, [ann], model="status-based", prefix="sts")
    listed = ids_file(tmp_path, "ids", ids)

    go = tmp_path / "go"
    by_hand = start_worker(
        tmp_path, "endchat", "end-each", db_url, "--agent", "ann", "--ids-file", listed,
        "--reverse", go=go,
    )  # fmt: skip
    by_list = start_worker(
        tmp_path, "bulk", "bulk-end", db_url, "--agent", "sup", "--ids-file", listed,
        "--chunk", "8", go=go,
    )  # fmt: skip
    # Logout comes in once the other two are under way, so all three meet.
    by_logout = start_worker(
        tmp_path, "logout", "logout", db_url, "--agent", "ann", "--wait-ends", str(N // 4),
        go=go,
    )  # fmt: skip
    started = time.perf_counter()
    release([by_hand, by_list, by_logout], go)
    hand = by_hand.finish()[-1]["result"]
    bulk_report = by_list.finish()[-1]["result"]
    logout = by_logout.finish()[-1]["result"]
    elapsed = time.perf_counter() - started

    answers: dict[int, list[tuple[str, str, str]]] = {sid: [] for sid in ids}
    for r in hand:
        answers[r["session_id"]].append(("conversation", r["result"], r["reason"]))
    for r in bulk_report["results"]:
        answers[r["session_id"]].append(("list", r["result"], r["reason"]))
    for r in logout["results"]:
        answers[r["session_id"]].append(("logout", r["result"], r["reason"]))
    assert bulk_report["status"] == "completed" and bulk_report["pending"] == 0

    async with live.db.read() as conn:
        records = {e.session_id: e for e in (await conn.execute(select(EndRecord))).all()}
    expected_actor = {"conversation": "ann", "list": "sup", "logout": "ann"}
    for sid, got in answers.items():
        ended = [surface for surface, result, _ in got if result == "ended"]
        assert len(ended) == 1, (sid, got)
        record = records[sid]
        assert (record.surface, record.actor) == (ended[0], expected_actor[ended[0]]), (sid, got)
        for surface, result, why in got:
            if result == "skipped":
                assert why.startswith("already ended by "), (sid, surface, why)
    assert await end_record_counts(live) == dict.fromkeys(ids, 1)
    assert await end_line_counts(live) == dict.fromkeys(ids, 1)
    await finish_with_check(live, db_url)
    split = {s: sum(1 for r in records.values() if r.surface == s) for s in expected_actor}
    print(f"\n{N} sessions, three enders, {elapsed:.2f} s; ended by {split}")

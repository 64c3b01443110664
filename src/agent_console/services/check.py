"""The invariants, as SQL: each query returns the rows that break one."""

from __future__ import annotations

from sqlalchemy import text

from .context import Ctx
from .views import Violation

INVARIANTS: dict[str, str] = {
    "one owner per live session": """
        SELECT id, status, owner_id FROM sessions
        WHERE (status IN ('Active', 'Inactive') AND owner_id IS NULL)
           OR (status IN ('New', 'Waiting') AND owner_id IS NOT NULL)""",
    "used capacity equals the sum of consuming sessions": """
        SELECT a.id, a.name, a.used_units, COALESCE(s.held, 0) AS held FROM agents a
        LEFT JOIN (SELECT owner_id, SUM(units_held) AS held FROM sessions
                   WHERE owner_id IS NOT NULL GROUP BY owner_id) s ON s.owner_id = a.id
        WHERE a.used_units <> COALESCE(s.held, 0)""",
    "a session holds units exactly when its capacity model says so": """
        SELECT id, capacity_model, status, tab_open, units, units_held FROM sessions
        WHERE units_held <> CASE
            WHEN owner_id IS NULL THEN 0
            WHEN capacity_model = 'tab-based' AND tab_open THEN units
            WHEN capacity_model = 'status-based' AND status = 'Active' THEN units
            ELSE 0 END""",
    "every Ended session has exactly one end record": """
        SELECT s.id FROM sessions s LEFT JOIN end_records e ON e.session_id = s.id
        WHERE s.status = 'Ended'
          AND (e.session_id IS NULL OR s.ended_at IS NULL OR e.at <> s.ended_at)""",
    "every end record belongs to an Ended session": """
        SELECT e.session_id FROM end_records e JOIN sessions s ON s.id = e.session_id
        WHERE s.status <> 'Ended'""",
    "every end has exactly one transcript line": """
        SELECT s.id, COUNT(m.id) FROM sessions s
        LEFT JOIN messages m ON m.session_id = s.id AND m.author_kind = 'system'
             AND m.text LIKE 'Session ended by %'
        WHERE s.status = 'Ended' GROUP BY s.id HAVING COUNT(m.id) <> 1""",
    "no ended session changes again": """
        SELECT m.session_id, m.id FROM messages m JOIN sessions s ON s.id = m.session_id
        WHERE s.status = 'Ended' AND m.created_at > s.ended_at""",
    "at most one CSAT request per session": """
        SELECT session_id, COUNT(*) FROM csat_requests GROUP BY session_id HAVING COUNT(*) > 1""",
    "CSAT only for ended sessions": """
        SELECT c.session_id FROM csat_requests c JOIN sessions s ON s.id = c.session_id
        WHERE s.status <> 'Ended'""",
    # customer_waiting_since as migration 0009's back-fill computes it from the transcript.
    "a live session's customer wait starts at its oldest unanswered customer line": """
        SELECT id, status, customer_waiting_since, expected FROM (
            SELECT s.id, s.status, s.customer_waiting_since, (
                SELECT min(m.created_at) FROM messages m
                WHERE m.session_id = s.id AND m.author_kind = 'customer'
                  AND m.id > coalesce((
                      SELECT max(a.id) FROM messages a
                      WHERE a.session_id = s.id AND a.author_kind = 'agent'
                  ), 0)
            ) AS expected
            FROM sessions s WHERE s.status <> 'Ended'
        ) w
        WHERE customer_waiting_since <> expected
           OR (customer_waiting_since IS NULL AND expected IS NOT NULL)
           OR (customer_waiting_since IS NOT NULL AND expected IS NULL)""",
    "an Ended session keeps no customer waiting": """
        SELECT id, customer_waiting_since FROM sessions
        WHERE status = 'Ended' AND customer_waiting_since IS NOT NULL""",
    "bulk rows marked ended are ended by that operation": """
        SELECT b.bulk_id, b.session_id FROM bulk_items b
        LEFT JOIN end_records e ON e.session_id = b.session_id AND e.bulk_id = b.bulk_id
        WHERE b.result = 'ended' AND e.session_id IS NULL""",
}


async def check(ctx: Ctx, *, sample: int = 5) -> list[Violation]:
    """Every broken invariant, with up to ``sample`` offending rows each."""
    out: list[Violation] = []
    async with ctx.db.read() as conn:
        for name, sql in INVARIANTS.items():
            rows = (await conn.execute(text(sql))).all()
            for r in rows[:sample]:
                out.append(Violation(name, ", ".join(str(v) for v in r)))
            if len(rows) > sample:
                out.append(Violation(name, f"... and {len(rows) - sample} more"))
    return out

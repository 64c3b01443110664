"""The audit trail (issue 15): who changed what the floor runs on, with the database role.

``audit.db_role`` is filled by the database (``CURRENT_USER``, PostgreSQL) and agents' roles
may not set it; on SQLite it stays None. Ends are recorded in ``end_records`` (the same
``db_role``); :func:`audit_since` reads both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, insert, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.vocab import session_label
from .models import AuditEntry, EndRecord


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    db_role: str | None
    actor: str
    action: str
    target: str
    detail: str


async def record_audit(
    conn: AsyncConnection, at: datetime, actor: str, action: str, target: str, detail: str = ""
) -> None:
    await conn.execute(
        insert(AuditEntry).values(at=at, actor=actor, action=action, target=target, detail=detail)
    )


async def audit_since(conn: AsyncConnection, since: datetime, limit: int) -> list[AuditLine]:
    """The audit lines and the ends since ``since``, oldest first, at most ``limit``."""
    a = AuditEntry.__table__.c
    e = EndRecord.__table__.c
    both = union_all(
        select(a.at, a.db_role, a.actor, a.action, a.target, a.detail).where(a.at >= since),
        select(
            e.at,
            e.db_role,
            e.actor,
            literal("end").label("action"),
            cast(e.session_id, Text).label("target"),
            e.reason.label("detail"),
        ).where(e.at >= since),
    ).subquery()
    rows = await conn.execute(select(both).order_by(both.c.at).limit(limit))
    return [
        AuditLine(r.at, r.db_role, r.actor, r.action, _target(r.action, r.target), r.detail or "")
        for r in rows
    ]


def _target(action: str, target: object) -> str:
    return session_label(int(str(target))) if action == "end" else str(target)

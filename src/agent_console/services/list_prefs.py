"""What the Messaging Sessions list remembers per agent: its filters, sort and search.

Kept in the database (``agent_preferences``, one row per agent and key), so the list opens as
the agent left it -- after closing it, after a restart, and on any console of a deployment that
shares one PostgreSQL database. A stored value that no longer makes sense (an unknown sort, a
filter value the list does not offer any more) is dropped by whoever reads it, never an error.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.text import unstorable
from ..store import queries as q
from ..store.models import AgentPreference
from .context import Ctx

LIST_KEY = "sessions_list"
#: The longest search kept.
MAX_SEARCH_CHARS = 200
ALL = "all"


@dataclass(frozen=True)
class ListView:
    """The list's filter choices (values of its filter bar), its sort and its search."""

    status: str = ALL
    channel: str = ALL
    owner: str = ALL
    age: str = ALL
    sort: str = "created"
    descending: bool = True
    search: str = ""


def _parse(raw: str) -> ListView:
    try:
        data = json.loads(raw)
    except ValueError:
        return ListView()
    if not isinstance(data, dict):
        return ListView()
    values: dict[str, object] = {}
    for f in fields(ListView):
        value = data.get(f.name)
        wanted = bool if f.name == "descending" else str
        if isinstance(value, wanted) and (wanted is bool or len(str(value)) <= MAX_SEARCH_CHARS):
            values[f.name] = value
    return ListView(**values)  # type: ignore[arg-type]


async def load_list_view(ctx: Ctx, agent_name: str) -> ListView:
    """What ``agent_name`` last chose in the list (the defaults when nothing is stored)."""
    async with ctx.db.read() as conn:
        agent = await q.agent_row(conn, agent_name)
        raw = await conn.scalar(
            select(AgentPreference.value).where(
                AgentPreference.agent_id == agent.id, AgentPreference.key == LIST_KEY
            )
        )
    return ListView() if raw is None else _parse(raw)


async def save_list_view(ctx: Ctx, agent_name: str, view: ListView) -> None:
    """Keep ``view`` as ``agent_name``'s list (a search longer than the limit is cut)."""
    search = view.search[:MAX_SEARCH_CHARS]
    why = unstorable(search)
    if why is not None:
        raise ValueError(f"the search cannot be kept: {why}")
    value = json.dumps(asdict(view) | {"search": search}, sort_keys=True)
    async with ctx.db.write() as conn:
        agent = await q.agent_row(conn, agent_name)
        await _upsert(conn, agent.id, value, ctx.now())


async def _upsert(conn: AsyncConnection, agent_id: int, value: str, now: datetime) -> None:
    stmt = q.dialect_insert(conn)(AgentPreference).values(
        agent_id=agent_id, key=LIST_KEY, value=value, updated_at=now
    )
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[AgentPreference.agent_id, AgentPreference.key],
            set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
        )
    )

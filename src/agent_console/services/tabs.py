"""An agent's tabs: the sessions they work on and the ended ones whose tab is still open.

One statement (the console reads it on every refresh): the ids of the two kinds, each in its
own window, and their rows. Read in one statement, a session that ends meanwhile is in one of
the two kinds, never in both and never in neither.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, bindparam, select, true, union_all

from ..domain.vocab import LIVE_STATUSES, SessionStatus
from ..store import queries as q
from ..store.models import Session
from ..store.prebuilt import per_dialect
from .context import Ctx
from .row_views import session_row as row_view
from .tab_windows import ENDED_TABS_WINDOW, LIVE_WINDOW
from .views import SessionRow


@per_dialect
def _tabs(dialect: str) -> Any:
    ended = SessionStatus.ENDED.value
    mine = Session.owner_id == bindparam("agent_id")
    # The live statuses named (not "!= Ended"): one index seek per status, instead of a walk
    # through every session the agent ever ended.
    live = sorted(status.value for status in LIVE_STATUSES)
    live_ids = (
        select(Session.id)
        .where(mine, Session.status.in_(live))
        .order_by(Session.id)
        .limit(bindparam("live_window", type_=Integer))
        .subquery()
    )
    tab_ids = (
        select(Session.id)
        .where(mine, Session.status == ended, Session.tab_open == true())  # "=": indexable
        .order_by(Session.id.desc())
        .limit(bindparam("ended_window", type_=Integer))
        .subquery()
    )
    ids = union_all(select(live_ids.c.id), select(tab_ids.c.id))
    return q.session_select().where(Session.id.in_(ids)).order_by(Session.id)


async def agent_tabs(
    ctx: Ctx,
    agent_id: int,
    *,
    live_window: int = LIVE_WINDOW,
    ended_window: int = ENDED_TABS_WINDOW,
) -> list[SessionRow]:
    """The agent's tabs in id order: their live sessions (the oldest ``live_window``) and
    their ended sessions with a tab open (the newest ``ended_window``)."""
    values = {"agent_id": agent_id, "live_window": live_window, "ended_window": ended_window}
    async with ctx.db.read() as conn:
        rows = (await conn.execute(_tabs(conn), values)).all()
    return [row_view(r) for r in rows]

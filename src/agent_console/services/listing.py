"""The Messaging Sessions list (R3): filters, keyset pages, and one session in full."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, case, func, literal, select, tuple_

from ..domain.channels import channel as channel_of
from ..domain.ending import Actor, csat_decision, may_close_tab, may_end
from ..domain.errors import NotFound
from ..domain.transfer import may_transfer
from ..domain.vocab import SessionStatus, Surface, session_label
from ..store import queries as q
from ..store.models import (
    Agent,
    CsatRequest,
    Customer,
    EndRecord,
    Message,
    OutboxEvent,
    Session,
)
from ..store.prebuilt import per_dialect
from ..store.types import UTCDateTime
from .context import Ctx
from .outbox import connected_channels
from .row_views import session_row as row_view
from .session_filter import (
    SORT_LABELS as SORT_LABELS,
)
from .session_filter import (
    Order as Order,
)
from .session_filter import (
    Selection as Selection,
)
from .session_filter import (
    SessionFilter as SessionFilter,
)
from .session_filter import (
    Sort as Sort,
)
from .session_filter import (
    SortKey as SortKey,
)
from .session_filter import (
    filter_clauses as filter_clauses,
)
from .session_filter import (
    frozen_filter as frozen_filter,
)
from .session_filter import (
    matching_ids as matching_ids,
)
from .session_filter import (
    parse_status as parse_status,
)
from .transcript import delivery_views, newest_messages
from .views import (
    DETAIL_MESSAGES,
    DETAIL_TEXT_CAP,
    DETAIL_TEXT_WINDOW,
    MESSAGE_TEXT_CAP,
    MESSAGE_TEXT_WINDOW,
    ActionId,
    ActionView,
    CsatView,
    EndView,
    MessageSlice,
    Page,
    PageCursor,
    RowMenu,
    SessionDetail,
    SessionRow,
    find_action,
)

#: The filter that lets every session through (the list with nothing set).
EVERY_SESSION = SessionFilter()


def cursor_after(sort: Sort, row: SessionRow) -> PageCursor:
    """The cursor of the page that continues after ``row`` in the order ``sort``."""
    return PageCursor(_sort_value(sort, row), row.id)


def _sort_value(sort: Sort, row: SessionRow) -> Any:
    """The value ``row`` sorts by (what a cursor after it holds)."""
    if sort.key == "created":
        return row.id
    if sort.key == "last_message":
        return row.last_message_at or row.created_at
    if sort.key == "status":
        return row.status
    if sort.key == "channel":
        return row.channel
    if sort.key == "owner":
        return row.owner or ""
    return row.customer


def _sort_expr(sort: Sort) -> tuple[Any, bool, bool]:
    """(sort expression, needs the owner join, needs the customer join)."""
    if sort.key == "created":
        return Session.id, False, False
    if sort.key == "last_message":
        # Sessions always have a first message; the creation time stands in if one has none.
        expr = func.coalesce(Session.last_message_at, Session.created_at, type_=UTCDateTime())
        return expr, False, False
    if sort.key == "status":
        return Session.status, False, False
    if sort.key == "channel":
        return Session.channel, False, False
    if sort.key == "owner":
        return func.coalesce(_OWNER.c.name, ""), True, False
    return Customer.name, False, True


_OWNER = Agent.__table__.alias("sort_owner")


def _ids_page(clauses: list[Any], sort: Sort, cursor: PageCursor | None, limit: int) -> Any:
    """The ids of one page only: sorting narrow rows (the id and the sort key) is several
    times faster than sorting whole joined rows, which are then fetched by id."""
    expr, owner_join, customer_join = _sort_expr(sort)
    stmt = select(Session.id).select_from(Session.__table__)
    if owner_join:
        stmt = stmt.outerjoin(_OWNER, _OWNER.c.id == Session.owner_id)
    if customer_join:
        stmt = stmt.join(Customer.__table__, Customer.id == Session.customer_id)
    stmt = stmt.where(*clauses)
    if cursor is not None:
        if sort.key == "created":
            stmt = stmt.where(Session.id < cursor.id if sort.descending else Session.id > cursor.id)
        else:
            value = cursor.value
            if isinstance(value, datetime):
                value = bindparam(None, value, type_=UTCDateTime())
            after = tuple_(expr, Session.id)
            mark = tuple_(value, cursor.id)
            stmt = stmt.where(after < mark if sort.descending else after > mark)
    if sort.descending:
        order = (Session.id.desc(),) if sort.key == "created" else (expr.desc(), Session.id.desc())
    else:
        order = (Session.id.asc(),) if sort.key == "created" else (expr.asc(), Session.id.asc())
    return stmt.order_by(*order).limit(limit + 1)


async def list_sessions(
    ctx: Ctx,
    flt: SessionFilter = EVERY_SESSION,
    *,
    limit: int = 50,
    after: int | None = None,
    order: Order = "newest",
    with_total: bool = False,
    sort: Sort | None = None,
    cursor: PageCursor | None = None,
    before: PageCursor | None = None,
    from_end: bool = False,
) -> Page:
    """One keyset page in the order ``sort`` (or ``order``: by creation), continuing after
    ``cursor`` (a page's ``next_cursor``) or, for the creation order, after the id ``after``.

    ``from_end`` gives the last page instead, and ``before`` (a page's ``prev_cursor``) the page
    that ends just before a row: the order reversed, a page taken, and turned back, so the end
    of 100,000 sessions is one indexed page away, like the start. Such a page says whether rows
    come before it (``prev_cursor``); its ``next_cursor`` is that of its last row, unless it
    is the last page."""
    limit = max(1, min(limit, 1000))
    sort = sort or Sort.of_order(order)
    if cursor is None and after is not None:
        if sort.key != "created":
            raise ValueError("after= is an id: use cursor= to page in another order")
        cursor = PageCursor(after, after)
    backwards = from_end or before is not None
    async with ctx.db.read() as conn:
        clauses = await filter_clauses(conn, flt, ctx.now())
        if backwards:
            reverse = Sort(sort.key, not sort.descending)
            ids = list((await conn.scalars(_ids_page(clauses, reverse, before, limit))).all())
        else:
            ids = list((await conn.scalars(_ids_page(clauses, sort, cursor, limit))).all())
        more = len(ids) > limit
        ids = ids[:limit]
        if backwards:
            ids.reverse()
        by_id = {}
        if ids:
            stmt = q.session_select().where(q.in_ids(conn, Session.id, ids))
            by_id = {r.id: r for r in (await conn.execute(stmt)).all()}
        total = None
        if with_total:
            total = int(
                await conn.scalar(select(func.count()).select_from(Session).where(*clauses)) or 0
            )
    rows = [row_view(by_id[i]) for i in ids if i in by_id]
    if backwards:
        first = rows[0] if more and rows else None
        last = rows[-1] if before is not None and rows else None
        return Page(
            rows=rows,
            next_after=last.id if last is not None else None,
            total=total,
            next_cursor=cursor_after(sort, last) if last is not None else None,
            prev_cursor=cursor_after(sort, first) if first is not None else None,
        )
    last = rows[-1] if more and rows else None
    return Page(
        rows=rows,
        next_after=last.id if last is not None else None,
        total=total,
        next_cursor=cursor_after(sort, last) if last is not None else None,
    )


async def count_sessions(ctx: Ctx, flt: SessionFilter = EVERY_SESSION) -> int:
    async with ctx.db.read() as conn:
        clauses = await filter_clauses(conn, flt, ctx.now())
        return int(
            await conn.scalar(select(func.count()).select_from(Session).where(*clauses)) or 0
        )


async def count_among(ctx: Ctx, flt: SessionFilter, ids: Collection[int]) -> tuple[int, int]:
    """How many sessions ``flt`` matches, and how many of ``ids`` are among them, in one
    statement: whether changes to sessions a list has not loaded can change what it shows."""
    async with ctx.db.read() as conn:
        clauses = await filter_clauses(conn, flt, ctx.now())
        among: ColumnElement[Any] = literal(0)
        if ids:
            hit = case((q.in_ids(conn, Session.id, sorted(ids)), 1), else_=0)
            among = func.coalesce(func.sum(hit), 0)
        row = (
            await conn.execute(select(func.count(), among).select_from(Session).where(*clauses))
        ).one()
        return int(row[0]), int(row[1])


async def message_text(
    ctx: Ctx, message_id: int, *, start: int = 0, limit: int = MESSAGE_TEXT_CAP
) -> MessageSlice:
    """At most ``limit`` characters (capped at ``MESSAGE_TEXT_CAP``) of one message's stored
    text from character ``start``, and the text's full length: the rest of a long message,
    a bounded piece at a time."""
    if start < 0:
        raise ValueError(f"start must be >= 0, got {start}")
    limit = max(0, min(limit, MESSAGE_TEXT_CAP))
    async with ctx.db.read() as conn:
        row = (
            await conn.execute(
                select(
                    func.substr(Message.text, start + 1, limit).label("part"),
                    func.length(Message.text).label("length"),
                ).where(Message.id == message_id)
            )
        ).first()
    if row is None:
        raise NotFound(f"no message {message_id}")
    return MessageSlice(message_id, start, row.part or "", int(row.length or 0))


@per_dialect
def _about_session(dialect: str) -> dict[str, Any]:
    """What the session detail reads of session ``sid`` besides its row and transcript."""
    sid: Any = bindparam("sid")
    return {
        "end": select(EndRecord).where(EndRecord.session_id == sid),
        "csat": select(CsatRequest).where(CsatRequest.session_id == sid),
    }


async def show_session(
    ctx: Ctx,
    session_id: int,
    *,
    as_agent: str | None = None,
    message_limit: int = DETAIL_MESSAGES,
    text_limit: int = MESSAGE_TEXT_WINDOW,
    text_budget: int = DETAIL_TEXT_WINDOW,
) -> SessionDetail:
    """One session in full: transcript (the last ``message_limit`` messages, each cut to
    ``text_limit`` characters, the newest up to ``text_budget`` characters; both capped, and a
    cut message says its full length), its end record, CSAT requests, and every action with
    allowed/why for ``as_agent`` (or its owner)."""
    text_limit = max(1, min(text_limit, MESSAGE_TEXT_CAP))
    text_budget = max(1, min(text_budget, DETAIL_TEXT_CAP))
    async with ctx.db.read() as conn:
        facts = await q.session_facts(conn, [session_id])
        if session_id not in facts:
            raise NotFound(f"no session {session_label(session_id)}")
        session, row = facts[session_id]
        about = _about_session(conn)
        by_id = {"sid": session_id}
        messages, total = await newest_messages(
            conn, session_id, message_limit, text_limit, text_budget
        )
        # An end record and CSAT requests are written when a session ends (R12, R9): a
        # session read as live has none, and the detail sends two statements fewer.
        end: Any = None
        csat: list[Any] = []
        if session.status is SessionStatus.ENDED:
            end = (await conn.execute(about["end"], by_id)).first()
            csat = list((await conn.execute(about["csat"], by_id)).all())
        csat_deliveries = await delivery_views(conn, OutboxEvent.csat_id, [c.id for c in csat])
        connected = session.channel.id in await connected_channels(conn)
        policy = await q.load_policy(conn)
        viewer = as_agent or row.owner_name
        actions: list[ActionView] = []
        if viewer is not None:
            viewer_facts = q.agent_facts(await q.agent_row(conn, viewer))
            actor = Actor.of_agent(viewer_facts)
            for action, label, surface in (
                (ActionId.END_CHAT, "End Chat", Surface.CONVERSATION),
                (ActionId.END_ROW, ROW_END_ACTION, Surface.ROW),
                (ActionId.END_LIST, "End Sessions (list)", Surface.LIST),
            ):
                d = may_end(actor, session, surface, policy)
                actions.append(ActionView(action, label, d.allowed, d.reason))
            tab = may_close_tab(viewer_facts, session, bool(row.tab_open), row.units_held)
            actions.append(ActionView(ActionId.CLOSE_TAB, "Close tab", tab.allowed, tab.reason))
            c = csat_decision(actor, policy)
            actions.append(ActionView(ActionId.CSAT_ON_END, "CSAT on end", c.allowed, c.reason))
            t = may_transfer(viewer_facts, session)
            actions.append(ActionView(ActionId.TRANSFER, TRANSFER_ACTION, t.allowed, t.reason))
    return SessionDetail(
        session=row_view(row),
        messages=messages,
        end=EndView(end.actor_kind, end.actor, end.surface, end.at, end.reason, end.bulk_id)
        if end
        else None,
        csat_requests=[
            CsatView(
                c.requested_at, c.requested_by, c.score, c.answered_at, csat_deliveries.get(c.id)
            )
            for c in csat
        ],
        actions=actions,
        escalated_to=row.escalated_to,
        messages_total=total,
        channel_connected=connected,
        as_of=ctx.now(),
    )


#: The labels of the row menu's End Session and of the Transfer action (to another agent or
#: back to the queue), as the session detail shows them.
ROW_END_ACTION = "End Session (row menu)"
TRANSFER_ACTION = "Transfer"
ROW_END_ABSENT = "End Session is on the row menu of standard-channel sessions only"


async def row_menu(ctx: Ctx, session_id: int, *, as_agent: str) -> RowMenu:
    """The list row's action menu for ``as_agent`` (R3: End Session exists only for standard
    channels; R4 and the rest: present but unavailable, with the domain's reason)."""
    detail = await show_session(ctx, session_id, as_agent=as_agent, message_limit=0)
    end: ActionView | None = None
    if channel_of(detail.session.channel).is_standard:
        found = find_action(detail.actions, ActionId.END_ROW)
        assert found is not None  # offered whenever there is a viewer
        end = ActionView(ActionId.END_ROW, "End Session", found.allowed, found.reason)
    transfer = find_action(detail.actions, ActionId.TRANSFER)
    return RowMenu(
        session=detail.session,
        end_session=end,
        absent_reason="" if end is not None else ROW_END_ABSENT,
        end=detail.end,
        transfer=transfer,
    )

"""The services, as one signed-in agent sees them: what the console's screens call.

A thin adapter, no rules: every answer (may I end this? what happens if I go offline?) comes
from the services. Writes go through one lock so a reply typed after another is stored after
it. Nothing here imports Textual; the app imports this module only once it opens the database,
so the first frame does not wait for SQLAlchemy to load.

Every call is a unit of work that runs to its end even when its caller is cancelled (a screen
closed, the app quitting): Textual cancels workers without waiting for them, and a task
cancelled inside a database call leaves its connection to SQLAlchemy's cancellation path, which
on aiosqlite can leave a close that never finishes (the loop's teardown then waits on it) or a
connection whose thread keeps the process alive after the app has closed. :meth:`close` waits
for the units still running, stops a bulk end between two chunks, then closes the database.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo
from functools import wraps
from typing import Any, TypeVar

from ..domain.ending import Actor, end_line
from ..domain.errors import StoreError
from ..domain.feed import NOTHING, FeedNews, Interest
from ..domain.presence import DEFAULT_AWAY_REASONS
from ..domain.vocab import ActorKind, Presence, Surface
from ..services import (
    agents,
    automation,
    capacity,
    conversations,
    deliveries,
    drafts,
    ending,
    listing,
    logins,
    presence,
    quick_replies,
    reading,
    settings,
    tabs,
    transfer,
)
from ..services.change_feed import ChangeFeed
from ..services.context import Ctx, system_clock
from ..services.deliveries import SessionDeliveries
from ..services.runtime import open_ctx
from ..services.views import (
    AgentView,
    CloseTabResult,
    EndResult,
    Ledger,
    LogoutPreview,
    LogoutResult,
    MacroResult,
    PresenceResult,
    QuickReplyView,
    SessionDetail,
    SessionRow,
    SettingView,
    TransferOptions,
    TransferResult,
)
from .backend_floor import FloorBackend
from .backend_list import SessionsListBackend
from .snapshot import Snapshot

#: Rows per transaction of a bulk end from the list (the progress bar moves once per chunk;

T = TypeVar("T")
#: Set inside a unit of work: the units it calls (``snapshot`` reads through ``my_sessions``...)
#: run as part of it, not as units of their own.
_IN_UNIT: ContextVar[bool] = ContextVar("_IN_UNIT", default=False)


#: PostgreSQL connections a console holds: one. Its calls take turns on it (the change feed's
#: poll included: no second connection to LISTEN on), so a floor of N agents is N backends.
CONSOLE_CONNECTIONS = 1


class ConsoleBackend(SessionsListBackend, FloorBackend):
    """An open database, the agent using the console, and its poll of the change feed."""

    def __init__(self, ctx: Ctx, agent: str, feed: ChangeFeed, agent_id: int) -> None:
        self.ctx = ctx
        self.agent = agent
        #: The agent's id, as the change feed names it.
        self.agent_id = agent_id
        self._feed = feed
        self._writes = asyncio.Lock()
        #: A larger text window asked for one session by Show more: (session id, per message,
        #: total characters). Opening another session forgets it.
        self._text_window: tuple[int, int, int] | None = None
        #: The deployment's time zone (customer-facing times), as of the last refresh.
        self.deployment_zone: tzinfo = UTC
        #: The away reasons a Busy agent chooses from, as of the last refresh.
        self.away_reasons: tuple[str, ...] = DEFAULT_AWAY_REASONS
        #: The units of work running now (see :meth:`_unit`).
        self._units: set[asyncio.Future[Any]] = set()
        self._closing = False

    @classmethod
    async def open(
        cls,
        url: str,
        agent: str,
        *,
        clock: Callable[[], datetime] | None = None,
        busy_timeout_ms: int = 5000,
    ) -> ConsoleBackend:
        """Open the database and check the agent exists (raises ConsoleError subclasses).

        Cancelled (the console quit while it was loading), the opening stops after the step
        it is in and closes what it opened before the cancellation goes on."""
        abandoned = asyncio.Event()
        opening = asyncio.ensure_future(
            cls._open(url, agent, clock=clock, busy_timeout_ms=busy_timeout_ms, abandoned=abandoned)
        )
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            abandoned.set()
            try:
                backend = await _to_the_end(opening)
            except Exception:  # it failed by itself: nothing is open
                raise asyncio.CancelledError from None
            await _to_the_end(asyncio.ensure_future(backend.close()))
            raise

    @classmethod
    async def _open(
        cls,
        url: str,
        agent: str,
        *,
        clock: Callable[[], datetime] | None,
        busy_timeout_ms: int,
        abandoned: asyncio.Event,
    ) -> ConsoleBackend:
        ctx = await open_ctx(
            url,
            clock=clock or system_clock,
            busy_timeout_ms=busy_timeout_ms,
            pool_size=CONSOLE_CONNECTIONS,
            max_overflow=0,
            # No ping per checkout: the feed's poll uses the connection four times a second
            # and is the first to find it dead (the next call then reconnects).
            pre_ping=False,
        )
        feed = ChangeFeed(ctx)
        try:
            if abandoned.is_set():
                raise _Abandoned
            # On a shared PostgreSQL: the connection's login must be the agent's (or an
            # admin's); a console started as bob cannot act as dana.
            view = await agents.get_agent(ctx, await logins.acting_agent(ctx, agent))
            if abandoned.is_set():
                raise _Abandoned
            await feed.poll(NOTHING)  # the cursor: changes from here on
        except BaseException:
            await feed.close()
            await ctx.db.dispose()
            raise
        return cls(ctx, view.name, feed, view.id)

    async def close(self) -> None:
        """Let the units of work still running end (a bulk end stops between two chunks),
        then close the change probe and the database: no connection, and so no driver
        thread, is left behind. Calls after this are refused."""
        self._closing = True
        while self._units:
            await asyncio.gather(*self._units, return_exceptions=True)
        await self._feed.close()
        await self.ctx.db.dispose()

    async def _unit(self, work: Coroutine[Any, Any, T]) -> T:
        """Run ``work`` as a task the caller's cancellation does not reach: the caller stops
        waiting at once, the database call ends as usual and :meth:`close` waits for it."""
        if self._closing:  # a unit made of several calls stops between two of them
            work.close()
            raise StoreError("the console has closed the database")
        if _IN_UNIT.get():
            return await work
        task = asyncio.ensure_future(_inside_unit(work))
        self._units.add(task)
        task.add_done_callback(self._units.discard)
        return await asyncio.shield(task)

    async def run(self, work: Callable[[Ctx], Awaitable[T]]) -> T:
        """Any other unit of work on this console's services (the living demo's ticks)."""
        return await work(self.ctx)

    @property
    def feed(self) -> ChangeFeed:
        """This console's change feed (its counters tell how often it read the database)."""
        return self._feed

    async def poll_changes(self, interest: Interest) -> FeedNews:
        """The changes committed since the last poll (by anyone, this console included) that
        concern ``interest``: what the screens on the stack show.

        A poll the pulses heard already answer asks the database nothing, so it is no unit of
        work either (no task of its own): most of a console's four polls a second on a floor."""
        known = self.news_without_reading(interest)
        if known is not None:
            return known
        return await self._unit(self._feed.poll(interest))

    def news_without_reading(self, interest: Interest) -> FeedNews | None:
        """What a poll for ``interest`` would answer without asking the database (the pulses
        heard say nothing it shows changed), or None: the poll must read."""
        return None if self._closing else self._feed.news_without_reading(interest)

    # ------------------------------------------------------------------ reads

    async def my_agent(self) -> AgentView:
        return await agents.get_agent(self.ctx, self.agent)

    async def my_sessions(self) -> list[SessionRow]:
        """The agent's tabs: sessions it works on, and ended ones whose tab is still open."""
        return await tabs.agent_tabs(self.ctx, self.agent_id)

    async def session(self, session_id: int) -> SessionDetail:
        window = self._text_window
        if window is None or window[0] != session_id:
            self._text_window = None
            return await listing.show_session(self.ctx, session_id, as_agent=self.agent)
        return await listing.show_session(
            self.ctx, session_id, as_agent=self.agent, text_limit=window[1], text_budget=window[2]
        )

    def want_text(self, session_id: int, per_message: int, total: int) -> None:
        """Load up to this much text of ``session_id`` from now on (the services cap it)."""
        self._text_window = (session_id, per_message, total)

    async def snapshot(
        self,
        session_id: int | None,
        *,
        neighbour: int | None = None,
        keep: SessionDetail | None = None,
    ) -> Snapshot:
        """What the screen shows, with ``session_id``'s detail. When that session is not among
        the agent's (none open yet, or it left) and ``neighbour`` is given, the detail is the
        session at that index instead (the last one if fewer): the one the screen opens next,
        so the first refresh shows the sessions with one open, in one round.

        ``keep``: the detail the screen shows, known to be current (nothing touched that
        session since): used again if it is still the one to show, instead of reading it.

        One reading transaction: a consistent picture, and one BEGIN/COMMIT per refresh."""
        async with self.ctx.db.one_read():
            policy = await settings.get_policy(self.ctx)
            self.deployment_zone = policy.zone
            self.away_reasons = policy.away_reasons
            agent = await self.my_agent()
            sessions = await self.my_sessions()
            ids = [row.id for row in sessions]
            if neighbour is not None and session_id not in ids:
                session_id = ids[min(neighbour, len(ids) - 1)] if ids else None
            if session_id is None:
                detail = None
            elif keep is not None and keep.session.id == session_id:
                detail = keep
            else:
                detail = await self.session(session_id)
            problems = await self.delivery_problems(ids)
            needs = await reading.needs_of_rows(self.ctx, self.agent, sessions)
        return Snapshot(agent, sessions, detail, problems, needs)

    async def delivery_problems(self, session_ids: list[int]) -> dict[int, SessionDeliveries]:
        """Which of these sessions have a delivery that failed or is being retried."""
        return await deliveries.delivery_problems(self.ctx, session_ids)

    async def presence_preview(self, target: Presence) -> PresenceResult:
        return await presence.set_presence(self.ctx, self.agent, target, dry_run=True)

    async def logout_preview(self) -> LogoutPreview:
        return await presence.logout_preview(self.ctx, self.agent)

    async def ledger(self) -> Ledger:
        return await capacity.ledger(self.ctx, self.agent)

    async def load_draft(self, session_id: int) -> str:
        return await drafts.load_draft(self.ctx, self.agent, session_id)

    async def list_macros(self) -> list[tuple[str, str]]:
        return await automation.list_macros(self.ctx)

    async def list_settings(self) -> list[SettingView]:
        return await settings.list_settings(self.ctx)

    async def list_agents(self) -> list[AgentView]:
        return await agents.list_agents(self.ctx)

    async def list_quick_replies(self) -> list[QuickReplyView]:
        return await quick_replies.list_quick_replies(self.ctx)

    async def quick_reply_values(self, session_id: int) -> dict[str, str]:
        """What the placeholders are filled with in ``session_id`` for this agent."""
        return await quick_replies.placeholder_values(self.ctx, session_id, self.agent)

    def end_line_now(self, *, logout: bool = False) -> str:
        """The transcript line the customer would see if this agent ended a chat now, or
        logged out now (R12)."""
        kind = ActorKind.LOGOUT if logout else ActorKind.AGENT
        return end_line(Actor(kind, self.agent), self.ctx.now(), self.deployment_zone)

    # ------------------------------------------------------------------ writes

    async def save_draft(self, session_id: int, text: str) -> None:
        async with self._writes:
            await drafts.save_draft(self.ctx, self.agent, session_id, text)

    async def mark_read(self, session_id: int, upto_message_id: int) -> int:
        """The agent had the session on screen up to this message: it is read."""
        async with self._writes:
            return await reading.mark_read(self.ctx, self.agent, session_id, upto_message_id)

    async def logout(self) -> LogoutResult:
        async with self._writes:
            return await presence.logout(self.ctx, self.agent, confirmed=True)

    async def run_macro(self, macro: str, session_id: int) -> MacroResult:
        async with self._writes:
            return await automation.run_macro(self.ctx, macro, session_id, as_agent=self.agent)

    async def set_setting(self, key: str, value: str) -> SettingView:
        """Refused by the service unless this agent is an admin."""
        async with self._writes:
            return await settings.set_setting(self.ctx, key, value, admin=self.agent)

    async def set_agent_capacity(self, name: str, capacity: int) -> AgentView:
        """Refused by the service unless this agent is an admin."""
        async with self._writes:
            return await agents.set_agent(self.ctx, name, capacity=capacity, admin=self.agent)

    async def add_quick_reply(self, name: str, text: str) -> QuickReplyView:
        """Refused by the service unless this agent is an admin."""
        async with self._writes:
            return await quick_replies.add_quick_reply(self.ctx, name, text, admin=self.agent)

    async def edit_quick_reply(self, name: str, new_name: str, text: str) -> QuickReplyView:
        """Refused by the service unless this agent is an admin."""
        async with self._writes:
            return await quick_replies.edit_quick_reply(
                self.ctx, name, admin=self.agent, new_name=new_name, text=text
            )

    async def remove_quick_reply(self, name: str) -> QuickReplyView:
        """Refused by the service unless this agent is an admin."""
        async with self._writes:
            return await quick_replies.remove_quick_reply(self.ctx, name, admin=self.agent)

    async def send(self, session_id: int, text: str) -> int:
        async with self._writes:
            return await conversations.send(
                self.ctx, self.agent, session_id, text, clear_draft=True
            )

    async def end_chat(self, session_id: int) -> EndResult:
        async with self._writes:
            return await ending.end_session(self.ctx, self.agent, session_id, Surface.CONVERSATION)

    async def close_tab(self, session_id: int) -> CloseTabResult:
        async with self._writes:
            return await conversations.close_tab(self.ctx, self.agent, session_id)

    async def set_presence(self, target: Presence, reason: str | None = None) -> PresenceResult:
        """Refused by the service when ``reason`` is not one the deployment offers."""
        async with self._writes:
            return await presence.set_presence(self.ctx, self.agent, target, reason=reason)

    async def transfer_options(self, session_id: int) -> TransferOptions:
        return await transfer.transfer_options(self.ctx, self.agent, session_id)

    async def transfer(
        self, session_id: int, to: str | None, *, expected_owner: str | None
    ) -> TransferResult:
        """Hand the session to ``to`` (None: back to the queue), if ``expected_owner`` still
        owns it."""
        async with self._writes:
            return await transfer.transfer(
                self.ctx, self.agent, session_id, to, expected_owner=expected_owner
            )


class _Abandoned(Exception):
    """The console closed while the database was opening: stop opening."""


async def _inside_unit(work: Coroutine[Any, Any, T]) -> T:
    _IN_UNIT.set(True)  # this task's own context
    return await work


async def _to_the_end(task: asyncio.Future[T]) -> T:
    """``task``'s result, waited for through any cancellation of the waiter."""
    while True:
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                return task.result()


def _as_unit(method: Callable[..., Coroutine[Any, Any, T]]) -> Callable[..., Awaitable[T]]:
    @wraps(method)
    async def unit(self: ConsoleBackend, *args: Any, **kwargs: Any) -> T:
        return await self._unit(method(self, *args, **kwargs))

    return unit


# Every public coroutine method is a unit of work (see the module's docstring), the list's
# (SessionsListBackend) and the board's (FloorBackend) as much as the console's; a poll only
# when it reads the database (``poll_changes`` makes its own).
for _name, _method in list(
    {**vars(FloorBackend), **vars(SessionsListBackend), **vars(ConsoleBackend)}.items()
):
    if (
        not _name.startswith("_")
        and _name not in ("open", "close", "poll_changes")
        and inspect.iscoroutinefunction(_method)
    ):
        setattr(ConsoleBackend, _name, _as_unit(_method))

"""A Hypothesis state machine over the services: random work, every invariant after every step.

Three agents (one admin) with different permissions and capacities; customers write in on
standard, enhanced messaging and enhanced-chat channels; tab-based and status-based channels
are live at once. Rules do what people and the platform do -- inbound, outbound, route, send,
End Chat / row End Session / list End Sessions, bulk end, mark inactive, close tab, presence,
logout, timer sweeps, macros, triggers and the R8/R9 settings. Refusals are fine outcomes.

After every step: ``check.check(ctx) == []`` (the SQL invariants) plus this model's own checks:
an agent's used units never exceed capacity except through reactivation (a customer writing to
an Inactive session), an ended session stays ended, every "ended" result is a session now
Ended with exactly one end record, nothing ends silently, refusals agree with an independent
reading of R1/R3/R4/R8, preview agrees with the action, CSAT follows R9.

Hypothesis state machines are synchronous, so each example runs its own event loop on a fresh
SQLite file (and, with ``AGENT_CONSOLE_TEST_PG_URL``, a fresh PostgreSQL database).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select

from agent_console.domain.channels import Family, channel
from agent_console.domain.errors import NotFound, Refused
from agent_console.domain.vocab import Permission, Presence, SessionStatus, Surface
from agent_console.services import (
    agents,
    automation,
    bulk,
    check,
    conversations,
    ending,
    presence,
    routing,
    timers,
)
from agent_console.services import settings as settings_svc
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from agent_console.services.views import EndResult
from agent_console.store.models import Agent, CsatRequest, EndRecord, Session
from conftest import (
    PG_URL,
    REQUIRE_PG,
    FakeClock,
    drop_pg_database,
    new_pg_database,
    new_sqlite_database,
)

T = TypeVar("T")
P = Permission
S = SessionStatus

AGENTS: dict[str, dict[str, Any]] = {
    "ada": {"capacity": 4, "permissions": [p.value for p in Permission], "is_admin": True},
    "ben": {"capacity": 3, "permissions": [P.MESSAGING_AGENT, P.END_MESSAGING_SESSION]},
    "cyd": {
        "capacity": 2,
        "permissions": [P.ENHANCED_CHAT_USER, P.ENHANCED_CHAT_REP, P.MESSAGING_AGENT],
    },
}
ADMIN = "ada"
CUSTOMERS = ("cara", "dev", "eli", "fay", "gus", "hal")
#: standard messaging, enhanced messaging, enhanced chat -- on both capacity models.
CHANNELS = (
    "standard_sms",
    "standard_facebook_messenger",
    "enhanced_whatsapp",
    "enhanced_web_chat_v1",
    "enhanced_in_app_chat",
)
INITIAL_SETTINGS = (
    ("capacity_model", "tab-based"),
    ("channel.standard_sms.capacity_model", "tab-based"),
    ("channel.enhanced_whatsapp.capacity_model", "status-based"),
    ("channel.enhanced_web_chat_v1.capacity_model", "status-based"),
    ("channel.enhanced_web_chat_v1.units", "2"),
)
TEXTS = ("hello", "[/bold] not markup", "où est ma commande ?")
MACROS = (automation.ESCALATE, "Resolve and close")
UNKNOWN_ID = 1_000_000

agent_names = st.sampled_from(sorted(AGENTS))
customers = st.sampled_from(CUSTOMERS)
channels = st.sampled_from(CHANNELS)
texts = st.sampled_from(TEXTS)


@dataclass(frozen=True)
class Seen:
    """One end result a step produced, with what R9 says about its CSAT survey."""

    source: str
    result: EndResult
    csat: bool  # an agent ended it (End Chat, list, logout, agent macro): R9 applies


@dataclass(frozen=True)
class Row:
    id: int
    status: str
    channel: str
    owner_id: int | None
    capacity_model: str
    units: int
    units_held: int
    tab_open: bool


@dataclass(frozen=True)
class Snapshot:
    sessions: dict[int, Row]
    agents: dict[str, tuple[int, int, int]]  # name -> (id, capacity, used)
    end_records: dict[int, int]
    csat: dict[int, int]


class ServicesMachine(RuleBasedStateMachine):
    """The services under random use; subclasses choose the database."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.url = self.new_url()
        self.ctx: Ctx = self.run(open_ctx(self.url, clock=self.clock))
        self.ended: set[int] = set()
        self.reactivated: set[int] = set()
        self.step: list[Seen] = []
        self.can_end = True
        self.csat_on = False
        self.run(self.setup())
        self.prev = self.run(self.snapshot())

    # -- the database --------------------------------------------------------------------
    def new_url(self) -> str:
        self.tmp = tempfile.mkdtemp(prefix="sm-")
        return new_sqlite_database(Path(self.tmp) / "state.db")

    def drop(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def teardown(self) -> None:
        try:
            self.run(self.ctx.db.dispose())
        finally:
            self.loop.close()
            self.drop()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def attempt(self, coro: Coroutine[Any, Any, T]) -> T | None:
        """Run a service call; a refusal (Refused / NotFound) is a fine outcome."""
        try:
            return self.run(coro)
        except (Refused, NotFound):
            event(f"refused: {coro.__name__}")
            return None

    async def setup(self) -> None:
        for name, spec in AGENTS.items():
            await agents.add_agent(self.ctx, name, **spec)
        for key, value in INITIAL_SETTINGS:
            await settings_svc.set_setting(self.ctx, key, value, admin=ADMIN)
        for i, ch in enumerate(CHANNELS[:4]):
            await conversations.inbound(self.ctx, CUSTOMERS[i], ch, "hello")
        for name in ("ada", "ben"):
            await presence.set_presence(self.ctx, name, Presence.ONLINE)  # routes the work

    async def snapshot(self) -> Snapshot:
        async with self.ctx.db.read() as conn:
            sessions = {
                r.id: Row(
                    r.id,
                    r.status,
                    r.channel,
                    r.owner_id,
                    r.capacity_model,
                    r.units,
                    r.units_held,
                    bool(r.tab_open),
                )
                for r in (await conn.execute(select(Session))).all()
            }
            agent_rows = {
                r.name: (r.id, r.capacity, r.used_units)
                for r in (await conn.execute(select(Agent))).all()
            }
            ends = dict(
                (
                    await conn.execute(
                        select(EndRecord.session_id, func.count()).group_by(EndRecord.session_id)
                    )
                ).all()
            )
            csat = dict(
                (
                    await conn.execute(
                        select(CsatRequest.session_id, func.count()).group_by(
                            CsatRequest.session_id
                        )
                    )
                ).all()
            )
        return Snapshot(sessions, agent_rows, ends, csat)

    # -- helpers -------------------------------------------------------------------------
    def pick(self, data: st.DataObject, want: str = "live") -> int:
        """A session id seen so far -- most often a live one (or one with an open tab) --
        now and then an unknown one."""
        rows = self.prev.sessions.values()
        if want == "live":
            wanted = sorted(r.id for r in rows if r.status != S.ENDED)
        else:
            wanted = sorted(r.id for r in rows if r.status == S.ENDED and r.tab_open)
        pool = data.draw(st.sampled_from(["wanted", "wanted", "any", "unknown"]), label="pool")
        if pool == "unknown":
            return UNKNOWN_ID
        choices = wanted if pool == "wanted" and wanted else sorted(self.prev.sessions)
        return data.draw(st.sampled_from(choices), label="session")

    def pick_many(self, data: st.DataObject) -> list[int]:
        """A few existing ids, repeats possible (an unknown id in a bulk end is a bug of its own:
        see test_bulk_end_skips_an_unknown_id_and_ends_the_rest)."""
        ids = [self.pick(data) for _ in range(data.draw(st.integers(1, 4), label="n"))]
        return [i for i in ids if i != UNKNOWN_ID] or [min(self.prev.sessions)]

    def who(self, data: st.DataObject, sid: int) -> str:
        """An agent acting on ``sid``: often its owner, otherwise anyone."""
        row = self.prev.sessions.get(sid)
        owner = next(
            (n for n, (aid, _, _) in self.prev.agents.items() if row and row.owner_id == aid), None
        )
        names = [owner, owner, *sorted(AGENTS)] if owner else sorted(AGENTS)
        return data.draw(st.sampled_from(names), label="agent")

    def record(self, source: str, results: list[EndResult], *, csat: bool) -> None:
        for r in results:
            event(f"{source}: {r.result}")
            self.step.append(Seen(source, r, csat))

    def expected_end(self, agent: str, sid: int, surface: Surface) -> bool:
        """An independent reading of R1, R3, R4, R8 for an agent ending by hand."""
        row = self.prev.sessions.get(sid)
        if row is None or row.status == S.ENDED or not self.can_end:
            return False
        perms = set(AGENTS[agent]["permissions"])
        ch = channel(row.channel)
        if surface in (Surface.ROW, Surface.LIST):
            if surface is Surface.ROW and not ch.is_standard:
                return False
            if row.status == S.INACTIVE and row.capacity_model == "status-based":
                return False
            return P.END_MESSAGING_SESSION in perms
        if row.status not in (S.ACTIVE, S.INACTIVE):
            return False
        if row.owner_id != self.prev.agents[agent][0]:
            return False
        if ch.family is Family.ENHANCED_CHAT:
            return {P.ENHANCED_CHAT_USER, P.ENHANCED_CHAT_REP} <= perms
        return P.MESSAGING_AGENT in perms

    def check_by_hand(self, agent: str, surface: Surface, results: list[EndResult]) -> None:
        for r in results:
            expected = self.expected_end(agent, r.session_id, surface)
            row = self.prev.sessions.get(r.session_id)
            assert (r.result == "ended") is expected, (agent, surface, r, row)

    # -- customers and conversations ----------------------------------------------------
    @rule(customer=customers, ch=channels, text=texts)
    def inbound(self, customer: str, ch: str, text: str) -> None:
        res = self.run(conversations.inbound(self.ctx, customer, ch, text))
        assert res.session_id not in self.ended, "a message after the end reopened a session"
        if res.new_session:
            assert res.session_id not in self.prev.sessions
            assert res.status == S.WAITING

    @rule(agent=agent_names, customer=customers, ch=channels, text=texts)
    def outbound(self, agent: str, customer: str, ch: str, text: str) -> None:
        res = self.attempt(conversations.outbound(self.ctx, agent, customer, ch, text))
        if res is not None:
            assert res.new_session and res.status == S.ACTIVE

    @rule()
    def route(self) -> None:
        for a in self.run(routing.route(self.ctx)):
            before = self.prev.sessions[a.session_id]
            assert before.status in (S.NEW, S.WAITING) and before.owner_id is None

    @precondition(lambda self: self.prev.sessions)
    @rule(data=st.data(), text=texts)
    def send(self, data: st.DataObject, text: str) -> None:
        sid = self.pick(data)
        agent = self.who(data, sid)
        mid = self.attempt(conversations.send(self.ctx, agent, sid, text))
        if mid is not None:
            row = self.prev.sessions[sid]
            assert row.status != S.ENDED and row.owner_id == self.prev.agents[agent][0]

    @precondition(lambda self: self.prev.sessions)
    @rule(data=st.data())
    def mark_inactive(self, data: st.DataObject) -> None:
        sid = self.pick(data)
        agent = self.who(data, sid)
        res = self.attempt(conversations.mark_inactive(self.ctx, agent, sid))
        if res is not None:
            row = self.prev.sessions[sid]
            assert row.capacity_model == "status-based" and row.status == S.ACTIVE

    @precondition(lambda self: self.prev.sessions)
    @rule(data=st.data())
    def close_tab(self, data: st.DataObject) -> None:
        sid = self.pick(data, want="open tab")
        agent = self.who(data, sid)
        res = self.attempt(conversations.close_tab(self.ctx, agent, sid))
        if res is not None:
            row = self.prev.sessions[sid]
            assert row.status == S.ENDED and row.tab_open
            assert res.units_freed == row.units_held

    # -- ending by hand -----------------------------------------------------------------
    @precondition(lambda self: self.prev.sessions)
    @rule(data=st.data(), surface=st.sampled_from([Surface.CONVERSATION, Surface.ROW]))
    def end_session(self, data: st.DataObject, surface: Surface) -> None:
        sid = self.pick(data)
        agent = self.who(data, sid)
        [preview] = self.run(ending.preview_end(self.ctx, agent, [sid], surface))
        res = self.run(ending.end_session(self.ctx, agent, sid, surface))
        assert res.result == preview.result, (preview, res)
        self.check_by_hand(agent, surface, [res])
        self.record(f"end_session/{surface.value}", [res], csat=True)

    @precondition(lambda self: self.prev.sessions)
    @rule(agent=agent_names, data=st.data())
    def end_sessions(self, agent: str, data: st.DataObject) -> None:
        ids = [*self.pick_many(data), UNKNOWN_ID]
        results = self.run(ending.end_sessions(self.ctx, agent, ids, Surface.LIST))
        assert [r.session_id for r in results] == list(dict.fromkeys(ids))
        assert results[-1] == EndResult(UNKNOWN_ID, "skipped", f"no session S-{UNKNOWN_ID}")
        results = results[:-1]
        self.check_by_hand(agent, Surface.LIST, results)
        self.record("end_sessions", results, csat=True)

    @precondition(lambda self: self.prev.sessions)
    @rule(agent=agent_names, data=st.data())
    def bulk_end(self, agent: str, data: st.DataObject) -> None:
        ids = self.pick_many(data)
        report = self.run(bulk.bulk_end(self.ctx, agent, ids=ids, chunk=2))
        unique = list(dict.fromkeys(ids))
        assert report.status == "completed" and report.pending == 0
        assert report.total == len(unique) == report.ended + report.skipped
        assert [r.session_id for r in report.results] == unique
        assert report.ended == sum(r.result == "ended" for r in report.results)
        self.check_by_hand(agent, Surface.LIST, report.results)
        self.record("bulk_end", report.results, csat=True)

    # -- presence and logout ------------------------------------------------------------
    @rule(agent=agent_names, to=st.sampled_from(list(Presence)))
    def set_presence(self, agent: str, to: Presence) -> None:
        res = self.run(presence.set_presence(self.ctx, agent, to))
        me = self.prev.agents[agent][0]
        requeued = {e.session_id for e in res.effects if e.effect == presence.REQUEUED}
        for e in res.effects:
            row = self.prev.sessions[e.session_id]
            assert row.owner_id == me and row.status in (S.ACTIVE, S.INACTIVE)
            tab_active = row.capacity_model == "tab-based" and row.status == S.ACTIVE
            assert (e.session_id in requeued) is tab_active
        after = self.run(self.snapshot())
        for sid in requeued:  # R5: back to Waiting, or already routed to another rep
            row = after.sessions[sid]
            assert row.status in (S.WAITING, S.ACTIVE) and row.owner_id != me, row
        if to is not Presence.OFFLINE:
            assert not res.effects

    @rule(agent=agent_names)
    def logout(self, agent: str) -> None:
        res = self.run(presence.logout(self.ctx, agent, confirmed=True))
        me = self.prev.agents[agent][0]
        owned_live = {
            r.id
            for r in self.prev.sessions.values()
            if r.owner_id == me and r.status in (S.ACTIVE, S.INACTIVE)
        }
        assert {r.session_id for r in res.results} == owned_live
        assert all(r.result == "ended" for r in res.results), res.results
        self.record("logout", res.results, csat=True)
        after = self.run(self.snapshot())
        assert after.agents[agent][2] == 0, "logout closes every tab: nothing is held"

    @rule(agent=agent_names)
    def logout_unconfirmed(self, agent: str) -> None:
        with pytest.raises(Refused):
            self.run(presence.logout(self.ctx, agent, confirmed=False))

    # -- time, macros, triggers ---------------------------------------------------------
    @rule(minutes=st.sampled_from([1, 10, 90]))
    def tick(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    @rule(hours=st.sampled_from([6, 23, 24.5, 49, 55]))
    def sweep(self, hours: float) -> None:
        self.clock.advance(hours=hours)
        results = self.run(timers.sweep(self.ctx))
        assert all(r.result == "ended" for r in results), results
        self.record("sweep", results, csat=False)
        due = self.run(timers.next_due(self.ctx))
        assert due is None or due > self.clock.now, "a due session survived the sweep"

    @precondition(lambda self: self.prev.sessions)
    @rule(
        data=st.data(),
        macro=st.sampled_from(MACROS),
        as_agent=st.sampled_from([None, *sorted(AGENTS)]),
    )
    def run_macro(self, data: st.DataObject, macro: str, as_agent: str | None) -> None:
        sid = self.pick(data)
        res = self.attempt(automation.run_macro(self.ctx, macro, sid, as_agent=as_agent))
        if res is None:
            return
        for step in res.steps:
            if step.step == "end":
                outcome = "ended" if step.result == "done" else "skipped"
                self.record(
                    f"macro {macro}",
                    [EndResult(sid, outcome, step.reason)],
                    csat=as_agent is not None,
                )
        self.record("trigger after macro", res.triggers, csat=False)

    @precondition(lambda self: self.prev.sessions)
    @rule(data=st.data())
    def fire_trigger(self, data: st.DataObject) -> None:
        sid = self.pick(data)
        results = self.attempt(automation.fire_trigger(self.ctx, "escalated", sid))
        if results is None:
            assert sid == UNKNOWN_ID
            return
        self.record("trigger", results, csat=False)

    # -- settings -----------------------------------------------------------------------
    @rule(who=agent_names, on=st.booleans())
    def toggle_agents_can_end(self, who: str, on: bool) -> None:
        done = self.attempt(
            settings_svc.set_setting(self.ctx, "agents_can_end", "on" if on else "off", admin=who)
        )
        assert (done is not None) is (who == ADMIN)
        if done is not None:
            self.can_end = on
        assert self.run(settings_svc.get_policy(self.ctx)).agents_can_end is self.can_end

    @rule(who=agent_names, on=st.booleans())
    def toggle_csat(self, who: str, on: bool) -> None:
        done = self.attempt(
            settings_svc.set_setting(
                self.ctx, "csat_on_agent_end", "on" if on else "off", admin=who
            )
        )
        assert (done is not None) is (who == ADMIN)
        if done is not None:
            self.csat_on = on

    @rule(ch=channels, model=st.sampled_from(["tab-based", "status-based"]))
    def set_channel_model(self, ch: str, model: str) -> None:
        """New sessions take the new model; existing ones keep theirs."""
        self.run(
            settings_svc.set_setting(self.ctx, f"channel.{ch}.capacity_model", model, admin=ADMIN)
        )

    # -- after every step ---------------------------------------------------------------
    @invariant()
    def everything_holds(self) -> None:
        violations = self.run(check.check(self.ctx))
        assert violations == [], violations
        now = self.run(self.snapshot())
        prev = self.prev

        ended_before = set(self.ended)
        ended_now: set[int] = set()
        for seen in self.step:
            r = seen.result
            if r.result == "ended":
                assert r.session_id not in ended_before | ended_now, f"ended twice: {seen}"
                row = now.sessions[r.session_id]
                assert row.status == S.ENDED, seen
                assert now.end_records.get(r.session_id) == 1, seen
                want_csat = 1 if (seen.csat and self.csat_on) else 0
                assert now.csat.get(r.session_id, 0) == want_csat, (seen, self.csat_on)
                ended_now.add(r.session_id)
            else:
                already = r.session_id in ended_before | ended_now
                assert already is r.reason.startswith("already ended"), seen

        became_ended = {
            sid
            for sid, row in now.sessions.items()
            if row.status == S.ENDED
            and (sid not in prev.sessions or prev.sessions[sid].status != S.ENDED)
        }
        assert became_ended == ended_now, ("ended silently", became_ended - ended_now)

        self.ended |= ended_now
        for sid in self.ended:
            assert now.sessions[sid].status == S.ENDED, f"S-{sid} was ended and is live again"
            assert now.end_records.get(sid) == 1

        for sid, row in now.sessions.items():
            before = prev.sessions.get(sid)
            if before is not None and before.status == S.INACTIVE and row.status == S.ACTIVE:
                self.reactivated.add(sid)

        for name, (aid, capacity, used) in now.agents.items():
            reactivated_units = sum(
                r.units_held
                for r in now.sessions.values()
                if r.owner_id == aid and r.id in self.reactivated
            )
            assert 0 <= used <= capacity + reactivated_units, (name, used, capacity)

        self.step = []
        self.prev = now


class PostgresServicesMachine(ServicesMachine):
    def new_url(self) -> str:
        url, self.pg_name = new_pg_database()
        return url

    def drop(self) -> None:
        drop_pg_database(self.pg_name)


MACHINE_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

TestServicesSQLite = ServicesMachine.TestCase
TestServicesSQLite.settings = MACHINE_SETTINGS

TestServicesPostgreSQL = pytest.mark.skipif(
    PG_URL is None and not REQUIRE_PG,
    reason="PostgreSQL variant: set AGENT_CONSOLE_TEST_PG_URL (CI does)",
)(PostgresServicesMachine.TestCase)
TestServicesPostgreSQL.settings = MACHINE_SETTINGS


async def test_bulk_end_skips_an_unknown_id_and_ends_the_rest(ctx: Ctx) -> None:
    """R11: one bad row never blocks the others -- an id with no session is a skipped row."""
    await agents.add_agent(ctx, "sup", permissions=[P.END_MESSAGING_SESSION])
    sid = (await conversations.inbound(ctx, "cara", "standard_sms", "hi")).session_id
    report = await bulk.bulk_end(ctx, "sup", ids=[sid, UNKNOWN_ID])
    assert report.results == [
        EndResult(sid, "ended", "ended"),
        EndResult(UNKNOWN_ID, "skipped", f"no session S-{UNKNOWN_ID}"),
    ]
    assert await check.check(ctx) == []

"""The seed's planner on its own: pure (no database, no event loop), deterministic for a seed,
and inside the rules it plans for (capacity, one live session per customer and channel)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from agent_console.demo.plan import END_KINDS, Planner
from agent_console.demo.roster import ALL_PERMS, AgentDraft, agent_names, plan_roster
from agent_console.demo.rows import (
    ROW_CHANNEL,
    ROW_OWNER,
    ROW_STATUS,
    ROW_TAB,
    Clock,
    PlannedSession,
    RosterAgent,
)
from agent_console.demo.texts import AGENT_NAMES, HOSTILE
from agent_console.demo.writer import HEAVY_CHANNELS, STATUS_BASED_CHANNELS
from agent_console.domain.channels import CHANNELS
from agent_console.domain.ending import Agent as AgentFacts
from agent_console.domain.policy import Policy
from agent_console.domain.vocab import CapacityModel, Presence

NOW = datetime(2026, 3, 4, 10, 11, 12, 345678, tzinfo=UTC)
POLICY = Policy(
    channel_models={cid: CapacityModel.STATUS_BASED for cid in STATUS_BASED_CHANNELS},
    channel_units=dict(HEAVY_CHANNELS),
)


def _roster(drafts: list[AgentDraft]) -> list[RosterAgent]:
    """The roster as the writer makes it for an empty database (ids from 1)."""
    return [
        RosterAgent(
            i,
            d.name,
            d.capacity,
            0,
            d.perms,
            d.presence.value,
            d.logged_in,
            AgentFacts(i, d.name, d.perms, d.is_admin),
        )
        for i, d in enumerate(drafts, 1)
    ]


def _plan(
    seed: int = 1, sessions: int = 300, *, dialect: str = "sqlite", agents: int = 8
) -> tuple[list[PlannedSession], Planner]:
    rng = random.Random(seed)
    roster = _roster(plan_roster(rng, agents, NOW))
    planner = Planner(rng, Clock(NOW, dialect), roster, POLICY, set())
    return planner.plan(sessions, 0.2), planner


def _shape(plans: list[PlannedSession]) -> list[tuple[Any, ...]]:
    return [(p.customer, p.created, p.row, p.messages, p.end, p.csat, p.consumes) for p in plans]


def test_the_same_seed_plans_the_same_sessions() -> None:
    first, _ = _plan(seed=7)
    again, _ = _plan(seed=7)
    other, _ = _plan(seed=8)
    assert _shape(first) == _shape(again)
    assert _shape(first) != _shape(other)


def test_the_dialect_changes_only_how_times_are_written() -> None:
    sqlite, _ = _plan(seed=3, dialect="sqlite")
    postgres, _ = _plan(seed=3, dialect="postgresql")
    assert [p.created for p in sqlite] == [p.created for p in postgres]
    assert [len(p.messages) for p in sqlite] == [len(p.messages) for p in postgres]
    stamp = sqlite[0].row[10]  # created_at
    assert isinstance(stamp, str) and stamp.endswith(".345678")
    moment = postgres[0].row[10]
    assert isinstance(moment, datetime) and moment.tzinfo is None
    assert moment.strftime("%Y-%m-%d %H:%M:%S.%f") == stamp


def test_the_plan_covers_every_channel_status_and_end_kind() -> None:
    plans, planner = _plan(sessions=300)
    assert len(plans) == 300
    assert {p.row[ROW_CHANNEL] for p in plans} == {c.id for c in CHANNELS}
    statuses = Counter(p.row[ROW_STATUS] for p in plans)
    assert set(statuses) == {"New", "Waiting", "Active", "Inactive", "Ended"}
    ends = {(p.end[0], p.end[3]) for p in plans if p.end is not None}
    assert {(kind.value, surface.value) for kind, surface in END_KINDS} <= ends
    assert any(p.csat is not None for p in plans)
    assert any(p.row[ROW_STATUS] == "Ended" and p.row[ROW_TAB] for p in plans)  # R2
    texts = [m[2] for p in plans for m in p.messages]
    assert any(t in HOSTILE for t in texts)
    assert any("\n" in t for t in texts)
    assert [p.created for p in plans] == sorted(p.created for p in plans)  # ids follow time
    assert len(planner.pool.names) == len(set(planner.pool.names))


def test_owned_work_fits_each_agents_capacity() -> None:
    plans, planner = _plan(seed=5, sessions=500)
    taken: Counter[int] = Counter()
    for p in plans:
        if p.owner is not None:
            taken[p.owner.id] += p.consumes
    for agent in planner.roster:
        assert taken[agent.id] <= agent.capacity
        assert agent.used == taken[agent.id]  # what the writer adds to used_units
    owners = {a.id: a for a in planner.roster}
    for p in plans:
        owner = p.row[ROW_OWNER]
        if p.row[ROW_STATUS] in ("Active", "Inactive"):
            assert owner is not None and owners[owner].logged_in


def test_a_customer_has_one_live_session_per_channel() -> None:
    plans, _ = _plan(seed=2, sessions=1000)
    live = Counter((p.customer, p.row[ROW_CHANNEL]) for p in plans if p.row[ROW_STATUS] != "Ended")
    assert max(live.values()) == 1


@pytest.mark.parametrize("sessions", [0, 1, 5])
def test_tiny_plans(sessions: int) -> None:
    plans, _ = _plan(sessions=sessions)
    assert len(plans) == sessions


def test_the_roster_starts_with_dana_the_admin_and_is_drawn_from_the_seed() -> None:
    drafts = plan_roster(random.Random(1), 30, NOW)
    dana = drafts[0]
    assert (dana.name, dana.is_admin, dana.perms, dana.capacity) == ("dana", True, ALL_PERMS, 5)
    assert (dana.presence, dana.logged_in) == (Presence.ONLINE, True)
    assert not any(d.is_admin for d in drafts[1:])
    assert [d.name for d in drafts] == agent_names(30)
    assert agent_names(len(AGENT_NAMES) + 1)[-1] == f"{AGENT_NAMES[0]} 2"
    assert drafts == plan_roster(random.Random(1), 30, NOW)
    assert all(d.joined < NOW for d in drafts)

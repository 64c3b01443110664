"""The supervisor board's rules (domain/floor.py): floor states, sort orders, filters, waits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_console.domain.floor import (
    EVERYONE,
    FloorFilter,
    FloorSort,
    FloorState,
    arrange,
    floor_state,
    oldest,
    since_key,
    wait_seconds,
)
from agent_console.domain.vocab import Presence
from conftest import T0

ON, BUSY, OFF, OUT = FloorState.ONLINE, FloorState.BUSY, FloorState.OFFLINE, FloorState.LOGGED_OUT


@dataclass(frozen=True)
class Row:
    """What arrange reads of a board row (``FloorRow``)."""

    name: str
    state: FloorState = ON
    presence_since: datetime | None = None
    used: int = 0
    capacity: int = 5
    live_sessions: int = 0
    longest_wait_since: datetime | None = None


def ago(minutes: float) -> datetime:
    return T0 - timedelta(minutes=minutes)


def names(rows: list[Row]) -> list[str]:
    return [r.name for r in rows]


def test_floor_state_is_the_presence_or_logged_out() -> None:
    assert floor_state(True, Presence.ONLINE) is ON
    assert floor_state(True, Presence.BUSY) is BUSY
    assert floor_state(True, Presence.OFFLINE) is OFF
    for presence in Presence:
        assert floor_state(False, presence) is OUT
    assert [s.value for s in FloorState] == ["Online", "Busy", "Offline", "Logged out"]


def test_every_sort_has_a_label() -> None:
    assert {s: s.label for s in FloorSort} == {
        FloorSort.NAME: "name",
        FloorSort.STATE: "presence",
        FloorSort.TIME: "time in presence",
        FloorSort.LOAD: "capacity used",
        FloorSort.SESSIONS: "sessions",
        FloorSort.WAIT: "longest customer wait",
    }


def test_by_name_ignores_case() -> None:
    rows = [Row("bob"), Row("Alice"), Row("carol"), Row("ALAN")]
    assert names(arrange(rows, FloorSort.NAME)) == ["ALAN", "Alice", "bob", "carol"]
    assert names(arrange(rows, FloorSort.NAME, reverse=True)) == ["carol", "bob", "Alice", "ALAN"]


def test_by_state_then_longest_in_it_then_name() -> None:
    rows = [
        Row("out", OUT, ago(500)),
        Row("off", OFF, ago(1)),
        Row("busy-new", BUSY, ago(2)),
        Row("busy-old", BUSY, ago(50)),
        Row("on-unknown", ON, None),  # no time recorded: after those with one
        Row("on-b", ON, ago(10)),
        Row("on-a", ON, ago(10)),  # same time: by name
    ]
    assert names(arrange(rows, FloorSort.STATE)) == [
        "on-a",
        "on-b",
        "on-unknown",
        "busy-old",
        "busy-new",
        "off",
        "out",
    ]


def test_by_time_longest_first_unknown_last() -> None:
    rows = [Row("b", presence_since=ago(5)), Row("c"), Row("a"), Row("d", OUT, ago(60))]
    assert names(arrange(rows, FloorSort.TIME)) == ["d", "b", "a", "c"]


def test_by_load_the_fullest_first_then_the_most_used() -> None:
    rows = [
        Row("half", used=1, capacity=2),
        Row("full-small", used=1, capacity=1),
        Row("full-big", used=4, capacity=4),
        Row("two-fifths", used=2, capacity=5),
        Row("half-big", used=5, capacity=10),
        Row("idle", used=0, capacity=5),
        Row("no-capacity", used=0, capacity=0),  # never divides by zero: counts as empty
    ]
    assert names(arrange(rows, FloorSort.LOAD)) == [
        "full-big",
        "full-small",
        "half-big",
        "half",
        "two-fifths",
        "idle",
        "no-capacity",
    ]


def test_by_sessions_the_most_first_ties_by_name() -> None:
    rows = [Row("z", live_sessions=1), Row("y", live_sessions=3), Row("x", live_sessions=1)]
    assert names(arrange(rows, FloorSort.SESSIONS)) == ["y", "x", "z"]


def test_by_wait_the_longest_waiting_customer_first() -> None:
    rows = [
        Row("none-b"),
        Row("short", longest_wait_since=ago(1)),
        Row("none-a"),
        Row("long", longest_wait_since=ago(30)),
    ]
    assert names(arrange(rows, FloorSort.WAIT)) == ["long", "short", "none-a", "none-b"]


def test_reverse_turns_the_whole_order_round_ties_included() -> None:
    rows = [Row("b", live_sessions=1), Row("a", live_sessions=1), Row("c", live_sessions=2)]
    assert names(arrange(rows, FloorSort.SESSIONS)) == ["c", "a", "b"]
    assert names(arrange(rows, FloorSort.SESSIONS, reverse=True)) == ["b", "a", "c"]


def test_filters_by_states_and_name() -> None:
    rows = [Row("Dana", ON), Row("amir", BUSY), Row("lee", OFF), Row("Adam", OUT)]
    assert names(arrange(rows, FloorSort.NAME, FloorFilter(frozenset({BUSY, OUT})))) == [
        "Adam",
        "amir",
    ]
    assert names(arrange(rows, FloorSort.NAME, FloorFilter(text="A"))) == ["Adam", "amir", "Dana"]
    assert names(arrange(rows, FloorSort.NAME, FloorFilter(frozenset({ON}), "da"))) == ["Dana"]
    assert arrange(rows, FloorSort.NAME, FloorFilter(text="zz")) == []
    assert names(arrange(rows, FloorSort.NAME, EVERYONE)) == ["Adam", "amir", "Dana", "lee"]


def test_a_filter_describes_itself() -> None:
    assert EVERYONE.describe() == "everyone" and not EVERYONE.active
    both = FloorFilter(frozenset({OUT, ON}), "da")
    assert both.active
    assert both.describe() == "Online or Logged out, name contains 'da'"
    assert FloorFilter(text="x").describe() == "name contains 'x'"


def test_wait_seconds_is_never_negative() -> None:
    assert wait_seconds(None, T0) is None
    assert wait_seconds(ago(2), T0) == 120.0
    assert wait_seconds(T0, T0) == 0.0
    assert wait_seconds(T0 + timedelta(seconds=30), T0) == 0.0  # the clock stepped back


def test_oldest_and_since_key() -> None:
    assert oldest([]) is None and oldest([None, None]) is None
    assert oldest([ago(1), None, ago(3), ago(2)]) == ago(3)
    assert since_key(None) == float("inf")
    assert since_key(ago(3)) < since_key(ago(1))


# ------------------------------------------------------------------------------ properties

_stamps = st.one_of(
    st.none(), st.integers(min_value=-60, max_value=24 * 60).map(lambda m: ago(float(m)))
)
_rows = st.builds(
    Row,
    name=st.text(alphabet="abcAB é", min_size=1, max_size=6),
    state=st.sampled_from(list(FloorState)),
    presence_since=_stamps,
    used=st.integers(min_value=0, max_value=10),
    capacity=st.integers(min_value=0, max_value=10),
    live_sessions=st.integers(min_value=0, max_value=10),
    longest_wait_since=_stamps,
)
_filters = st.builds(
    FloorFilter,
    states=st.frozensets(st.sampled_from(list(FloorState))),
    text=st.text(alphabet="abAé", max_size=2),
)


@given(
    rows=st.lists(_rows, max_size=25),
    sort=st.sampled_from(list(FloorSort)),
    flt=_filters,
    reverse=st.booleans(),
)
def test_arrange_returns_exactly_the_rows_the_filter_keeps(
    rows: list[Row], sort: FloorSort, flt: FloorFilter, reverse: bool
) -> None:
    got = arrange(rows, sort, flt, reverse=reverse)
    kept = [r for r in rows if flt.keeps(r)]
    assert sorted(map(id, got)) == sorted(map(id, kept))  # the same objects, once each
    assert arrange(rows, sort, flt, reverse=not reverse) == got[::-1]


_ORDER = list(FloorState)


def _spec_key(sort: FloorSort, r: Row) -> tuple[object, ...]:
    """The orders as the issue states them, each ending with the name (the tie-break)."""
    name = r.name.casefold()
    if sort is FloorSort.NAME:
        return (name,)
    if sort is FloorSort.STATE:
        return (_ORDER.index(r.state), since_key(r.presence_since), name)
    if sort is FloorSort.TIME:
        return (since_key(r.presence_since), name)
    if sort is FloorSort.LOAD:
        load = r.used / r.capacity if r.capacity else 0.0
        return (-load, -r.used, name)
    if sort is FloorSort.SESSIONS:
        return (-r.live_sessions, name)
    return (since_key(r.longest_wait_since), name)


@given(rows=st.lists(_rows, max_size=25), sort=st.sampled_from(list(FloorSort)),
       reverse=st.booleans())  # fmt: skip
def test_arrange_orders_by_the_sort_then_the_name(
    rows: list[Row], sort: FloorSort, reverse: bool
) -> None:
    keys = [_spec_key(sort, r) for r in arrange(rows, sort, reverse=reverse)]
    assert keys == sorted(keys, reverse=reverse)
    shuffled = [_spec_key(sort, r) for r in arrange(rows[::-1], sort, reverse=reverse)]
    assert shuffled == keys  # the rows' order in does not matter


@pytest.mark.parametrize("sort", list(FloorSort))
def test_an_empty_floor_arranges_to_nothing(sort: FloorSort) -> None:
    assert arrange([], sort) == []

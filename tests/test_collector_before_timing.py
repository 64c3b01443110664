"""A ``timing`` test starts with the garbage of what ran before it collected (conftest's
``pytest_runtest_call``), and the collections made during it are counted for its report."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from shared.collector_pauses import CollectorPauses


class Node:
    """One half of a reference cycle: only the collector frees it."""

    other: Node | None = None


@pytest.fixture
def garbage_left_by_setup() -> Iterator[weakref.ref[Node]]:
    """A reference cycle that is garbage once setup ends, with automatic collection off so
    that only an explicit ``gc.collect()`` frees it."""
    was_enabled = gc.isenabled()
    gc.disable()
    a, b = Node(), Node()
    a.other, b.other = b, a
    ref = weakref.ref(a)
    del a, b
    try:
        yield ref
    finally:
        if was_enabled:
            gc.enable()


@pytest.mark.timing
def test_a_timing_test_starts_with_the_earlier_garbage_collected(
    garbage_left_by_setup: weakref.ref[Node],
) -> None:
    assert garbage_left_by_setup() is None


def test_the_pauses_are_counted_by_generation() -> None:
    with CollectorPauses() as pauses:
        gc.collect()
        gc.collect(0)
    generations = [g for g, _ in pauses.pauses]
    assert generations.count(2) >= 1 and 0 in generations
    summary = pauses.summary()
    assert "generation 2: " in summary and "longest" in summary
    assert CollectorPauses().summary() == "no collection"

"""The serial pass of tests/serial_pass.py, on simulated workers: every test runs once, and a
timing test runs with no other test at the same time, whatever the order of the collection."""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from serial_pass import SerialPassScheduling


class Config:
    def __init__(self, workers: int) -> None:
        self.workers = workers

    def getvalue(self, name: str) -> Any:
        assert name == "tx"
        return [f"{self.workers}*popen"]


class Worker:
    """Holds its tests like an xdist worker: it runs its first one only once it knows the
    next (two held) or has been told to shut down."""

    def __init__(self, name: str) -> None:
        self.gateway = SimpleNamespace(id=name)
        self.held: list[int] = []
        self.shutting_down = False
        self.steal: list[int] | None = None

    def send_runtest_some(self, indices: list[int]) -> None:
        assert not self.shutting_down
        self.held.extend(indices)

    def send_steal(self, indices: list[int]) -> None:
        self.steal = list(indices)

    def shutdown(self) -> None:
        self.shutting_down = True

    def runnable(self) -> bool:
        return len(self.held) >= 2 or (self.shutting_down and bool(self.held))


def simulate(
    tmp_path: Path,
    n_tests: int,
    timing: set[int],
    workers: int,
    seed: int,
    slow: frozenset[int] = frozenset(),
) -> None:
    rnd = random.Random(seed)
    ids = [f"t{i}" for i in range(n_tests)]
    ids_file = tmp_path / "marked.json"
    ids_file.write_text(
        json.dumps({"timing": [ids[i] for i in timing], "slow": [ids[i] for i in slow]})
    )
    sched = SerialPassScheduling(Config(workers), None, lambda: ids_file)
    nodes = [Worker(f"gw{i}") for i in range(workers)]
    for node in nodes:
        sched.add_node(node)
    for node in nodes:
        sched.add_node_collection(node, ids)
    sched.schedule()
    # The slow tests go first, shared out: each worker's queue starts with its share.
    shares = [[i for i in node.held if i in slow - timing] for node in nodes]
    for node, share in zip(nodes, shares, strict=True):
        assert node.held[: len(share)] == share
    assert max(map(len, shares)) - min(map(len, shares)) <= 1
    assert sum(map(len, (node.held for node in nodes))) == n_tests - len(timing)

    ran: list[str] = []
    alive = list(nodes)
    rounds = 0
    while alive:
        rounds += 1
        assert rounds < 10 * n_tests, "the run does not finish"
        # One round: every worker that can runs one test, all at the same time.
        running = [(node, node.held[0]) for node in alive if node.runnable()]
        names = [ids[i] for _, i in running]
        if any(i in timing for _, i in running):
            assert len(running) == 1, f"a timing test ran beside others: {names}"
        ran += names
        for node, index in rounds_order(running, rnd):
            node.held.pop(0)
            sched.mark_test_complete(node, index)
        for node in alive:  # a worker answers a steal with what it has not started
            if node.steal is not None:
                given = [i for i in node.steal if i in node.held[1:]]
                node.held = [i for i in node.held if i not in given]
                node.steal = None
                sched.remove_pending_tests_from_node(node, given)
        if sched.tests_finished:  # what xdist's controller does then
            for node in alive:
                node.shutdown()
        for node in [n for n in alive if n.shutting_down and not n.held]:
            alive.remove(node)
            assert sched.remove_node(node) is None
        assert alive or not (sched.pending or sched.serial), "tests left with no worker"
    assert sorted(ran) == sorted(ids)


def rounds_order(running: list[tuple[Worker, int]], rnd: random.Random) -> list[Any]:
    order = list(running)
    rnd.shuffle(order)
    return order


@pytest.mark.parametrize("seed", range(20))
def test_timing_tests_run_alone_after_the_rest(tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    n = rnd.randint(1, 60)
    timing = set(rnd.sample(range(n), rnd.randint(0, min(n, 6))))
    slow = frozenset(rnd.sample(range(n), rnd.randint(0, min(n, 8))))
    simulate(tmp_path, n, timing, workers=rnd.randint(1, 4), seed=seed, slow=slow)


def test_only_timing_tests(tmp_path: Path) -> None:
    simulate(tmp_path, 5, {0, 1, 2, 3, 4}, workers=3, seed=0)


def test_no_timing_test_is_plain_work_stealing(tmp_path: Path) -> None:
    simulate(tmp_path, 40, set(), workers=3, seed=0)

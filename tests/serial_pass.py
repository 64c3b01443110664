"""Work stealing with a serial pass at the end, for tests that assert wall-clock bounds.

pytest-xdist's ``worksteal`` scheduler, except for the tests marked ``timing``: they are held
back until every other test has finished and the other workers have exited, then run one
after the other on the one worker left. No lock idles a worker while the rest of the suite
runs, and no other test runs beside a timing test.

And the tests marked ``slow`` (the multi-process and stress tests, tens of seconds each) start
first, shared out among the workers: one started last would run on alone at the end.

The workers write the ids of both kinds to a file (``tests/conftest.py``), because xdist
tells its scheduler the node ids only.

A worker that has run out of tests waits for its next one before it runs its current one
(it needs to know the next test to tear fixtures down right), so the worker chosen for the
serial pass keeps its last test of the parallel pass until then: that one test also runs with
the machine to itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xdist.scheduler import WorkStealingScheduling  # type: ignore[import-untyped]

#: A worker holds its current test and the next one (see xdist's worksteal.MIN_PENDING).
MIN_PENDING = 2


class SerialPassScheduling(WorkStealingScheduling):  # type: ignore[misc]
    # xdist's own state, untyped there (annotations only: nothing is set here).
    pending: list[int]
    steal_requested_from_node: Any

    def __init__(self, config: Any, log: Any, ids_file: Callable[[], Path | None]) -> None:
        super().__init__(config, log)
        self._ids_file = ids_file
        self.serial: list[int] | None = None  # held back; None until the collection is known
        self.serial_node: Any = None  # the worker kept for the serial pass

    # -- what the controller asks --------------------------------------------------------

    @property
    def tests_finished(self) -> bool:
        return not self.serial and super().tests_finished

    @property
    def has_pending(self) -> bool:
        return bool(self.serial) or super().has_pending

    # -- scheduling ----------------------------------------------------------------------

    def _first_distribution(self) -> None:
        """Hold the timing tests back; give each worker its share of the slow tests first,
        then a run of the others in collection order (the tests of a file together)."""
        assert self.collection is not None
        path = self._ids_file()
        marked = json.loads(path.read_text(encoding="utf-8")) if path and path.exists() else {}
        timing, slow = set(marked.get("timing", ())), set(marked.get("slow", ()))
        self.serial = [i for i in self.pending if self.collection[i] in timing]
        first = [i for i in self.pending if self.collection[i] in slow - timing]
        rest = [i for i in self.pending if self.collection[i] not in slow | timing]
        nodes = [node for node in self.node2pending if not node.shutting_down]
        if not nodes:
            self.pending = first + rest
            return
        shares: list[list[int]] = [first[j :: len(nodes)] for j in range(len(nodes))]
        each, extra = divmod(len(first) + len(rest), len(nodes))
        for j, share in enumerate(shares):
            want = max(0, each + (j < extra) - len(share))
            share += rest[:want]
            del rest[:want]
        shares[-1] += rest  # none left, unless the slow tests outnumber the workers' shares
        self.pending = []
        for node, share in zip(nodes, shares, strict=True):
            if share:
                self.node2pending[node].extend(share)
                node.send_runtest_some(share)

    def check_schedule(self) -> None:
        if self.collection is None:
            return
        if self.serial is None:
            self._first_distribution()
        if not self.serial:
            super().check_schedule()  # no timing test, or the serial pass has started
            return
        up = [node for node in self.node2pending if not node.shutting_down]
        if self.serial_node not in up:
            self.serial_node = up[0] if up else None
        if self.serial_node is None:
            return  # every worker gone: xdist replaces a crashed one, then this runs again
        others = [node for node in self.node2pending if node is not self.serial_node]
        if (
            not others
            and not self.pending
            and self.steal_requested_from_node is None
            and len(self.node2pending[self.serial_node]) < MIN_PENDING
        ):
            self._start_serial_pass()
            return
        self._parallel_pass()

    def _start_serial_pass(self) -> None:
        """Every other worker has exited: the held-back tests go to the one left, in order."""
        node = self.serial_node
        assert self.serial is not None
        tests, self.serial = self.serial, []
        self.node2pending[node].extend(tests)
        node.send_runtest_some(tests)
        node.shutdown()  # it runs what it holds, then exits

    def _parallel_pass(self) -> None:
        """xdist's work stealing (``WorkStealingScheduling.check_schedule``), except that the
        serial pass's worker is never shut down: it waits for the timing tests instead."""
        nodes_up = [
            (node, pending) for node, pending in self.node2pending.items() if not node.shutting_down
        ]

        def idle_nodes() -> list[Any]:
            return [node for node, pending in nodes_up if len(pending) < MIN_PENDING]

        idle = idle_nodes()
        if not idle:
            return
        if self.pending:
            for i, node in enumerate(idle):
                self._send_tests(node, len(self.pending) // (len(idle) - i))
            idle = idle_nodes()
            if not idle:
                return
        if self.steal_requested_from_node is not None:
            return
        steal_from = max(nodes_up, key=lambda np: len(np[1]), default=None)
        num_steal = 0
        if steal_from is not None:
            pending = steal_from[1]
            num_steal = min(len(pending) // 2, max(0, len(pending) - MIN_PENDING))
        if num_steal == 0:
            for node in idle:
                if node is not self.serial_node:
                    node.shutdown()
            return
        assert steal_from is not None
        steal_from[0].send_steal(steal_from[1][-num_steal:])
        self.steal_requested_from_node = steal_from[0]

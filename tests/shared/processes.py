"""Worker processes for the multi-process tests (tests/processes, tests/reliability).

A test starts a folder's ``worker.py`` with :func:`start_worker`; with ``go`` the worker opens
the database, creates its "ready" file and waits for the "go" file, so :func:`release` can let
several workers start at the same moment. Every stdout line of a worker is JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SRC = Path(__file__).resolve().parents[2] / "src"
#: The tests folder: worker scripts import ``shared.worker_io`` from it.
TESTS = Path(__file__).resolve().parents[1]


@dataclass
class Worker:
    """A ``worker.py`` process; its stdout lines are JSON."""

    name: str
    proc: subprocess.Popen[str]
    stderr_path: Path
    ready: Path | None

    def finish(self, timeout: float = 240) -> list[Any]:
        """Wait for exit 0; return every JSON line the worker printed."""
        out, _ = self.proc.communicate(timeout=timeout)
        err = self.stderr()
        assert self.proc.returncode == 0, f"{self.name} exited {self.proc.returncode}:\n{err}"
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def worker_env() -> dict[str, str]:
    """This environment with the repository's ``src`` and ``tests`` first on PYTHONPATH."""
    env = dict(os.environ)
    paths = [str(SRC), str(TESTS), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(paths).rstrip(os.pathsep)
    return env


def start_worker(
    script: Path,
    tmp: Path,
    name: str,
    command: str,
    url: str,
    *args: str,
    go: Path | None = None,
    kind: type[Worker] = Worker,
) -> Worker:
    """Start ``script COMMAND URL ARGS`` as a ``kind``; with ``go`` it waits for that file."""
    ready = tmp / f"{name}.ready" if go is not None else None
    sync = ["--ready", str(ready), "--go", str(go)] if go is not None else []
    stderr_path = tmp / f"{name}.stderr"
    with stderr_path.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, str(script), command, url, *args, *sync],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=worker_env(),
        )
    return kind(name, proc, stderr_path, ready)


def release(workers: Sequence[Worker], go: Path, timeout: float = 90) -> None:
    """Wait until every worker has opened the database, then let them all go at once."""
    deadline = time.monotonic() + timeout
    while not all(w.ready is not None and w.ready.exists() for w in workers):
        for w in workers:
            if w.proc.poll() is not None:
                raise AssertionError(f"{w.name} died before the start: {w.stderr()}")
        assert time.monotonic() < deadline, "workers did not get ready in time"
        time.sleep(0.01)
    go.touch()

"""Shared pieces of the reliability suite: dumps, the invariants check, worker processes.

Every test of this folder finishes with :func:`finish_with_check`: ``agent-console check``
(the CLI, in-process, on a thread of its own) must report every invariant holding.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import event, select, text

from agent_console.cli.main import cli
from agent_console.services import check
from agent_console.services.context import Ctx
from agent_console.store.models import Agent, Base
from shared import processes
from shared.processes import Worker, release, worker_env
from shared.sessions import seed_active

WORKER = Path(__file__).with_name("worker.py")

#: One seed for the whole suite (override to replay a failure found with another one).
SEED = int(os.environ.get("AGENT_CONSOLE_RELIABILITY_SEED", "20261123"))

Dump = dict[str, list[tuple[Any, ...]]]

__all__ = ["Worker", "release", "seed_active", "start_worker", "worker_env"]


async def dump(ctx: Ctx, tables: Iterable[str] | None = None) -> Dump:
    """Every row of every table (or of ``tables``), sorted: equal dumps mean equal states."""
    names = list(tables) if tables is not None else sorted(Base.metadata.tables)
    out: Dump = {}
    async with ctx.db.read() as conn:
        for name in names:
            table = Base.metadata.tables[name]
            rows = (await conn.execute(select(table).order_by(*table.primary_key.columns))).all()
            out[name] = [tuple(r) for r in rows]
    return out


def diff(before: Dump, after: Dump) -> list[str]:
    """What changed between two dumps, one line per table (empty when identical)."""
    out = []
    for name in sorted(set(before) | set(after)):
        a, b = set(before.get(name, [])), set(after.get(name, []))
        if a != b:
            out.append(f"{name}: -{sorted(a - b, key=repr)[:3]} +{sorted(b - a, key=repr)[:3]}")
    return out


async def invariants_hold(ctx: Ctx) -> None:
    violations = await check.check(ctx)
    assert violations == [], violations


def cli_check(url: str) -> dict[str, Any]:
    """``agent-console --db URL check --json``, in-process (click's runner)."""
    result = CliRunner().invoke(cli, ["--db", url, "check", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, f"agent-console check failed:\n{result.stdout}{result.stderr}"
    return json.loads(result.stdout)


async def finish_with_check(ctx: Ctx, url: str) -> None:
    """Every invariant holds: through the service and through ``agent-console check``."""
    await invariants_hold(ctx)
    report = await asyncio.to_thread(cli_check, url)
    assert report["ok"] is True and report["violations"] == [], report


async def end_record_counts(ctx: Ctx) -> dict[int, int]:
    async with ctx.db.read() as conn:
        rows = await conn.execute(
            text("SELECT session_id, COUNT(*) FROM end_records GROUP BY session_id")
        )
        return {int(s): int(n) for s, n in rows.all()}


async def end_line_counts(ctx: Ctx) -> dict[int, int]:
    async with ctx.db.read() as conn:
        rows = await conn.execute(
            text(
                "SELECT session_id, COUNT(*) FROM messages WHERE author_kind = 'system' "
                "AND text LIKE 'Session ended by %' GROUP BY session_id"
            )
        )
        return {int(s): int(n) for s, n in rows.all()}


async def agent_id(ctx: Ctx, name: str) -> int:
    async with ctx.db.read() as conn:
        return int(await conn.scalar(select(Agent.id).where(Agent.name == name)) or 0)


# ------------------------------------------------------------------------------ processes


def start_worker(
    tmp: Path, name: str, command: str, url: str, *args: str, go: Path | None = None
) -> Worker:
    """Start this folder's ``worker.py COMMAND URL ARGS`` (see :mod:`shared.processes`)."""
    return processes.start_worker(WORKER, tmp, name, command, url, *args, go=go)


def ids_file(tmp: Path, name: str, ids: Sequence[int]) -> str:
    path = tmp / f"{name}.json"
    path.write_text(json.dumps(list(ids)))
    return str(path)


class Zygote:
    """``worker.py zygote``: forks already-imported workers, so starting one costs
    milliseconds instead of the second an interpreter takes to import the services."""

    def __init__(self, tmp: Path) -> None:
        self.stderr_path = tmp / "zygote.stderr"
        with self.stderr_path.open("w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, str(WORKER), "zygote"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
                env=worker_env(),
            )

    def spawn(self, *argv: str) -> int:
        """Start ``worker.py ARGV...`` as a child of the zygote; returns its pid."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(list(argv)) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the zygote died: {self.stderr_path.read_text()}"
        return int(json.loads(line)["pid"])

    @staticmethod
    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)

    def stderr(self) -> str:
        return self.stderr_path.read_text()


def record_notifications(app: Any) -> list[tuple[str, str]]:
    """Every ``notify`` of ``app`` as (severity, message), still shown as usual."""
    notes: list[tuple[str, str]] = []
    notify = app.notify

    def record(message: str, **kw: Any) -> None:
        notes.append((kw.get("severity", "information"), message))
        notify(message, **kw)

    app.notify = record
    return notes


class Injector:
    """Counts the statements the engine runs and fails the ``fail_at``-th one."""

    def __init__(self, ctx: Ctx) -> None:
        self.engine = ctx.db.engine.sync_engine
        self.error = ctx.db.engine.dialect.loaded_dbapi.OperationalError
        self.fail_at = 0
        self.count = 0
        self.fired = False

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        if self.count == self.fail_at:
            self.fired = True
            raise self.error(f"injected fault at statement {self.count}: {statement[:40]}")

    @contextmanager
    def failing_at(self, n: int) -> Iterator[None]:
        self.fail_at, self.count, self.fired = n, 0, False
        event.listen(self.engine, "before_cursor_execute", self)
        try:
            yield
        finally:
            event.remove(self.engine, "before_cursor_execute", self)

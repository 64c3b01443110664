"""Fixtures: every store/service test runs on a real SQLite file and on PostgreSQL.

PostgreSQL comes from ``AGENT_CONSOLE_TEST_PG_URL`` (CI starts a throw-away cluster, see
``scripts/pg_throwaway.py``). Each test gets its own database cloned from a template that
already has the schema, so tests never see each other's rows. Without the URL the PostgreSQL
variants are skipped -- unless ``AGENT_CONSOLE_REQUIRE_PG`` is set, as in CI, where they fail.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx

PG_URL = os.environ.get("AGENT_CONSOLE_TEST_PG_URL")
REQUIRE_PG = bool(os.environ.get("AGENT_CONSOLE_REQUIRE_PG"))
TEMPLATE = f"agent_console_template_{os.getpid()}"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """A clock tests move by hand."""

    now: datetime = field(default=T0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


def _dsn(url: str, database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url).set(drivername="postgresql")
    if database is not None:
        u = u.set(database=database)
    return u.render_as_string(hide_password=False)


def _sa_url(url: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def _pg_exec(url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_dsn(url))
    try:
        for stmt in statements:
            await conn.execute(stmt)
    finally:
        await conn.close()


_template_ready = False


def _ensure_template() -> None:
    global _template_ready
    if _template_ready or PG_URL is None:
        return

    async def build() -> None:
        await _pg_exec(PG_URL, f"DROP DATABASE IF EXISTS {TEMPLATE}", f"CREATE DATABASE {TEMPLATE}")
        ctx = await open_ctx(_sa_url(PG_URL, TEMPLATE))
        await ctx.db.dispose()

    asyncio.run(build())
    _template_ready = True


def new_pg_database() -> tuple[str, str]:
    """A fresh database with the schema; returns (sqlalchemy url, name)."""
    assert PG_URL is not None
    _ensure_template()
    name = "t_" + uuid.uuid4().hex[:12]
    asyncio.run(_pg_exec(PG_URL, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    return _sa_url(PG_URL, name), name


def drop_pg_database(name: str) -> None:
    assert PG_URL is not None
    asyncio.run(_pg_exec(PG_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@contextmanager
def _the_machine(run: str, alone: bool) -> Iterator[None]:
    """A share of the machine among the xdist workers of one run, or all of it (``alone``).

    Two file locks: every test takes the machine lock shared; a test that measures time takes
    it exclusively, so the other workers' tests finish first and no new one starts meanwhile.
    The turnstile gives it priority: it holds the turnstile while waiting, and new tests pass
    the turnstile before they take their share.
    """
    base = Path(tempfile.gettempdir()) / f"agent-console-tests-{run}"
    with open(f"{base}.turnstile", "a") as turnstile, open(f"{base}.machine", "a") as machine:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        try:
            fcntl.flock(machine, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            if not alone:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(machine, fcntl.LOCK_UN)
            if alone:
                fcntl.flock(turnstile, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def _share_the_machine(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests marked ``timing`` (they assert a wall-clock bound) run with the machine to
    themselves under pytest-xdist; the bounds are the product's, not widened for load."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:  # not under xdist: nothing else runs meanwhile
        yield
        return
    with _the_machine(run, alone=request.node.get_closest_marker("timing") is not None):
        yield


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with nothing in it but the schema (and default macros/triggers)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    if PG_URL is None:
        if REQUIRE_PG:
            pytest.fail("AGENT_CONSOLE_REQUIRE_PG is set but AGENT_CONSOLE_TEST_PG_URL is not")
        pytest.skip("PostgreSQL variant: set AGENT_CONSOLE_TEST_PG_URL (CI does)")
    url, name = new_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def ctx(db_url: str, clock: FakeClock) -> AsyncIterator[Ctx]:
    c = await open_ctx(db_url, clock=clock)
    try:
        yield c
    finally:
        await c.db.dispose()

"""Fixtures: every store/service test runs on a real SQLite file and on PostgreSQL.

PostgreSQL comes from ``AGENT_CONSOLE_TEST_PG_URL`` (CI starts a throw-away cluster, see
``scripts/pg_throwaway.py``). Each test gets its own database cloned from a template that
already has the schema, so tests never see each other's rows. Without the URL the PostgreSQL
variants are skipped -- unless ``AGENT_CONSOLE_REQUIRE_PG`` is set, as in CI, where they fail.
"""

from __future__ import annotations

import asyncio
import atexit
import fcntl
import gc
import json
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

# The suite starts many Python processes (xdist workers; CLI, gateway and console
# subprocesses). With PYTHONDONTWRITEBYTECODE set (as on this workplace's machines), each one
# compiled the package from source (~70 ms more per process that imports the CLI, the
# services, the TUI and the gateway) and each worker rewrote every test module again. Here
# bytecode caches are written as Python does by default (git ignores them): set before the
# package is imported, and inherited by every process the suite starts.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# A worker runs hundreds of apps, and what each leaves for the collector keeps the heap at a
# few hundred thousand objects: Python's default thresholds ran a full collection ~1.5 times
# per TUI test (~0.3 s each, a quarter of a snapshot test's CPU). A full collection after
# 100 young-generation passes instead of 10: ~0.4 per test. Only the collector's pace changes
# (tests that need garbage gone call gc.collect() themselves); the product is untouched.
gc.set_threshold(700, 10, 100)

from agent_console.services.context import Ctx  # noqa: E402
from agent_console.services.runtime import open_ctx  # noqa: E402

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
    from agent_console.store.url import DatabaseURL

    return DatabaseURL(url).asyncpg_dsn(database)


def sa_url(url: str, database: str) -> str:
    from agent_console.store.url import DatabaseURL

    return str(DatabaseURL(url).replace(database=database))


async def pg_exec(url: str, *statements: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

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
        await pg_exec(PG_URL, f"DROP DATABASE IF EXISTS {TEMPLATE}", f"CREATE DATABASE {TEMPLATE}")
        ctx = await open_ctx(sa_url(PG_URL, TEMPLATE))
        await ctx.db.dispose()

    asyncio.run(build())
    _template_ready = True


def new_pg_database() -> tuple[str, str]:
    """A fresh database with the schema; returns (sqlalchemy url, name)."""
    assert PG_URL is not None
    _ensure_template()
    name = "t_" + uuid.uuid4().hex[:12]
    # FILE_COPY copies the template's files whole; PostgreSQL 15's default (WAL_LOG) copies
    # them block by block through the write-ahead log: 41.5 ms of the server's CPU per
    # create and drop against 31.5 ms (a few megabytes, fsync off).
    asyncio.run(pg_exec(PG_URL, f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY"))
    return sa_url(PG_URL, name), name


def drop_pg_database(name: str) -> None:
    assert PG_URL is not None
    asyncio.run(pg_exec(PG_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop this process's template: a long-lived server (a developer's) kept one per worker
    of every run before."""
    if _template_ready and PG_URL is not None:
        asyncio.run(pg_exec(PG_URL, f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)"))


# --- how the suite runs -------------------------------------------------------------------
#
# The tests run on pytest-xdist workers with work stealing (``addopts``). Tests marked
# ``timing`` assert a wall-clock bound: they are held back and run at the end, one after the
# other on one worker, once every other test has finished -- their own serial pass, in the same
# run and the same report. Tests marked ``slow`` start first (tests/serial_pass.py). Tests under
# tests/tui fail after 60 s instead of the suite's 300 s.

TUI_TIMEOUT_S = 60
_TIMING_IDS = "agent_console_timing_ids"  # workerinput key: where workers write the ids
_timing_ids_file = pytest.StashKey[Path]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A TUI test that hangs fails after ``TUI_TIMEOUT_S`` (unless it is ``slow``, like the
    start-and-quit stress test, or sets its own ``timeout``)."""
    tui = Path(__file__).parent / "tui"
    for item in items:
        if (
            item.path.is_relative_to(tui)
            and item.get_closest_marker("timeout") is None
            and item.get_closest_marker("slow") is None
        ):
            item.add_marker(pytest.mark.timeout(TUI_TIMEOUT_S))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """On an xdist worker: tell the controller's scheduler which tests are ``timing`` and
    ``slow`` (written before the worker reports its collection: xdist does it in this hook,
    later)."""
    target = getattr(session.config, "workerinput", {}).get(_TIMING_IDS)
    if target is None:
        return
    marked = {
        name: [item.nodeid for item in session.items if item.get_closest_marker(name)]
        for name in ("timing", "slow")
    }
    tmp = Path(f"{target}.{os.getpid()}")
    tmp.write_text(json.dumps(marked), encoding="utf-8")
    tmp.replace(target)  # every worker writes the same list; each write is whole


@pytest.fixture(autouse=True, scope="session")
def _no_start_up_freeze() -> None:
    """The console's full collection and freeze once the sessions show (``freeze_start_up``)
    costs ~170 ms per app in a worker that has run hundreds of them; the test that checks
    the freeze turns it back on."""
    from agent_console.tui.app import AgentConsoleApp

    AgentConsoleApp.freeze_start_up = False


@pytest.fixture(autouse=True, scope="session")
def _unseen_frames() -> Iterator[None]:
    from shared.unseen_frames import skip_unseen_frames

    with skip_unseen_frames():
        yield


@pytest.fixture(autouse=True, scope="session")
def _quick_idle() -> Iterator[None]:
    from shared.quick_idle import quick_idle_windows

    with quick_idle_windows():
        yield


@pytest.fixture(autouse=True)
def _timing_tests_run_alone(request: pytest.FixtureRequest) -> Iterator[None]:
    """Checks the serial pass, it does not make it: every test holds a shared lock while it
    runs, and a ``timing`` test fails at once if it cannot have the lock to itself."""
    target = getattr(request.config, "workerinput", {}).get(_TIMING_IDS)
    if target is None:  # not under xdist, or another --dist
        yield
        return
    timing = request.node.get_closest_marker("timing") is not None
    with open(Path(target).with_name("running.lock"), "a") as lock:
        try:
            fcntl.flock(lock, (fcntl.LOCK_EX if timing else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            pytest.fail(
                "a timing test and another test ran at the same time: the serial pass "
                "(tests/serial_pass.py) should have kept them apart"
            )
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A ``timing`` test starts with the earlier tests' garbage collected, so no full
    collection of it lands inside the bound it measures (CI: 1.06 s against 1 s, where the
    test measures 0.1-0.3 s; the same run's full collections took 1.2-3.7 s). The
    collections made during the test are in its report."""
    if item.get_closest_marker("timing") is None:
        return (yield)
    from shared.collector_pauses import CollectorPauses

    gc.collect()
    with CollectorPauses() as pauses:
        try:
            return (yield)
        finally:
            item.add_report_section("call", "collector", pauses.summary())


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    config = node.config
    if _timing_ids_file not in config.stash:
        directory = Path(tempfile.mkdtemp(prefix="agent-console-run-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        config.stash[_timing_ids_file] = directory / "timing-tests.json"
    if config.getvalue("dist") == "worksteal":
        node.workerinput[_TIMING_IDS] = str(config.stash[_timing_ids_file])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "worksteal":
        return None  # another --dist asked for: xdist's own; timing tests run among the rest
    from serial_pass import SerialPassScheduling

    return SerialPassScheduling(config, log, lambda: config.stash.get(_timing_ids_file, None))


_sqlite_template: Path | None = None


def sqlite_template() -> Path:
    """A SQLite file with the schema and the default macros/triggers, made once per process
    (each xdist worker) by the product's own first open. Each test gets a copy of it instead
    of running the migrations again (~65 ms a test). Tests of creating and migrating a file
    use a path of their own (``run_sqlite``, ``tmp_path / "x.db"``), which this never touches.
    """
    global _sqlite_template
    if _sqlite_template is not None:
        return _sqlite_template
    directory = Path(tempfile.mkdtemp(prefix="agent-console-template-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    path = directory / "template.db"

    async def build() -> None:
        ctx = await open_ctx(f"sqlite+aiosqlite:///{path}")
        await ctx.db.dispose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(build())
    else:  # asked from async code: build it on a loop of its own
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, build()).result()
    # The last connection closed checkpointed the write-ahead log into the file and removed
    # it: the main file alone is the whole database. Make sure, or a copy would miss rows.
    leftovers = sorted(p.name for p in directory.iterdir() if p != path)
    assert not leftovers, f"the SQLite template left {leftovers} beside it"
    _sqlite_template = path
    return path


def new_sqlite_database(path: Path) -> str:
    """A fresh database at ``path`` (a copy of the migrated template); its URL."""
    shutil.copyfile(sqlite_template(), path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with nothing in it but the schema (and default macros/triggers): on
    SQLite a copy of the migrated template file, on PostgreSQL a clone of a template
    database."""
    if request.param == "sqlite":
        yield new_sqlite_database(tmp_path / "test.db")
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


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all (the shared template already has the head schema),
    for the tests that build an older schema and migrate it."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    if PG_URL is None:
        if REQUIRE_PG:
            pytest.fail("AGENT_CONSOLE_REQUIRE_PG is set but AGENT_CONSOLE_TEST_PG_URL is not")
        pytest.skip("PostgreSQL variant: set AGENT_CONSOLE_TEST_PG_URL (CI does)")
    name = "m_" + uuid.uuid4().hex[:12]
    asyncio.run(pg_exec(PG_URL, f"CREATE DATABASE {name}"))
    try:
        yield sa_url(PG_URL, name)
    finally:
        asyncio.run(pg_exec(PG_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


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

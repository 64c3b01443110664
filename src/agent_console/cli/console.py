"""Starting the console: on the configured database, or on a fresh seeded demo database.

Textual is imported only here, inside the functions that start it, so every other command
(and ``import agent_console.cli.main``) stays free of it; the services are imported when a
command opens the database, and the demo package (its seed, its living world, its tour) only
by ``demo``. This is where the demo meets the console: the TUI never imports the demo, it is
handed a world and a tour (see ``tui/extras.py``).
"""

from __future__ import annotations

import contextlib
import gc
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..config import check_keymap, data_dir, normalize_database_url
from ..domain.errors import StoreError
from . import output as out
from .params import json_option, wants_json

if TYPE_CHECKING:
    from ..config import Settings
    from ..demo.driver import DemoDriver
    from ..demo.seed import SeedReport
    from ..demo.tour import TourPlayer
    from ..services.context import Ctx
    from ..services.first_screen import FirstScreen
    from .main import State

DEMO_FILE = "demo.db"
DEMO_AGENT = "dana"
DEMO_GATEWAY_PORT = 8700


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The garbage collector off while the console starts: start-up makes hundreds of
    thousands of objects that live as long as the console (modules, styles, SQLAlchemy's
    metadata), and every full collection walks all of them again -- ~70-100 ms of a start of
    ~0.8 s. The app turns it back on once the agent's sessions are on screen (collecting and
    freezing what start-up made, ``AgentConsoleApp._freeze_start_up``), or on an error screen;
    and it is always back on when the console has closed."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _launch(
    url: str,
    agent: str | None,
    settings: Settings,
    *,
    demo_seed: int | None = None,
    tour: bool = False,
    notice: str | None = None,
    first: FirstScreen | None = None,
) -> None:
    with _collector_paused():
        from agent_console.tui.app import run_console  # Textual loads only when a console starts

        if first is not None:
            run_console(url=url, agent=agent, settings=settings, first_screen=first)
        elif demo_seed is None and not tour and notice is None:
            run_console(url=url, agent=agent, settings=settings)
        else:
            run_console(
                url=url,
                agent=agent,
                settings=settings,
                demo=_living_world(demo_seed),
                tour=_guided_tour(tour),
                notice=notice,
            )


def _living_world(seed: int | None) -> DemoDriver | None:
    """The demo world ticking beside the console (seeded), or None for a still console."""
    if seed is None:
        return None
    from ..demo.driver import DemoDriver

    return DemoDriver(seed)


def _guided_tour(tour: bool) -> TourPlayer | None:
    """The guided tour, which closes the console once it has played, or None."""
    if not tour:
        return None
    from ..demo.tour import TourPlayer

    return TourPlayer(exit_at_end=True)


def _console_settings(state: State) -> Settings:
    """The settings, with ``[keymap]`` checked against the console's bindings: a bad entry is
    one config error (file, key, value) before anything starts. Textual loads only if there
    is a keymap to check."""
    settings = state.settings
    if not settings.keymap:
        return settings
    from agent_console.tui.app import console_keymap

    return check_keymap(settings, console_keymap, state.config_path)


def start(state: State) -> None:
    """``agent-console`` with no command: check the database and the agent, then the console."""
    settings = _console_settings(state)
    url, is_default = state.database()
    agent = state.agent_option or state.settings.agent
    if is_default:
        data_dir().mkdir(mode=0o700, parents=True, exist_ok=True)  # the user's alone

    async def preflight(ctx: Ctx) -> str | None:
        """The agent, checked: on a PostgreSQL deployment with roles, the connection's own
        (or one an admin's login may act as); elsewhere the one named."""
        from ..services.agents import get_agent
        from ..services.logins import acting_agent, roles_set_up

        name = agent
        if name or await roles_set_up(ctx):
            name = await acting_agent(ctx, name)
            await get_agent(ctx, name)
        return name

    with _collector_paused():  # from the check's imports on (see _collector_paused)
        first = _first_screen(url, agent)
        if first is not None:  # the agent exists, the schema is current: no check to make
            state.start_log()
            _launch(url, agent, settings, first=first)
        else:
            _launch(url, state.run(preflight), settings)


def _first_screen(url: str, agent: str | None) -> FirstScreen | None:
    """On a SQLite file: the agent's first screen, read without the database layer (a few
    milliseconds, where loading SQLAlchemy takes ~0.4 s), so the sessions are on screen while
    the console opens the database. None elsewhere, or when the read steps aside (no schema
    yet, an older one, an unknown agent...): the usual path then checks and says why."""
    from ..store.url import DatabaseURL

    path = DatabaseURL(url).sqlite_path
    if not agent or path is None:
        return None
    from ..services.first_screen import first_screen

    return first_screen(path, agent)


def _demo_path() -> Path:
    return data_dir() / DEMO_FILE


def _remove_demo(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        victim = path.with_name(path.name + suffix)
        if victim.is_dir() and not victim.is_symlink():
            raise StoreError(f"cannot make the demo database: {victim} is a directory")
        with contextlib.suppress(FileNotFoundError):
            victim.unlink()


@click.command()
@click.option("--seed", "seed_value", type=int, default=1, show_default=True, help="Random seed.")
@click.option(
    "--agents", type=click.IntRange(1, 26), default=8, show_default=True, help="Agents to create."
)
@click.option(
    "--sessions",
    type=click.IntRange(0, 2_000_000),
    default=300,
    show_default=True,
    help="Sessions to create.",
)
@click.option("--as", "as_agent", metavar="NAME", help=f"Who you are (default: {DEMO_AGENT}).")
@click.option("--no-ui", is_flag=True, help="Only make the database and say what is in it.")
@click.option(
    "--tour",
    is_flag=True,
    help="Play a short guided tour (reply, End Chat, bulk end, Offline, log out), then quit. "
    "Escape stops it and leaves the console to you.",
)
@click.option(
    "--still",
    is_flag=True,
    help="No living world: customers do not write, no work arrives, timers stand still.",
)
@click.option(
    "--gateway",
    "with_gateway",
    is_flag=True,
    help="Also start the channel gateway on 127.0.0.1 with the web chat channels connected to "
    "it, and print the chat page's address: be the customer in a browser.",
)
@click.option(
    "--gateway-port",
    type=click.IntRange(0, 65535),
    default=DEMO_GATEWAY_PORT,
    show_default=True,
    help="Port for --gateway (a free one when it is taken).",
)
@json_option
@click.pass_obj
def demo(
    state: State,
    seed_value: int,
    agents: int,
    sessions: int,
    as_agent: str | None,
    no_ui: bool,
    tour: bool,
    still: bool,
    with_gateway: bool,
    gateway_port: int,
) -> None:
    """Start the console on a fresh, seeded, living demo deployment (DATA_DIR/demo.db).

    Customers write at a readable pace, some go quiet, new work arrives and is routed, and
    R7 timers run out -- the same for the same --seed. The demo database is deleted and made
    again every time; --db is not used.
    """
    if state.db_option is not None:
        raise click.UsageError("demo makes its own database in the data directory; drop --db")
    if tour and no_ui:
        raise click.UsageError("--tour plays in the console; drop --no-ui")
    if with_gateway and no_ui:
        raise click.UsageError(
            "--gateway runs next to the console; for the gateway alone: "
            "agent-console --db PATH gateway"
        )
    settings = state.settings if no_ui else _console_settings(state)
    path = _demo_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _remove_demo(path)
    url = normalize_database_url(str(path))
    agent = as_agent or state.agent_option or DEMO_AGENT
    quiet = wants_json()

    def progress(done: int, total: int) -> None:
        if not quiet:
            out.note(f"seeding: {done}/{total} sessions")

    async def make(ctx: Ctx) -> SeedReport:
        from ..demo.seed import seed
        from ..services.agents import get_agent

        report = await seed(
            ctx, agents=agents, sessions=sessions, seed=seed_value, progress=progress
        )
        await get_agent(ctx, agent)  # an unknown --as fails here, before the console starts
        return report

    report = state.run(make, url=url)
    if no_ui:
        if wants_json():
            out.emit_json(
                {
                    "database": str(path),
                    "url": url,
                    "agent": agent,
                    "agents": report.agents,
                    "sessions": report.sessions,
                    "messages": report.messages,
                    "seconds": round(report.seconds, 3),
                }
            )
            return
        out.say(f"demo database: {out.clean(str(path))}")
        out.pairs(
            [
                ("agents", str(report.agents)),
                ("sessions", str(report.sessions)),
                ("messages", str(report.messages)),
                ("seeded in", f"{report.seconds:.2f} s"),
            ],
            indent="  ",
        )
        again = shlex.join(["agent-console", "--db", str(path), "--as", agent])
        out.say(f"open it: {out.clean(again)}")
        return
    living = None if still else seed_value
    if not with_gateway:
        _launch(url, agent, settings, demo_seed=living, tour=tour)
        return
    from .demo_gateway import demo_gateway

    with demo_gateway(state, url, gateway_port) as chat_url:
        out.note(f"web chat for customers: {chat_url}")
        _launch(
            url,
            agent,
            settings,
            demo_seed=living,
            tour=tour,
            notice=f"Be the customer: open {chat_url} in a browser. Web chat is routed "
            "first: when you are full, end a chat to make room.",
        )


COMMANDS = [demo]

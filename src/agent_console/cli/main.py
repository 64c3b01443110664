"""``agent-console``: the root group, global options, error handling and the service runner.

Exit codes: 0 done; 1 refused or not found (and failed checks); 2 bad usage or bad values.
Every error is one line on stderr -- ``agent-console: error: <message>`` -- with control codes
made visible and database passwords hidden; never a traceback (set ``AGENT_CONSOLE_DEBUG=1``
to see one for an unexpected error).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from ..config import ConfigError, Settings, data_dir, load_settings, resolve_database_url
from ..domain.errors import ConsoleError
from ..domain.text import escape_log
from ..logs import LOG_FILE, setup_logging
from . import console
from .params import JSON_KEY

if TYPE_CHECKING:
    from ..services.context import Ctx

PROG = "agent-console"
DEBUG_ENV = "AGENT_CONSOLE_DEBUG"
T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class State:
    """What every command shares: the global options, the settings and the database URL."""

    db_option: str | None = None
    config_path: Path | None = None
    agent_option: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _url: tuple[str, bool] | None = field(default=None, repr=False)
    #: The agents the command says it acts as (:meth:`claim`).
    claims: list[str] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def database(self) -> tuple[str, bool]:
        """The URL to open and whether it is the default file (whose directory we may create)."""
        if self._url is None:
            url = resolve_database_url(self.db_option, self.settings)
            is_default = self.db_option is None and self.settings.database_url is None
            self._url = (url, is_default)
        return self._url

    @property
    def url(self) -> str:
        return self.database()[0]

    def agent(self, given: str | None) -> str:
        """``--as`` on the command, else the global ``--as``, else ``agent`` in the config;
        on PostgreSQL with roles set up and none of those, the connection's own agent. The
        name is checked against the connection when the command runs (:meth:`run`)."""
        name = given or self.agent_option or self.settings.agent
        if name:
            return self.claim(name)
        from ..store.url import DatabaseURL

        if not DatabaseURL(self.url).is_sqlite:
            from ..services.logins import acting_agent, roles_set_up

            async def own(ctx: Ctx) -> str | None:
                return await acting_agent(ctx, None) if await roles_set_up(ctx) else None

            found = self.run(own)
            if found:
                return found
        raise click.UsageError("say who you are: --as NAME (or set agent in the config file)")

    def claim(self, name: str) -> str:
        """Say the command acts as agent ``name``: on a PostgreSQL deployment with roles, the
        connection must be ``name``'s login (or an admin's) -- :meth:`run` checks it."""
        if name not in self.claims:
            self.claims.append(name)
        return name

    def run(
        self,
        work: Callable[[Ctx], Awaitable[T]],
        *,
        url: str | None = None,
        opener: Callable[..., Awaitable[Ctx]] | None = None,
    ) -> T:
        """Open the services on the database, run ``work``, always dispose of the engine.

        ``opener`` is :func:`open_ctx` (the default: creates the schema on first run) or, for
        ``db upgrade``, ``open_for_upgrade``. Only the default database may have its directory
        created.
        """
        if opener is None:
            from ..services.runtime import open_ctx

            opener = open_ctx
        target, is_default = (url, False) if url is not None else self.database()
        self.start_log()

        async def go() -> T:
            ctx = await opener(
                target,
                busy_timeout_ms=self.settings.busy_timeout_ms,
                create_dir=is_default,
            )
            try:
                if self.claims:
                    from ..services.logins import check_claims

                    await check_claims(ctx, self.claims)
                return await work(ctx)
            finally:
                await ctx.db.dispose()

        return asyncio.run(go())

    def start_log(self) -> None:
        """The log file (``log_level`` from the settings), once per process."""
        setup_logging(self.settings.log_level, data_dir() / LOG_FILE)

    def secrets(self) -> list[str]:
        """Passwords that must never be printed (from whichever URL we were given)."""
        from ..store.url import DatabaseURL

        out = []
        for raw in (self.db_option, self._settings.database_url if self._settings else None):
            if raw and "://" in raw:
                password = DatabaseURL(raw.strip()).password
                if password and len(password) >= 3:
                    out.append(password)
        return out


def _fail(message: str, code: int, state: State | None) -> NoReturn:
    line = escape_log(" ".join(str(message).split()))
    for secret in state.secrets() if state is not None else ():
        line = line.replace(secret, "***")
    log.error("%s (exit %d)", line, code)
    click.echo(f"{PROG}: error: {line}", err=True)
    sys.exit(code)


def _usage_message(exc: click.UsageError) -> str:
    message = exc.format_message()
    if exc.ctx is not None:
        message += f" (see '{exc.ctx.command_path} --help')"
    return message


#: Every command, by name: the module that defines it and its attribute there. A command's
#: module (and the services it uses) is imported only when that command runs or is listed
#: (``--help``): starting the console loads none of the others.
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("console", "demo"),
    "db": ("admin", "db"),
    "seed": ("admin", "seed_cmd"),
    "settings": ("admin", "settings_group"),
    "macro": ("admin", "macro"),
    "trigger": ("admin", "trigger"),
    "agents": ("agents", "agents_group"),
    "audit": ("logins", "audit"),
    "capacity": ("agents", "capacity"),
    "presence": ("presence", "presence"),
    "logout": ("presence", "logout"),
    "floor": ("floor", "floor_cmd"),
    "inbound": ("talk", "inbound"),
    "outbound": ("talk", "outbound"),
    "route": ("talk", "route"),
    "send": ("talk", "send"),
    "sessions": ("sessions", "sessions_group"),
    "channels": ("channels", "channels_group"),
    "gateway": ("gateway", "gateway"),
    "sweep": ("ops", "sweep"),
    "check": ("ops", "check_cmd"),
    "changes": ("ops", "changes"),
    "locate": ("ops", "locate"),
    "quick-replies": ("quick_replies", "quick_replies_group"),
}


class ConsoleGroup(click.Group):
    """The root group: turns every failure into one line on stderr and an exit code, and
    imports a command's module only when the command is asked for (:data:`LAZY_COMMANDS`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        # A command, not the console start: the collector the script paused is on again
        # (cli/entry.py); the console start pauses it itself until its sessions show.
        gc.enable()
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in LAZY_COMMANDS:
            return found
        module, attr = LAZY_COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"{__package__}.{module}"), attr)
        assert isinstance(command, click.Command) and command.name == cmd_name
        self.add_command(command)
        return command

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        state = extra.get("obj")
        if not isinstance(state, State):
            state = extra["obj"] = State()
        try:
            rv = super().main(args, prog_name or PROG, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.format_message())
            sys.exit(0)
        except click.UsageError as exc:
            _fail(_usage_message(exc), 2, state)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code, state)
        except click.Abort:
            _fail("interrupted", 130, state)
        except ConfigError as exc:
            _fail(str(exc), 2, state)
        except ConsoleError as exc:
            _fail(str(exc), exc.exit_code, state)
        except ValueError as exc:
            _fail(str(exc), 2, state)
        except KeyboardInterrupt:
            _fail("interrupted", 130, state)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(1)
        except OSError as exc:
            _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), 1, state)
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            _fail(f"internal error ({type(exc).__name__}): {exc}", 1, state)
        code = rv if isinstance(rv, int) else 0
        if not standalone_mode:
            return code
        sys.exit(code)


@click.group(
    PROG,
    cls=ConsoleGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--db",
    "db",
    metavar="URL",
    help="Database: sqlite+aiosqlite:///PATH, postgresql+asyncpg://... or a file path "
    "(default: AGENT_CONSOLE_DB, the config file, then a SQLite file in the data directory).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file (default: AGENT_CONSOLE_CONFIG, then config.toml in the config directory).",
)
@click.option("--as", "agent", metavar="NAME", help="Who you are (default: agent in the config).")
@click.option(
    "--json", "as_json", is_flag=True, help="Machine-readable output (every command has it)."
)
@click.version_option(package_name="agent-console", prog_name=PROG)
@click.pass_context
def cli(
    ctx: click.Context, db: str | None, config_path: Path | None, agent: str | None, as_json: bool
) -> None:
    """A terminal console for contact-center agents handling customer messaging sessions.

    Without a command, starts the console on the configured database.
    Try `agent-console demo` for a console on a fresh, seeded demo database.
    """
    state = ctx.ensure_object(State)
    state.db_option, state.config_path, state.agent_option = db, config_path, agent
    if agent:  # on a shared deployment, checked against the login whatever the command
        state.claim(agent)
    ctx.meta[JSON_KEY] = as_json
    if ctx.invoked_subcommand is None:
        console.start(state)


def main(argv: Sequence[str] | None = None) -> None:
    """The ``agent-console`` script."""
    cli.main(args=list(argv) if argv is not None else None, prog_name=PROG)


__all__ = ["State", "cli", "main"]

if __name__ == "__main__":
    main()

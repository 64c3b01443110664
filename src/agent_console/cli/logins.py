"""Who is who on a shared PostgreSQL deployment (issue 15): ``db roles``, ``db login``,
``agents passwd``/``disable`` and ``audit``. ``agents add`` gives a new agent its login
(cli/agents.py). Passwords are printed once, to stdout, and never logged."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click

from ..services import logins
from ..services.context import Ctx
from ..store.audit import AuditLine
from . import output as out
from .params import json_option, wants_json

if TYPE_CHECKING:
    from .main import State


def read_password_stdin() -> str:
    """The first line of stdin, without its line end (``--password-stdin``)."""
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.UsageError("--password-stdin: stdin gave no password")
    return line


def show_password(login: str, password: str, *, generated: bool) -> None:
    if wants_json():
        out.emit_json({"login": login, "password": password if generated else None})
        return
    out.say(f"login: {out.cell(login, 63)}")
    if generated:
        out.say(f"password: {password}")
        out.note("the password is shown this once: hand it to its owner now")


@click.command("roles")
@click.option(
    "--prefix",
    metavar="P",
    help="Group roles are named P + agent|ender|admin|gateway|system (default: the "
    "database's name and '_').",
)
@click.option(
    "--login-prefix",
    metavar="L",
    help="Agents' logins are named L + the agent's name (default: as set before; the first "
    "time, the name itself).",
)
@json_option
@click.pass_obj
def db_roles(state: State, prefix: str | None, login_prefix: str | None) -> None:
    """Set up the deployment's roles, privileges and row-level security (PostgreSQL; run as
    the schema's owner, again after each `db upgrade`)."""

    async def work(ctx: Ctx) -> dict[str, str]:
        return await logins.set_up_roles(ctx, prefix, login_prefix)

    groups = state.run(work)
    if wants_json():
        out.emit_json(groups)
        return
    out.say("roles set up; the groups:")
    out.table(("KIND", "ROLE"), sorted(groups.items()))
    out.note("give each agent a login: agent-console agents passwd NAME")


@click.command("login")
@click.argument("kind", type=click.Choice(["gateway", "system"]))
@click.argument("login")
@json_option
@click.pass_obj
def db_login(state: State, kind: str, login: str) -> None:
    """A login for the gateway or the system jobs (routing, timers, sweeps); again: a new
    password. Run as the schema's owner."""

    async def work(ctx: Ctx) -> str:
        return await logins.make_system_login(ctx, kind, login)

    show_password(login, state.run(work), generated=True)


@click.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@json_option
@click.pass_obj
def agents_passwd(state: State, name: str, password_stdin: bool) -> None:
    """A new password for agent NAME's login (generated and shown once unless
    --password-stdin); makes the login if NAME has none. An admin's or the owner's login."""
    given = read_password_stdin() if password_stdin else None

    async def work(ctx: Ctx) -> tuple[str, str]:
        return await logins.set_login_password(ctx, name, given)

    login, password = state.run(work)
    show_password(login, password, generated=given is None)


@click.command("disable")
@click.argument("name")
@json_option
@click.pass_obj
def agents_disable(state: State, name: str) -> None:
    """Take agent NAME's login away: no new connection, and its open ones end now."""

    async def work(ctx: Ctx) -> str:
        return await logins.disable_login(ctx, name)

    login = state.run(work)
    if wants_json():
        out.emit_json({"agent": name, "login": login, "disabled": True})
        return
    out.say(f"{out.cell(name, 120)}: login {out.cell(login, 63)} disabled")


def _since(text: str) -> datetime:
    """``--since``: an ISO time, or a duration back from now (``2h``, ``1d``)."""
    from .params import DURATION, MOMENT

    try:
        back: timedelta = DURATION.convert(text, None, None)
    except click.BadParameter:
        return MOMENT.convert(text, None, None)
    return datetime.now(UTC) - back


@click.command("audit")
@click.option(
    "--since",
    "since_text",
    default="1d",
    show_default=True,
    metavar="WHEN",
    help="An ISO time or how long back (30m, 2h, 1d).",
)
@click.option("--limit", type=click.IntRange(1, 100_000), default=1000, show_default=True)
@json_option
@click.pass_obj
def audit(state: State, since_text: str, limit: int) -> None:
    """Ends, setting changes, transfers, supervisors' presence changes and logins since WHEN,
    each with the database role that made it ("-" on SQLite)."""
    since = _since(since_text)

    async def work(ctx: Ctx) -> list[AuditLine]:
        return await logins.audit_since(ctx, since, limit)

    lines = state.run(work)
    if wants_json():
        out.emit_json(lines)
        return
    if not lines:
        out.say(f"nothing recorded since {since:%Y-%m-%d %H:%M} UTC")
        return
    out.table(
        ("AT (UTC)", "DB ROLE", "BY", "ACTION", "TARGET", "DETAIL"),
        (
            (
                f"{a.at:%Y-%m-%d %H:%M:%S}",
                out.cell(a.db_role or "-", 40),
                out.cell(a.actor, 40),
                a.action,
                out.cell(a.target, 40),
                out.cell(a.detail, 80),
            )
            for a in lines
        ),
    )


COMMANDS = [audit]

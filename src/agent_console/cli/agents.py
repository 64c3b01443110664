"""Agents: ``agents add|set|list|show`` and the ``capacity`` ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..domain.presence import presence_label
from ..domain.vocab import Permission
from ..services import agents as svc
from ..services import logins
from ..services.capacity import ledger
from ..services.context import Ctx
from ..services.views import AgentView, Ledger
from . import output as out
from .logins import agents_disable, agents_passwd, read_password_stdin, show_password
from .params import json_option, wants_json

if TYPE_CHECKING:
    from .main import State

PERMISSIONS = ", ".join(p.value for p in Permission)


def _print_agent(a: AgentView) -> None:
    rows = [
        ("agent", out.cell(a.name, 120)),
        (
            "presence",
            out.cell(presence_label(a.presence, a.away_reason), 60)
            + ("" if a.logged_in else " (logged out)"),
        ),
    ]
    if a.presence_by is not None:  # a supervisor set it: who, and why
        why = f": {out.cell(a.presence_note, 200)}" if a.presence_note else ""
        rows.append(("set by", out.cell(a.presence_by, 120) + why))
    rows += [
        ("capacity", f"{a.used}/{a.capacity} units used"),
        ("admin", "yes" if a.is_admin else "no"),
        ("permissions", ", ".join(a.permissions) or "none"),
    ]
    out.pairs(rows)


@click.group("agents")
def agents_group() -> None:
    """Agents, their capacity and permissions."""


@agents_group.command("add")
@click.argument("name")
@click.option("--capacity", type=int, default=5, show_default=True, help="Units of work at once.")
@click.option("--perm", "perms", multiple=True, metavar="P", help=f"Grant P: {PERMISSIONS}.")
@click.option("--admin", is_flag=True, help="Make the agent an admin.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="With roles set up (PostgreSQL): the login's password from stdin, not generated.",
)
@json_option
@click.pass_obj
def agents_add(
    state: State,
    name: str,
    capacity: int,
    perms: tuple[str, ...],
    admin: bool,
    password_stdin: bool,
) -> None:
    """Add agent NAME (Offline, logged out). On a PostgreSQL deployment with roles set up
    (`db roles`), NAME also gets a login, whose generated password is printed once."""
    given = read_password_stdin() if password_stdin else None

    async def work(ctx: Ctx) -> tuple[AgentView, tuple[str, str] | None]:
        wanted = logins.LoginWanted(given) if await logins.roles_set_up(ctx) else None
        agent = await svc.add_agent(
            ctx, name, capacity=capacity, permissions=perms, is_admin=admin, login=wanted
        )
        return agent, wanted.made if wanted is not None else None

    agent, login = state.run(work)
    if wants_json():
        out.emit_json(agent)
        if login is not None and given is None:
            out.emit_json({"login": login[0], "password": login[1]})
        return
    out.say(f"added {out.cell(agent.name, 120)}")
    _print_agent(agent)
    if login is not None:
        show_password(*login, generated=given is None)


agents_group.add_command(agents_passwd)
agents_group.add_command(agents_disable)


@agents_group.command("set")
@click.argument("name")
@click.option("--capacity", type=int, help="Units of work at once.")
@click.option("--grant", multiple=True, metavar="P", help=f"Grant P: {PERMISSIONS}.")
@click.option("--revoke", multiple=True, metavar="P", help="Revoke P.")
@click.option("--admin/--no-admin", default=None, help="Make or unmake an admin.")
@json_option
@click.pass_obj
def agents_set(
    state: State,
    name: str,
    capacity: int | None,
    grant: tuple[str, ...],
    revoke: tuple[str, ...],
    admin: bool | None,
) -> None:
    """Change agent NAME's capacity, permissions or admin flag."""

    async def work(ctx: Ctx) -> AgentView:
        return await svc.set_agent(
            ctx, name, capacity=capacity, grant=grant, revoke=revoke, is_admin=admin
        )

    agent = state.run(work)
    if wants_json():
        out.emit_json(agent)
        return
    _print_agent(agent)


@agents_group.command("list")
@json_option
@click.pass_obj
def agents_list(state: State) -> None:
    """Every agent with presence, capacity and permissions."""
    found = state.run(svc.list_agents)
    if wants_json():
        out.emit_json(found)
        return
    if not found:
        out.say("no agents yet: agent-console agents add NAME")
        return
    out.table(
        ("AGENT", "PRESENCE", "USED", "ADMIN", "PERMISSIONS"),
        (
            (
                out.cell(a.name, 30),
                out.cell(presence_label(a.presence, a.away_reason), 40)
                + ("" if a.logged_in else " (out)"),
                f"{a.used}/{a.capacity}",
                "yes" if a.is_admin else "-",
                ", ".join(a.permissions) or "-",
            )
            for a in found
        ),
    )


@agents_group.command("show")
@click.argument("name")
@json_option
@click.pass_obj
def agents_show(state: State, name: str) -> None:
    """One agent."""

    async def work(ctx: Ctx) -> AgentView:
        return await svc.get_agent(ctx, name)

    agent = state.run(work)
    if wants_json():
        out.emit_json(agent)
        return
    _print_agent(agent)


@click.command("capacity")
@click.argument("name")
@json_option
@click.pass_obj
def capacity(state: State, name: str) -> None:
    """What consumes agent NAME's capacity, how much, and why."""

    async def work(ctx: Ctx) -> Ledger:
        return await ledger(ctx, name)

    led = state.run(work)
    if wants_json():
        out.emit_json(led)  # {"agent", "capacity", "used", "items": [...]}
        return
    out.say(f"{out.cell(led.agent, 120)}: {led.used}/{led.capacity} units used")
    if led.items:
        out.table(
            ("SESSION", "UNITS", "STATUS", "WHY"),
            ((out.sid(i.session_id), str(i.units), i.status, i.why) for i in led.items),
            indent="  ",
        )


COMMANDS = [agents_group, capacity]

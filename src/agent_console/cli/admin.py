"""Deployment commands: ``db upgrade``, ``seed``, ``settings``, ``macro``, ``trigger``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..demo.seed import SeedReport, seed
from ..services import automation, settings
from ..services.context import Ctx
from ..services.runtime import open_for_upgrade, upgrade_db
from ..services.views import EndResult, MacroResult, SettingView
from . import output as out
from .logins import db_login, db_roles
from .params import SESSION_ID, as_option, json_option, wants_json

if TYPE_CHECKING:
    from .main import State


@click.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option(
    "--legacy-messaging",
    is_flag=True,
    help="Messaging was enabled before 'agents can end sessions' existed (R8: default off).",
)
@json_option
@click.pass_obj
def db_upgrade(state: State, legacy_messaging: bool) -> None:
    """Create or migrate the schema to the newest revision."""

    async def work(ctx: Ctx) -> str:
        return await upgrade_db(ctx, legacy_messaging=legacy_messaging)

    revision = state.run(work, opener=open_for_upgrade)
    if wants_json():
        out.emit_json({"revision": revision, "legacy_messaging": legacy_messaging})
        return
    out.say(f"database at schema {revision}")
    if legacy_messaging:
        out.say("marked as legacy messaging: agents cannot end sessions unless an admin allows it")


db.add_command(db_roles)
db.add_command(db_login)


@click.command("seed")
@click.option("--agents", type=click.IntRange(1, 26), default=8, show_default=True)
@click.option("--sessions", type=click.IntRange(0, 2_000_000), default=300, show_default=True)
@click.option("--seed", "seed_value", type=int, default=1, show_default=True, help="Random seed.")
@json_option
@click.pass_obj
def seed_cmd(state: State, agents: int, sessions: int, seed_value: int) -> None:
    """Add demo agents (dana is the admin) and sessions in every state."""
    quiet = wants_json()

    def progress(done: int, total: int) -> None:
        if not quiet:
            out.note(f"seeding: {done}/{total} sessions")

    async def work(ctx: Ctx) -> SeedReport:
        return await seed(ctx, agents=agents, sessions=sessions, seed=seed_value, progress=progress)

    report = state.run(work)
    if wants_json():
        out.emit_json(report)
        return
    out.say(
        f"seeded {out.plural(report.agents, 'agent')}, {out.plural(report.sessions, 'session')}, "
        f"{out.plural(report.messages, 'message')} in {report.seconds:.2f} s"
    )


@click.group("settings")
def settings_group() -> None:
    """Admin settings: R8, R9, capacity model and units, away reasons."""


@settings_group.command("list")
@json_option
@click.pass_obj
def settings_list(state: State) -> None:
    """Every setting, its value and its default (* = set by an admin)."""
    views = state.run(settings.list_settings)
    if wants_json():
        out.emit_json(views)
        return
    out.table(
        ("KEY", "VALUE", "DEFAULT", "DESCRIPTION"),
        ((v.key, v.value + (" *" if v.explicit else ""), v.default, v.description) for v in views),
    )


@settings_group.command("set")
@click.argument("key")
@click.argument("value")
@as_option
@json_option
@click.pass_obj
def settings_set(state: State, key: str, value: str, as_agent: str | None) -> None:
    """Set KEY to VALUE ("default" removes the admin's value). Admins only."""
    admin = state.agent(as_agent)

    async def work(ctx: Ctx) -> SettingView:
        return await settings.set_setting(ctx, key, value, admin=admin)

    view = state.run(work)
    if wants_json():
        out.emit_json(view)
        return
    out.say(f"{view.key} = {view.value}" + ("" if view.explicit else " (default)"))
    if view.note:
        out.say(view.note)


@click.group()
def macro() -> None:
    """Macros: one action bundling several steps (R10)."""


@macro.command("list")
@json_option
@click.pass_obj
def macro_list(state: State) -> None:
    """The macros an agent can run."""
    macros = state.run(automation.list_macros)
    if wants_json():
        out.emit_json([{"name": n, "description": d} for n, d in macros])
        return
    out.table(("MACRO", "DESCRIPTION"), ((out.cell(n), out.cell(d, 80)) for n, d in macros))


@macro.command("run")
@click.argument("name")
@click.argument("session_id", metavar="ID", type=SESSION_ID)
@as_option
@json_option
@click.pass_obj
def macro_run(state: State, name: str, session_id: int, as_agent: str | None) -> None:
    """Run macro NAME on session ID; every step says done or skipped, and why."""
    agent = state.agent(as_agent)

    async def work(ctx: Ctx) -> MacroResult:
        return await automation.run_macro(ctx, name, session_id, as_agent=agent)

    result = state.run(work)
    if wants_json():
        out.emit_json(result)
        return
    out.say(f"{out.cell(result.macro)} on {out.sid(result.session_id)}:")
    out.table(
        ("STEP", "RESULT", "REASON"),
        ((s.step, s.result, out.cell(s.reason, 100)) for s in result.steps),
        indent="  ",
    )
    if result.triggers:
        out.say("triggers:")
        for r in result.triggers:
            out.say(f"  {out.sid(r.session_id)}  {r.result}  {out.cell(r.reason, 100)}")


@click.group()
def trigger() -> None:
    """Triggers: rules run on an event (R10)."""


@trigger.command("list")
@json_option
@click.pass_obj
def trigger_list(state: State) -> None:
    """The triggers and the events they run on."""
    triggers = state.run(automation.list_triggers)
    if wants_json():
        out.emit_json([{"name": n, "event": e, "enabled": on} for n, e, on in triggers])
        return
    out.table(
        ("TRIGGER", "EVENT", "ENABLED"),
        ((out.cell(n, 60), e, "yes" if on else "no") for n, e, on in triggers),
    )


@trigger.command("fire")
@click.argument("event")
@click.argument("session_id", metavar="ID", type=SESSION_ID)
@json_option
@click.pass_obj
def trigger_fire(state: State, event: str, session_id: int) -> None:
    """Fire EVENT (e.g. escalated) for session ID, as the ticketing system would."""

    async def work(ctx: Ctx) -> list[EndResult]:
        return await automation.fire_trigger(ctx, event, session_id)

    results = state.run(work)
    ended, skipped = out.end_totals(results)
    if wants_json():
        out.emit_json(
            {"event": event, "session_id": session_id, "ended": ended, "skipped": skipped,
             "results": results}
        )  # fmt: skip
        return
    if not results:
        out.say(f"no enabled trigger runs on {out.cell(event)}")
        return
    out.end_results(results)


COMMANDS = [db, seed_cmd, settings_group, macro, trigger]

"""``quick-replies list | show | add | edit | remove``: canned texts agents insert (admins write).

A text's placeholders are ``{customer}``, ``{agent}`` and ``{channel}``; ``{{`` and ``}}`` write
a literal brace. An unknown placeholder is refused with the reason (exit 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..domain.quick_replies import PLACEHOLDERS
from ..services import quick_replies as svc
from ..services.context import Ctx
from ..services.views import QuickReplyView
from . import output as out
from .params import SESSION_ID, as_option, json_option, wants_json

if TYPE_CHECKING:
    from .main import State

HOLDERS = ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def _print(reply: QuickReplyView) -> None:
    out.pairs(
        [
            ("quick reply", out.cell(reply.name, 120)),
            ("placeholders", ", ".join(reply.placeholders) or "none"),
            ("updated", f"{out.when(reply.updated_at)} by {out.cell(reply.updated_by, 60)}"),
        ]
    )
    out.say(out.clean(reply.text))


@click.group("quick-replies")
def quick_replies_group() -> None:
    """Quick replies: canned texts with placeholders agents insert into the composer (f4)."""


@quick_replies_group.command("list")
@json_option
@click.pass_obj
def list_cmd(state: State) -> None:
    """Every quick reply and its text."""
    found = state.run(svc.list_quick_replies)
    if wants_json():
        out.emit_json(found)
        return
    if not found:
        out.say('no quick replies yet: agent-console quick-replies add NAME "TEXT" --as ADMIN')
        return
    out.table(("NAME", "TEXT"), ((out.cell(r.name, 40), out.cell(r.text, 80)) for r in found))


@quick_replies_group.command("show")
@click.argument("name")
@click.option(
    "--session",
    "session_id",
    type=SESSION_ID,
    help="Show the text filled for this session (and the agent of --as).",
)
@as_option
@json_option
@click.pass_obj
def show_cmd(state: State, name: str, session_id: int | None, as_agent: str | None) -> None:
    """Quick reply NAME; with --session, the text as the console would insert it."""
    agent = state.agent(as_agent) if session_id is not None else None

    async def work(ctx: Ctx) -> tuple[QuickReplyView, str | None]:
        reply = await svc.get_quick_reply(ctx, name)
        if session_id is None or agent is None:
            return reply, None
        return reply, await svc.fill_quick_reply(ctx, reply.name, session_id, agent)

    reply, filled = state.run(work)
    if wants_json():
        out.emit_json({"quick_reply": reply, "filled": filled})
        return
    _print(reply)
    if filled is not None:
        out.say(f"filled for {out.sid(session_id or 0)}:")
        out.say(out.clean(filled))


@quick_replies_group.command("add")
@click.argument("name")
@click.argument("text")
@as_option
@json_option
@click.pass_obj
def add_cmd(state: State, name: str, text: str, as_agent: str | None) -> None:
    """Add quick reply NAME with TEXT. Admins only."""
    admin = state.agent(as_agent)

    async def work(ctx: Ctx) -> QuickReplyView:
        return await svc.add_quick_reply(ctx, name, text, admin=admin)

    reply = state.run(work)
    if wants_json():
        out.emit_json(reply)
        return
    out.say(f"added {out.cell(reply.name, 120)}")


@quick_replies_group.command("edit")
@click.argument("name")
@click.option("--name", "new_name", metavar="NEW", help="Rename it.")
@click.option("--text", metavar="TEXT", help=f"Its new text (placeholders: {HOLDERS}).")
@as_option
@json_option
@click.pass_obj
def edit_cmd(
    state: State, name: str, new_name: str | None, text: str | None, as_agent: str | None
) -> None:
    """Rename quick reply NAME or change its text. Admins only."""
    if new_name is None and text is None:
        raise click.UsageError("nothing to change: give --name NEW and/or --text TEXT")
    admin = state.agent(as_agent)

    async def work(ctx: Ctx) -> QuickReplyView:
        return await svc.edit_quick_reply(ctx, name, admin=admin, new_name=new_name, text=text)

    reply = state.run(work)
    if wants_json():
        out.emit_json(reply)
        return
    out.say(f"saved {out.cell(reply.name, 120)}")


@quick_replies_group.command("remove")
@click.argument("name")
@as_option
@json_option
@click.pass_obj
def remove_cmd(state: State, name: str, as_agent: str | None) -> None:
    """Remove quick reply NAME. Admins only."""
    admin = state.agent(as_agent)

    async def work(ctx: Ctx) -> QuickReplyView:
        return await svc.remove_quick_reply(ctx, name, admin=admin)

    reply = state.run(work)
    if wants_json():
        out.emit_json(reply)
        return
    out.say(f"removed {out.cell(reply.name, 120)}")


COMMANDS = [quick_replies_group]

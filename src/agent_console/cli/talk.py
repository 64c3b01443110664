"""Conversations from the shell: ``inbound``, ``outbound``, ``route``, ``send``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..domain.channels import CHANNELS_BY_ID, channel
from ..services import conversations as svc
from ..services.context import Ctx
from ..services.routing import route as route_svc
from ..services.views import Assignment, InboundResult
from . import output as out
from .params import SESSION_ID, as_option, json_option, wants_json

if TYPE_CHECKING:
    from .main import State

CHANNEL_HELP = "Channel id: " + ", ".join(CHANNELS_BY_ID)


def _print_started(r: InboundResult) -> None:
    out.say(f"{out.sid(r.session_id)}  {r.status}  {out.cell(r.note, 100)}")


@click.command("inbound")
@click.option("--customer", required=True, metavar="C", help="The customer writing in.")
@click.option("--channel", "channel_id", required=True, metavar="CH", help=CHANNEL_HELP)
@click.option("--text", required=True, metavar="T", help="The message.")
@json_option
@click.pass_obj
def inbound(state: State, customer: str, channel_id: str, text: str) -> None:
    """A customer message: joins their live session on the channel or starts a new one."""
    channel(channel_id)  # an unknown channel is bad usage (exit 2) before the database opens

    async def work(ctx: Ctx) -> InboundResult:
        return await svc.inbound(ctx, customer, channel_id, text)

    result = state.run(work)
    if wants_json():
        out.emit_json(result)
        return
    _print_started(result)


@click.command("outbound")
@as_option
@click.option("--customer", required=True, metavar="C", help="The customer to write to.")
@click.option("--channel", "channel_id", required=True, metavar="CH", help=CHANNEL_HELP)
@click.option("--text", required=True, metavar="T", help="The first message.")
@json_option
@click.pass_obj
def outbound(state: State, as_agent: str | None, customer: str, channel_id: str, text: str) -> None:
    """An agent-initiated session (it ends by itself if the customer never answers: R7)."""
    agent = state.agent(as_agent)
    channel(channel_id)

    async def work(ctx: Ctx) -> InboundResult:
        return await svc.outbound(ctx, agent, customer, channel_id, text)

    result = state.run(work)
    if wants_json():
        out.emit_json(result)
        return
    _print_started(result)


@click.command("route")
@click.option("--limit", type=click.IntRange(min=1), help="Assign at most N sessions.")
@json_option
@click.pass_obj
def route(state: State, limit: int | None) -> None:
    """Assign waiting sessions to Online agents with free capacity."""

    async def work(ctx: Ctx) -> list[Assignment]:
        return await route_svc(ctx, limit=limit)

    assigned = state.run(work)
    if wants_json():
        out.emit_json({"assigned": assigned, "count": len(assigned)})
        return
    for a in assigned:
        out.say(f"{out.sid(a.session_id)} -> {out.cell(a.agent, 60)}")
    out.say(f"routed {out.plural(len(assigned), 'session')}")


@click.command("send")
@as_option
@click.argument("session_id", metavar="ID", type=SESSION_ID)
@click.argument("text")
@json_option
@click.pass_obj
def send(state: State, as_agent: str | None, session_id: int, text: str) -> None:
    """The owner replies TEXT in session ID."""
    agent = state.agent(as_agent)

    async def work(ctx: Ctx) -> int:
        return await svc.send(ctx, agent, session_id, text)

    message_id = state.run(work)
    if wants_json():
        out.emit_json({"session_id": session_id, "message_id": message_id, "author": agent})
        return
    out.say(f"sent to {out.sid(session_id)} (message {message_id})")


COMMANDS = [inbound, outbound, route, send]

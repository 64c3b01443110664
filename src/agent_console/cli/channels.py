"""``channels connect | list | disconnect``: where each channel's events go (admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..domain.channels import channel
from ..services import channels as svc
from ..services.context import Ctx
from ..services.views import ChannelView, ConnectResult
from . import output as out
from .params import as_option, json_option, wants_json

if TYPE_CHECKING:
    from .main import State


@click.group("channels")
def channels_group() -> None:
    """Connect channels to the gateway: inbound messages in, agent replies and ends out."""


def _channel_arg(value: str) -> str:
    channel(value)  # an unknown channel is bad usage (exit 2) before the database opens
    return value


@channels_group.command("connect")
@click.argument("channel_id", metavar="CHANNEL")
@click.option(
    "--webhook-url", required=True, metavar="URL", help="Where this channel's events are POSTed."
)
@click.option(
    "--secret",
    metavar="S",
    help="The signing secret (whsec_<base64>); without it a new one is made and printed once.",
)
@as_option
@json_option
@click.pass_obj
def connect(
    state: State, channel_id: str, webhook_url: str, secret: str | None, as_agent: str | None
) -> None:
    """Connect CHANNEL (or point it at a new URL / secret). Admins only."""
    _channel_arg(channel_id)
    admin = state.agent(as_agent)
    svc.check_webhook_url(webhook_url)

    async def work(ctx: Ctx) -> ConnectResult:
        return await svc.connect(ctx, channel_id, webhook_url, secret=secret, admin=admin)

    result = state.run(work)
    if wants_json():
        out.emit_json({"channel": result.channel, "secret": result.secret})
        return
    view = result.channel
    out.say(f"{view.channel} connected: events go to {out.cell(view.webhook_url, 200)}")
    if result.secret is not None:
        out.say(f"signing secret (shown this once, keep it safe): {result.secret}")


@channels_group.command("disconnect")
@click.argument("channel_id", metavar="CHANNEL")
@as_option
@json_option
@click.pass_obj
def disconnect(state: State, channel_id: str, as_agent: str | None) -> None:
    """Disconnect CHANNEL: no more events are written for it; its undelivered ones wait."""
    _channel_arg(channel_id)
    admin = state.agent(as_agent)

    async def work(ctx: Ctx) -> ChannelView:
        return await svc.disconnect(ctx, channel_id, admin=admin)

    view = state.run(work)
    if wants_json():
        out.emit_json(view)
        return
    waiting = view.pending + view.retrying
    tail = f"; {out.plural(waiting, 'event')} wait for it to be connected again" if waiting else ""
    out.say(f"{view.channel} disconnected{tail}")


@channels_group.command("list")
@json_option
@click.pass_obj
def list_cmd(state: State) -> None:
    """Every channel, its connection (never the secret) and its undelivered events."""
    views = state.run(svc.list_channels)
    if wants_json():
        out.emit_json(views)
        return
    out.table(
        ("CHANNEL", "CONNECTED", "WEBHOOK", "PENDING", "RETRYING", "FAILED"),
        (
            (
                v.channel,
                out.when(v.connected_at) + f" by {out.cell(v.connected_by, 30)}"
                if v.connected
                else "no",
                out.cell(v.webhook_url, 60),
                str(v.pending),
                str(v.retrying),
                str(v.failed),
            )
            for v in views
        ),
    )


COMMANDS = [channels_group]

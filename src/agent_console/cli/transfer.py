"""``sessions transfer``: hand a session to another agent or back to the queue (issue 11)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..services import transfer as transfers
from ..services.views import TransferOptions, TransferResult, to_json
from ..services.wording import transfer_outcome
from . import output as out
from .params import SESSION_ID, as_option, json_option, wants_json

if TYPE_CHECKING:
    from .main import State


def _print_options(opts: TransferOptions) -> None:
    s = opts.session
    out.say(f"{s.label}  {s.status}  {out.cell(s.channel_name, 40)}  owner {out.cell(s.owner)}")
    if not opts.allowed:
        out.say(f"cannot be transferred: {out.cell(opts.reason, 200)}")
    units = out.plural(opts.units, "unit")
    offered = [t for t in opts.targets if t.eligible]
    if offered:
        out.say(f"can receive it ({units}):")
        out.table(
            ("AGENT", "FREE", "USED"),
            ((out.cell(t.name), str(t.free), f"{t.used}/{t.capacity}") for t in offered),
            indent="  ",
        )
    else:
        out.say(f"nobody can receive it now ({units} needed); --queue sends it back to the queue")
    others = [t for t in opts.targets if not t.eligible]
    if others:
        out.say("not offered:")
        for t in others:
            out.say(f"  {out.cell(t.line, 120)}")


@click.command("transfer")
@click.argument("session_id", metavar="ID", type=SESSION_ID)
@click.option("--to", "to", metavar="NAME", help="The agent who takes the session.")
@click.option("--queue", is_flag=True, help="Back to the queue (Waiting, unowned).")
@click.option(
    "--from",
    "expected_owner",
    metavar="NAME",
    help="Only if NAME still owns it (refused if it changed hands meanwhile).",
)
@click.option(
    "--list", "list_only", is_flag=True, help="Who can receive it and why not; no change."
)
@as_option
@json_option
@click.pass_obj
def transfer_command(
    state: State,
    session_id: int,
    to: str | None,
    queue: bool,
    expected_owner: str | None,
    list_only: bool,
    as_agent: str | None,
) -> None:
    """Transfer session ID to agent --to NAME, or back to the --queue.

    Only an Active session, by its owner (or an admin); the receiver must be Online, have the
    channel's permissions and free capacity. Capacity moves with the session; an internal
    system line records it. --list shows who can receive it and why the others cannot.
    """
    agent = state.agent(as_agent)
    if list_only:
        if to is not None or queue:
            raise click.UsageError("--list changes nothing: give it without --to or --queue")
        opts: TransferOptions = state.run(
            lambda ctx: transfers.transfer_options(ctx, agent, session_id)
        )
        if wants_json():
            out.emit_json(opts)
        else:
            _print_options(opts)
        return
    if (to is None) == (not queue):
        raise click.UsageError("say where: --to NAME or --queue (one of them)")
    result: TransferResult = state.run(
        lambda ctx: transfers.transfer(ctx, agent, session_id, to, expected_owner=expected_owner)
    )
    if wants_json():
        out.emit_json(to_json(result))
        return
    out.say(out.clean(transfer_outcome(result)))

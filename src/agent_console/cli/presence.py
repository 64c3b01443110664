"""Omni presence (R5) and logout (R6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..domain.errors import Refused
from ..domain.presence import presence_label
from ..services import presence as svc
from ..services.context import Ctx
from ..services.views import LogoutPreview, LogoutResult, PresenceResult
from . import output as out
from .params import json_option, wants_json

if TYPE_CHECKING:
    from .main import State


@click.command("presence")
@click.argument("name")
@click.argument("status", metavar="online|busy|offline")
@click.option(
    "--reason",
    metavar="REASON",
    help="With busy: why you are away (one of the presence.away_reasons setting, e.g. Lunch).",
)
@click.option("--dry-run", is_flag=True, help="Say what would happen; change nothing.")
@json_option
@click.pass_obj
def presence(state: State, name: str, status: str, reason: str | None, dry_run: bool) -> None:
    """Set agent NAME's presence (going Offline: R5 says what happens to each session).

    Busy with --reason is shown as "Away: REASON"; an unknown reason is refused with the list.
    """
    target = svc.parse_presence(status)

    async def work(ctx: Ctx) -> PresenceResult:
        return await svc.set_presence(ctx, name, target, reason=reason, dry_run=dry_run)

    result = state.run(work)
    if wants_json():
        out.emit_json(result)
        return
    verb = "would go" if dry_run else "went"
    before = presence_label(result.before, result.reason_before)
    after = presence_label(result.after, result.reason_after)
    out.say(f"{out.cell(result.agent, 120)} {verb} {out.cell(before, 60)} -> {out.cell(after, 60)}")
    if result.effects:
        out.table(
            ("SESSION", "EFFECT"),
            ((out.sid(e.session_id), e.effect) for e in result.effects),
            indent="  ",
        )
    elif dry_run:
        out.say("  no session is affected")
    for a in result.rerouted:
        out.say(f"  routed {out.sid(a.session_id)} to {out.cell(a.agent, 60)}")


def _print_preview(preview: LogoutPreview) -> None:
    out.say(preview.warning)
    if preview.sessions:
        out.table(
            ("SESSION", "STATUS", "CHANNEL", "CUSTOMER"),
            (
                (s.label, s.status, s.channel_name, out.cell(s.customer, 30))
                for s in preview.sessions
            ),
            indent="  ",
        )
    out.say(f"CSAT: {preview.csat}")


@click.command("logout")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Show the warning and the sessions; change nothing.")
@click.option("--yes", is_flag=True, help="Confirm: end every ongoing session and log out.")
@json_option
@click.pass_obj
def logout(state: State, name: str, dry_run: bool, yes: bool) -> None:
    """Log agent NAME out of Omni: every ongoing session ends (R6).

    Without --yes it only warns, lists the sessions and exits 1.
    """
    if dry_run and yes:
        raise click.UsageError("--dry-run and --yes contradict each other")

    if not yes:

        async def look(ctx: Ctx) -> LogoutPreview:
            return await svc.logout_preview(ctx, name)

        preview = state.run(look)
        if wants_json():
            out.emit_json(preview)
        else:
            _print_preview(preview)
        if not dry_run:
            n = len(preview.sessions)
            raise Refused(
                f"not logged out: that would end {out.plural(n, 'session')}; "
                "confirm with --yes (or preview with --dry-run)"
            )
        return

    async def work(ctx: Ctx) -> LogoutResult:
        return await svc.logout(ctx, name, confirmed=True)

    result = state.run(work)
    if wants_json():
        out.emit_json(result)
        return
    ended, skipped = out.end_totals(result.results)
    out.say(f"{out.cell(result.agent, 120)} logged out: Offline")
    if result.results:
        out.end_results(result.results)
    out.say(
        f"{ended} ended, {skipped} skipped; {out.plural(result.tabs_closed, 'tab')} closed, "
        f"{out.plural(result.units_freed, 'unit')} freed"
    )


COMMANDS = [presence, logout]

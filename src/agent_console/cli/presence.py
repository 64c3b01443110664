"""Omni presence (R5) and logout (R6), by the agent or by a supervisor (``--by``)."""

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

by_option = click.option(
    "--by",
    metavar="ADMIN",
    help="A supervisor (an admin) acting on agent NAME; NAME sees who and the --note.",
)


def _by_note(by: str | None, note: str | None) -> str:
    """`` (by sam: Coaching)`` after a supervisor's change; nothing after the agent's own."""
    if by is None:
        return ""
    return f" (by {out.cell(by, 120)}" + (f": {out.cell(note, 200)})" if note else ")")


@click.command("presence")
@click.argument("name")
@click.argument("status", metavar="online|busy|offline")
@click.option(
    "--reason",
    metavar="REASON",
    help="With busy: why you are away (one of the presence.away_reasons setting, e.g. Lunch).",
)
@click.option("--dry-run", is_flag=True, help="Say what would happen; change nothing.")
@by_option
@click.option("--note", metavar="TEXT", help="With --by: why (optional; the agent sees it).")
@json_option
@click.pass_obj
def presence(
    state: State,
    name: str,
    status: str,
    reason: str | None,
    dry_run: bool,
    by: str | None,
    note: str | None,
) -> None:
    """Set agent NAME's presence (going Offline: R5 says what happens to each session).

    Busy with --reason is shown as "Away: REASON"; an unknown reason is refused with the list.
    With --by an admin sets it for NAME (NAME's console shows who, and the --note).
    """
    target = svc.parse_presence(status)
    state.claim(by or name)  # on a shared deployment: NAME's login, or an admin's

    async def work(ctx: Ctx) -> PresenceResult:
        return await svc.set_presence(
            ctx, name, target, reason=reason, dry_run=dry_run, by=by, note=note
        )

    result = state.run(work)
    if wants_json():
        out.emit_json(result)
        return
    verb = "would go" if dry_run else "went"
    before = presence_label(result.before, result.reason_before)
    after = presence_label(result.after, result.reason_after)
    out.say(
        f"{out.cell(result.agent, 120)} {verb} {out.cell(before, 60)} -> {out.cell(after, 60)}"
        + _by_note(result.by, result.note)
    )
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
@by_option
@click.option("--note", metavar="TEXT", help="With --by: why (required; the agent sees it).")
@json_option
@click.pass_obj
def logout(
    state: State, name: str, dry_run: bool, yes: bool, by: str | None, note: str | None
) -> None:
    """Log agent NAME out of Omni: every ongoing session ends (R6).

    Without --yes it only warns, lists the sessions and exits 1. With --by an admin logs NAME
    out and must say why (--note): NAME's console shows it, and the end records carry it.
    """
    if dry_run and yes:
        raise click.UsageError("--dry-run and --yes contradict each other")

    state.claim(by or name)  # on a shared deployment: NAME's login, or an admin's
    if not yes:

        async def look(ctx: Ctx) -> LogoutPreview:
            return await svc.logout_preview(ctx, name, by=by)

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
        return await svc.logout(ctx, name, confirmed=True, by=by, note=note)

    result = state.run(work)
    if wants_json():
        out.emit_json(result)
        return
    ended, skipped = out.end_totals(result.results)
    out.say(f"{out.cell(result.agent, 120)} logged out: Offline" + _by_note(result.by, result.note))
    if result.results:
        out.end_results(result.results)
    out.say(
        f"{ended} ended, {skipped} skipped; {out.plural(result.tabs_closed, 'tab')} closed, "
        f"{out.plural(result.units_freed, 'unit')} freed"
    )


COMMANDS = [presence, logout]

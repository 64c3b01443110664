"""Operations: ``sweep`` (R7 timers), ``check`` (invariants), ``changes``, ``locate``."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..config import (
    CONFIG_ENV,
    config_dir,
    data_dir,
    default_config_file,
    redact_url,
    user_themes_dir,
)
from ..domain.errors import Refused
from ..logs import LOG_FILE
from ..services.changes import changes_since, prune_changes
from ..services.check import INVARIANTS, check
from ..services.context import Ctx
from ..services.timers import sweep as sweep_svc
from ..services.views import ChangeView, EndResult
from . import output as out
from .params import MOMENT, json_option, wants_json

if TYPE_CHECKING:
    from .main import State


@click.command("sweep")
@click.option("--now", "at", type=MOMENT, help="Pretend it is this time (default: now).")
@json_option
@click.pass_obj
def sweep(state: State, at: datetime | None) -> None:
    """End agent-initiated sessions the customer never answered, when their time is up (R7),
    and cut the change feed to its newest 100,000 changes."""

    async def work(ctx: Ctx) -> tuple[list[EndResult], int]:
        return await sweep_svc(ctx, now=at), await prune_changes(ctx)

    results, pruned = state.run(work)
    ended, skipped = out.end_totals(results)
    if wants_json():
        out.emit_json(
            {"now": at, "total": len(results), "ended": ended, "skipped": skipped,
             "results": results, "changes_pruned": pruned}
        )  # fmt: skip
        return
    if results:
        out.end_results(results)
    out.say(f"sweep: {ended} ended, {skipped} skipped; {pruned} old changes pruned")


@click.command("check")
@json_option
@click.pass_obj
def check_cmd(state: State) -> None:
    """Check the database invariants; exits 1 and lists what is broken."""
    violations = state.run(check)
    if wants_json():
        out.emit_json({"ok": not violations, "checked": len(INVARIANTS), "violations": violations})
    elif violations:
        out.table(
            ("INVARIANT", "OFFENDING ROW"),
            ((v.invariant, out.cell(v.detail, 80)) for v in violations),
        )
    else:
        out.say(f"ok: all {len(INVARIANTS)} invariants hold")
    if violations:
        broken = len({v.invariant for v in violations})
        raise Refused(f"{out.plural(broken, 'invariant')} broken")


@click.command("changes")
@click.option("--since", type=click.IntRange(min=0), default=0, show_default=True, help="Cursor.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=1000, show_default=True)
@json_option
@click.pass_obj
def changes(state: State, since: int, limit: int) -> None:
    """What changed after cursor N, oldest first, and the cursor to pass next time."""

    async def work(ctx: Ctx) -> tuple[int, list[ChangeView]]:
        return await changes_since(ctx, since, limit=limit)

    cursor, found = state.run(work)
    if wants_json():
        out.emit_json({"cursor": cursor, "changes": found})
        return
    if found:
        out.table(
            ("SEQ", "AT", "KIND", "SESSION", "AGENT"),
            (
                (
                    str(c.seq),
                    out.when(c.at),
                    c.kind,
                    out.sid(c.session_id) if c.session_id is not None else "-",
                    str(c.agent_id) if c.agent_id is not None else "-",
                )
                for c in found
            ),
        )
    out.say(f"next: --since {cursor}")


@click.command("locate")
@json_option
@click.pass_obj
def locate(state: State) -> None:
    """Where the config, the data, the user themes and the database are."""
    named = os.environ.get(CONFIG_ENV)
    config_file = state.config_path or (Path(named).expanduser() if named else None)
    config_file = config_file or default_config_file()
    places = {
        "config_dir": str(config_dir()),
        "config_file": str(config_file),
        "data_dir": str(data_dir()),
        "themes_dir": str(user_themes_dir()),
        "log_file": str(data_dir() / LOG_FILE),
        "database_url": redact_url(state.url),
    }
    if wants_json():
        out.emit_json(places)
        return
    out.pairs([(key.replace("_", " "), out.clean(value)) for key, value in places.items()])


COMMANDS = [sweep, check_cmd, changes, locate]

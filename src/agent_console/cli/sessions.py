"""The Messaging Sessions list from the shell (R3): list, show, end (one, some, all matching),
bulk operations, closing tabs (R2) and going Inactive."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..domain.channels import channel
from ..domain.ending import ended_by
from ..domain.errors import Refused
from ..domain.vocab import ActorKind, Surface
from ..services import bulk, conversations, ending, listing
from ..services.context import Ctx
from ..services.listing import SessionFilter
from ..services.views import (
    BulkPreview,
    BulkPreviewRow,
    BulkReport,
    CloseTabResult,
    DeliveryView,
    EndOutcome,
    EndResult,
    InboundResult,
    Page,
    SessionDetail,
    to_json,
)
from . import output as out
from .params import DURATION, SESSION_ID, as_option, json_option, wants_json
from .transfer import transfer_command

if TYPE_CHECKING:
    from .main import State

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
SURFACES = ("conversation", "row", "list")


def filter_options(f: F) -> F:
    """The list filters (also used by ``sessions end --all-matching``)."""
    statuses = "New, Waiting, Active, Inactive or Ended (repeatable)."
    options = [
        click.option("--status", "statuses", multiple=True, metavar="S", help=statuses),
        click.option("--channel", "channels", multiple=True, metavar="CH", help="Channel id."),
        click.option("--owner", metavar="AGENT", help="Owned by AGENT."),
        click.option("--unassigned", is_flag=True, help="Without an owner."),
        click.option("--customer", metavar="C", help="From customer C."),
        click.option("--older-than", type=DURATION, help="Created at least this long ago (2h)."),
        click.option("--newer-than", type=DURATION, help="Created at most this long ago (1d)."),
        click.option(
            "--search",
            metavar="TEXT",
            default="",
            help="Words of the customer's name or of one line (each word starts a word there).",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _filter(
    statuses: Sequence[str],
    channels: Sequence[str],
    owner: str | None,
    unassigned: bool,
    customer: str | None,
    older_than: timedelta | None,
    newer_than: timedelta | None,
    search: str = "",
) -> SessionFilter:
    if owner is not None and unassigned:
        raise click.UsageError("--owner and --unassigned contradict each other")
    for ch in channels:
        channel(ch)  # ValueError naming the valid channels: exit 2
    return SessionFilter(
        statuses=tuple(dict.fromkeys(listing.parse_status(s) for s in statuses)),
        channels=tuple(dict.fromkeys(channels)),
        owner=owner,
        unassigned=unassigned,
        min_age=older_than,
        max_age=newer_than,
        customer=customer,
        search=search,
    )


def _has_filter(flt: SessionFilter) -> bool:
    return flt != SessionFilter()


@click.group("sessions")
def sessions_group() -> None:
    """Messaging sessions: list, show, end."""


# ------------------------------------------------------------------------------ list / show


@sessions_group.command("list")
@filter_options
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--after", type=SESSION_ID, help="The next page: rows after this id.")
@click.option("--oldest-first", is_flag=True, help="Oldest first (default: newest first).")
@click.option("--last", is_flag=True, help="The last page (keyset from the end).")
@json_option
@click.pass_obj
def sessions_list(
    state: State, /, limit: int, after: int | None, oldest_first: bool, last: bool, **filters: Any
) -> None:
    """Sessions matching the filters, one keyset page at a time."""
    flt = _filter(**filters)
    if last and after is not None:
        raise click.UsageError("--last and --after contradict each other")

    async def work(ctx: Ctx) -> Page:
        return await listing.list_sessions(
            ctx,
            flt,
            limit=limit,
            after=after,
            order="oldest" if oldest_first else "newest",
            with_total=True,
            from_end=last,
        )

    page = state.run(work)
    if wants_json():
        out.emit_json({"sessions": page.rows, "next_after": page.next_after, "total": page.total})
        return
    if not page.rows:
        out.say("no sessions match")
        return
    out.table(
        ("ID", "STATUS", "CHANNEL", "OWNER", "CUSTOMER", "UNITS", "CREATED"),
        (
            (
                r.label,
                r.status,
                out.cell(r.channel_name, 30),
                out.cell(r.owner, 20),
                out.cell(r.customer, 24),
                f"{r.units_held}/{r.units}",
                out.when(r.created_at),
            )
            for r in page.rows
        ),
    )
    total = page.total if page.total is not None else len(page.rows)
    out.say(f"showing {len(page.rows)} of {out.plural(total, 'session')}")
    if page.next_after is not None:
        out.say(f"next page: --after {out.sid(page.next_after)}")


def _show_json(d: SessionDetail) -> dict[str, Any]:
    data: dict[str, Any] = to_json(d.session)
    data.update(
        messages=to_json(d.messages),
        messages_total=d.messages_total,
        end=to_json(d.end),
        csat_requests=to_json(d.csat_requests),
        actions=[a.json() for a in d.actions],
        escalated_to=d.escalated_to,
        channel_connected=d.channel_connected,
    )
    return data


def _delivery_note(delivery: DeliveryView | None) -> str:
    """Whether a line reached the channel, for the transcript ("" when nothing was sent)."""
    if delivery is None:
        return ""
    if delivery.state == "sent":
        return f"  [sent {out.when(delivery.at)}]"
    if delivery.state == "retrying":
        why = out.cell(delivery.error, 60)
        return f"  [not delivered yet: {why}; next try {out.when(delivery.next_attempt_at)}]"
    if delivery.state == "failed":
        return f"  [NOT DELIVERED: {out.cell(delivery.error, 60)}]"
    return "  [sending]"


def _print_detail(d: SessionDetail, viewer: str | None) -> None:
    s = d.session
    out.say(f"{s.label}  {s.status}  {s.channel_name} ({s.family}, {s.channel_kind})")
    held = f"{s.units_held} held" + (", tab open" if s.tab_open else "")
    facts = [
        ("customer", out.cell(s.customer, 80)),
        ("owner", out.cell(s.owner, 80)),
        ("initiated by", s.initiated_by),
        ("capacity", f"{s.capacity_model}, {out.plural(s.units, 'unit')}, {held}"),
        ("created", out.when(s.created_at)),
        ("ended", out.when(s.ended_at)),
    ]
    if s.auto_end_at is not None:
        facts.append(("ends itself", out.when(s.auto_end_at) + " if the customer stays silent"))
    if d.escalated_to:
        facts.append(("escalated to", out.cell(d.escalated_to, 80)))
    out.pairs(facts, indent="  ")
    out.say()
    shown = len(d.messages)
    out.say(f"transcript ({shown} of {out.plural(d.messages_total, 'message')}):")
    if not d.channel_connected:
        out.say(f"  ({s.channel_name} is not connected: nothing here is sent to the customer)")
    for m in d.messages:
        who = m.author_kind if m.author_kind == "system" else f"{m.author_kind} {m.author}"
        hidden = "" if m.visible_to_customer else " (internal)"
        head = f"  {out.when(m.at)}  {out.cell(who, 40)}{hidden}: "
        lines = out.clean(m.text).split("\n")
        lines[-1] += _delivery_note(m.delivery)
        out.say(head + lines[0])
        for line in lines[1:]:
            out.say(" " * out.width(head) + line)
        if m.truncated:
            left_out = m.full_length - len(m.text)
            out.say(f"{' ' * out.width(head)}… ({left_out:,} of {m.full_length:,} characters "
                    "not shown)")  # fmt: skip
    out.say()
    if d.end is not None:
        e = d.end
        by = ended_by(ActorKind(e.actor_kind), e.actor)
        reason = f" ({out.cell(e.reason, 100)})" if e.reason else ""
        bulk_note = f", bulk {e.bulk_id}" if e.bulk_id is not None else ""
        out.say(
            f"ended by {out.cell(by, 80)} from {e.surface} at {out.when(e.at)}{bulk_note}{reason}"
        )
    for c in d.csat_requests:
        answer = f"; answered {c.score}/5" if c.score is not None else ""
        out.say(
            f"CSAT survey requested at {out.when(c.requested_at)} by {out.cell(c.requested_by)}"
            f"{answer}{_delivery_note(c.delivery)}"
        )
    if d.actions:
        out.say(f"actions{f' for {out.cell(viewer, 40)}' if viewer else ''}:")
        out.table(
            ("ACTION", "ALLOWED", "WHY"),
            ((a.label, "yes" if a.allowed else "no", out.cell(a.reason, 100)) for a in d.actions),
            indent="  ",
        )


@sessions_group.command("show")
@click.argument("session_id", metavar="ID", type=SESSION_ID)
@click.option("--as", "as_agent", metavar="NAME", help="Whose actions to show (default: owner).")
@json_option
@click.pass_obj
def sessions_show(state: State, session_id: int, as_agent: str | None) -> None:
    """Session ID in full: transcript, end record, CSAT, and what may be done and why."""
    viewer = as_agent or state.agent_option
    if viewer:
        state.claim(viewer)  # on a shared deployment: checked against the login

    async def work(ctx: Ctx) -> SessionDetail:
        return await listing.show_session(ctx, session_id, as_agent=viewer)

    detail = state.run(work)
    if wants_json():
        out.emit_json(_show_json(detail))
        return
    _print_detail(detail, viewer or detail.session.owner)


# ------------------------------------------------------------------------------ ending


def _preview_json(p: BulkPreview, single: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"dry_run": True, **to_json(p)}
    if single and p.rows:
        data.update(to_json(p.rows[0]))
    return data


def _report_json(r: BulkReport, single: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"dry_run": False, **to_json(r)}
    if not r.bulk_id:  # ended in one transaction, not a persisted bulk operation
        data["bulk_id"] = None
    if single and r.results:
        data.update(to_json(r.results[0]))
    return data


def _emit(data: Any, printer: Callable[[T], None], view: T) -> None:
    """``data`` as JSON with --json, else ``view`` printed for people."""
    if wants_json():
        out.emit_json(data)
    else:
        printer(view)


def _print_preview(p: BulkPreview) -> None:
    if p.rows:
        out.table(
            ("SESSION", "WOULD", "REASON"),
            ((out.sid(r.session_id), r.will, out.cell(r.reason, 100)) for r in p.rows),
        )
    out.say(f"dry run: {p.will_end} would end, {p.will_skip} would be skipped (of {p.total})")


def _print_report(r: BulkReport) -> None:
    if r.results:
        out.end_results(r.results)
    where = f"bulk {r.bulk_id} {r.status}: " if r.bulk_id else ""
    pending = f", {r.pending} pending" if r.pending else ""
    out.say(f"{where}{r.ended} ended, {r.skipped} skipped (of {r.total}){pending}")
    if r.pending:
        out.say(f"resume it: agent-console sessions resume {r.bulk_id}")


def _as_report(results: list[EndResult]) -> BulkReport:
    ended, skipped = out.end_totals(results)
    return BulkReport(0, "completed", len(results), ended, skipped, 0, results)


def _progress() -> Callable[[int, int], None] | None:
    if wants_json():
        return None
    return lambda done, total: out.note(f"ending: {done}/{total} sessions")


@sessions_group.command("end")
@click.argument("ids", nargs=-1, metavar="[ID]...", type=SESSION_ID)
@as_option
@click.option(
    "--surface",
    type=click.Choice(SURFACES),
    help="Where the end comes from: conversation (End Chat, the default for ids), row (the "
    "list row menu) or list (bulk End Sessions, persisted and resumable).",
)
@click.option("--all-matching", is_flag=True, help="Every session the filters match (bulk).")
@filter_options
@click.option("--dry-run", is_flag=True, help="Say per session what would happen; end nothing.")
@click.option("--yes", is_flag=True, help="Confirm --all-matching.")
@json_option
@click.pass_obj
def sessions_end(
    state: State,
    /,
    ids: tuple[int, ...],
    as_agent: str | None,
    surface: str | None,
    all_matching: bool,
    dry_run: bool,
    yes: bool,
    **filters: Any,
) -> None:
    """End sessions: the given IDs, or --all-matching the filters (R1, R3, R11).

    Each session is ended or skipped with the reason; one bad row never blocks the others.
    Ending a single ID that is skipped exits 1.
    """
    agent = state.agent(as_agent)
    flt = _filter(**filters)
    if all_matching:
        if ids:
            raise click.UsageError("give session ids or --all-matching, not both")
        if surface not in (None, "list"):
            raise click.UsageError("--all-matching ends from the list (--surface list)")
        _end_matching(state, agent, flt, dry_run=dry_run, yes=yes)
        return
    if not ids:
        raise click.UsageError("give session ids, or --all-matching with filters")
    if _has_filter(flt):
        raise click.UsageError("filters select sessions only with --all-matching")
    ids = tuple(dict.fromkeys(ids))
    chosen = Surface(surface or "conversation")
    single = len(ids) == 1

    if dry_run:
        preview = state.run(lambda ctx: _preview_ids(ctx, agent, ids, chosen))
        _emit(_preview_json(preview, single), _print_preview, preview)
        return

    if chosen is Surface.LIST:
        report = state.run(lambda ctx: _bulk_ids(ctx, agent, ids))
    else:
        report = _as_report(
            state.run(lambda ctx: ending.end_sessions(ctx, agent, list(ids), chosen))
        )
    if wants_json():
        out.emit_json(_report_json(report, single))
    else:
        _print_report(report)
    if single and report.results and report.results[0].result is not EndOutcome.ENDED:
        r = report.results[0]
        raise Refused(f"{out.sid(r.session_id)} not ended: {r.reason}")


async def _preview_ids(ctx: Ctx, agent: str, ids: Sequence[int], surface: Surface) -> BulkPreview:
    if surface is Surface.LIST:
        return await bulk.preview_bulk(ctx, agent, ids=ids)
    results = await ending.preview_end(ctx, agent, ids, surface)
    rows = [
        BulkPreviewRow(r.session_id, "end" if r.result is EndOutcome.ENDED else "skip", r.reason)
        for r in results
    ]
    will_end = sum(1 for r in rows if r.will == "end")
    return BulkPreview(len(rows), will_end, len(rows) - will_end, rows)


async def _bulk_ids(ctx: Ctx, agent: str, ids: Sequence[int]) -> BulkReport:
    bulk_id = await bulk.start_bulk(ctx, agent, ids=ids)
    return await bulk.run_bulk(ctx, bulk_id, progress=_progress())


def _end_matching(
    state: State, agent: str, flt: SessionFilter, *, dry_run: bool, yes: bool
) -> None:
    if dry_run or not yes:
        preview = state.run(lambda ctx: bulk.preview_bulk(ctx, agent, flt=flt))
        if dry_run:
            _emit(_preview_json(preview, False), _print_preview, preview)
            return
        if wants_json():
            out.emit_json(
                {"dry_run": True, "total": preview.total, "will_end": preview.will_end,
                 "will_skip": preview.will_skip}
            )  # fmt: skip
        raise Refused(
            f"nothing ended: {preview.total} sessions match, {preview.will_end} would end and "
            f"{preview.will_skip} be skipped; confirm with --yes (or look with --dry-run)"
        )

    async def work(ctx: Ctx) -> BulkReport:
        bulk_id = await bulk.start_bulk(ctx, agent, flt=flt)
        if not wants_json():
            out.note(f"bulk {bulk_id}: ending the sessions that match")
        return await bulk.run_bulk(ctx, bulk_id, progress=_progress())

    report = state.run(work)
    _emit(_report_json(report, False), _print_report, report)


# ------------------------------------------------------------------------------ bulk ops


@sessions_group.command("bulk-status")
@click.argument("bulk_id", metavar="BULK_ID", type=click.IntRange(min=1))
@json_option
@click.pass_obj
def sessions_bulk_status(state: State, bulk_id: int) -> None:
    """Where bulk operation BULK_ID stands, with every row's result."""
    report = state.run(lambda ctx: bulk.bulk_report(ctx, bulk_id))
    _emit(report, _print_report, report)


@sessions_group.command("resume")
@click.argument("bulk_id", metavar="BULK_ID", type=click.IntRange(min=1))
@json_option
@click.pass_obj
def sessions_resume(state: State, bulk_id: int) -> None:
    """Finish an interrupted bulk operation (rows already done are not touched again)."""
    report = state.run(lambda ctx: bulk.run_bulk(ctx, bulk_id, progress=_progress()))
    _emit(report, _print_report, report)


# ------------------------------------------------------------------------------ tabs, inactive


@sessions_group.command("close-tab")
@click.argument("session_id", metavar="ID", type=SESSION_ID)
@as_option
@json_option
@click.pass_obj
def sessions_close_tab(state: State, session_id: int, as_agent: str | None) -> None:
    """Close the tab of ended session ID (tab-based capacity frees its units: R2)."""
    agent = state.agent(as_agent)
    result: CloseTabResult = state.run(lambda ctx: conversations.close_tab(ctx, agent, session_id))
    if wants_json():
        out.emit_json(result)
        return
    out.say(
        f"closed the tab of {out.sid(session_id)}: {out.plural(result.units_freed, 'unit')} "
        f"freed; {out.cell(agent, 60)} uses {result.used}/{result.capacity}"
    )


@sessions_group.command("inactive")
@click.argument("session_id", metavar="ID", type=SESSION_ID)
@as_option
@json_option
@click.pass_obj
def sessions_inactive(state: State, session_id: int, as_agent: str | None) -> None:
    """Mark session ID Inactive (status-based capacity: it stops consuming units)."""
    agent = state.agent(as_agent)
    result: InboundResult = state.run(
        lambda ctx: conversations.mark_inactive(ctx, agent, session_id)
    )
    if wants_json():
        out.emit_json(result)
        return
    out.say(f"{out.sid(session_id)}  {result.status}  {out.cell(result.note, 100)}")


sessions_group.add_command(transfer_command)

COMMANDS = [sessions_group]

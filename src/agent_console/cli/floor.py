"""``agent-console floor``: the supervisor board (issue 14), for admins.

Every agent's presence and time in it, capacity, live sessions and longest customer wait; each
channel's queue; the floor's totals. ``--json`` prints :func:`floor_json`'s shape::

    {
      "at": ISO, "sort": "state", "reverse": false,
      "filter": {"states": ["Online", ...], "name": ""},
      "agents": [{"id", "name", "is_admin", "state", "presence", "away_reason",
                  "presence_since": ISO|null, "presence_seconds": int|null,
                  "presence_by", "presence_note", "used", "capacity", "active", "inactive",
                  "customers_waiting", "longest_wait_since": ISO|null,
                  "longest_wait_seconds": int|null}, ...],
      "queues": [{"channel", "channel_name", "waiting", "oldest_since": ISO|null,
                  "oldest_wait_seconds": int|null}, ...],
      "totals": {"agents", "by_state": {"Online": n, "Busy": n, "Offline": n,
                 "Logged out": n}, "used", "capacity", "active", "inactive", "waiting",
                 "customers_waiting", "longest_wait_since": ISO|null,
                 "longest_wait_seconds": int|null}
    }

``agents`` is sorted and filtered as asked; ``queues`` and ``totals`` are the whole floor.
Seconds are whole seconds up to ``at`` (never negative).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from ..domain.floor import FloorFilter, FloorSort, FloorState, wait_seconds
from ..domain.presence import presence_label, time_in_status
from ..services import floor as svc
from ..services.context import Ctx
from ..services.views import FloorAgent, FloorTotals, FloorView, QueueRow
from . import output as out
from .params import as_option, json_option, wants_json

if TYPE_CHECKING:
    from .main import State

#: ``--state`` values: the floor states spelt for a shell.
STATES: dict[str, FloorState] = {s.value.lower().replace(" ", "-"): s for s in FloorState}
AGENT_HEADERS = ("AGENT", "PRESENCE", "TIME", "USED", "ACTIVE", "INACTIVE", "WAITING", "LONGEST",
                 "SET BY")  # fmt: skip


def _seconds(since: datetime | None, now: datetime) -> int | None:
    waited = wait_seconds(since, now)
    return int(waited) if waited is not None else None


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _agent_json(a: FloorAgent, now: datetime) -> dict[str, Any]:
    return {
        "id": a.id,
        "name": a.name,
        "is_admin": a.is_admin,
        "state": a.state.value,
        "presence": a.presence.value,
        "away_reason": a.away_reason,
        "presence_since": _iso(a.presence_since),
        "presence_seconds": _seconds(a.presence_since, now),
        "presence_by": a.presence_by,
        "presence_note": a.presence_note,
        "used": a.used,
        "capacity": a.capacity,
        "active": a.active,
        "inactive": a.inactive,
        "customers_waiting": a.customers_waiting,
        "longest_wait_since": _iso(a.longest_wait_since),
        "longest_wait_seconds": _seconds(a.longest_wait_since, now),
    }


def _queue_json(q: QueueRow, now: datetime) -> dict[str, Any]:
    return {
        "channel": q.channel,
        "channel_name": q.channel_name,
        "waiting": q.waiting,
        "oldest_since": _iso(q.oldest_since),
        "oldest_wait_seconds": _seconds(q.oldest_since, now),
    }


def _totals_json(t: FloorTotals, now: datetime) -> dict[str, Any]:
    return {
        "agents": t.agents,
        "by_state": {s.value: t.by_state.get(s, 0) for s in FloorState},
        "used": t.used,
        "capacity": t.capacity,
        "active": t.active,
        "inactive": t.inactive,
        "waiting": t.waiting,
        "customers_waiting": t.customers_waiting,
        "longest_wait_since": _iso(t.longest_wait_since),
        "longest_wait_seconds": _seconds(t.longest_wait_since, now),
    }


def floor_json(view: FloorView) -> dict[str, Any]:
    """The board as ``--json`` prints it (the module docstring documents the shape)."""
    now = view.at
    return {
        "at": now.isoformat(),
        "sort": view.sort.value,
        "reverse": view.reverse,
        "filter": {
            "states": [s.value for s in FloorState if s in view.filter.states],
            "name": view.filter.text,
        },
        "agents": [_agent_json(a, now) for a in view.agents],
        "queues": [_queue_json(q, now) for q in view.queues],
        "totals": _totals_json(view.totals, now),
    }


def _span(since: datetime | None, now: datetime) -> str:
    """``45s`` under a minute, then as the presence time reads (``12m``, ``1h 5m``)."""
    if since is None:
        return "-"
    seconds = max(0.0, (now - since).total_seconds())
    return f"{int(seconds)}s" if seconds < 60 else time_in_status(now - since)


def _presence(a: FloorAgent) -> str:
    if a.state is FloorState.LOGGED_OUT:
        return FloorState.LOGGED_OUT.value
    return out.cell(presence_label(a.presence.value, a.away_reason), 40)


def _set_by(a: FloorAgent) -> str:
    """Who set the agent's presence for them, and why (nothing when they set it themself)."""
    if a.presence_by is None:
        return ""
    by = out.cell(a.presence_by, 30)
    return f"{by}: {out.cell(a.presence_note, 60)}" if a.presence_note else by


def _print(view: FloorView) -> None:
    now, t = view.at, view.totals
    order = view.sort.label + (", reversed" if view.reverse else "")
    out.say(f"floor at {out.when(now)}, sorted by {order}")
    if view.filter.active:
        shown = f"showing {len(view.agents)} of {t.agents} agents"
        out.say(f"{shown}: {out.cell(view.filter.describe(), 120)}")
    if view.agents:
        out.table(
            AGENT_HEADERS,
            (
                (
                    out.cell(a.name, 30),
                    _presence(a),
                    time_in_status(now - a.presence_since) if a.presence_since else "-",
                    f"{a.used}/{a.capacity}",
                    str(a.active),
                    str(a.inactive),
                    str(a.customers_waiting),
                    _span(a.longest_wait_since, now),
                    _set_by(a),
                )
                for a in view.agents
            ),
        )
    elif t.agents:
        out.say("no agent matches")
    else:
        out.say("no agents yet: agent-console agents add NAME")
    out.say()
    out.table(
        ("QUEUE", "WAITING", "OLDEST"),
        [
            (out.cell(q.channel_name, 40), str(q.waiting), _span(q.oldest_since, now))
            for q in view.queues
        ],
    )
    out.say()
    states = ", ".join(f"{t.by_state.get(s, 0):,} {s.value}" for s in FloorState)
    longest = _span(t.longest_wait_since, now)
    out.say(
        f"total: {out.plural(t.agents, 'agent')} ({states}); {t.used:,}/{t.capacity:,} units "
        f"used; {t.active:,} Active, {t.inactive:,} Inactive; {t.customers_waiting:,} customers "
        f"waiting for a reply (longest {longest}); {t.waiting:,} in the queues"
    )


@click.command("floor")
@click.option(
    "--sort",
    type=click.Choice([s.value for s in FloorSort], case_sensitive=False),
    default=FloorSort.STATE.value,
    show_default=True,
    help="Order of the agents (each its worst first: most loaded, longest wait...).",
)
@click.option("--reverse", is_flag=True, help="The other way round.")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(list(STATES), case_sensitive=False),
    help="Only agents in this state (repeatable).",
)
@click.option("--name", "text", default="", metavar="TEXT", help="Only agents whose name has TEXT.")
@as_option
@json_option
@click.pass_obj
def floor_cmd(
    state: State,
    sort: str,
    reverse: bool,
    states: tuple[str, ...],
    text: str,
    as_agent: str | None,
) -> None:
    """The supervisor board: every agent, every queue, the floor's totals. Admins only.

    Times are up to now: the time in the presence, the longest a customer of the agent has
    waited for a reply, the oldest wait of each channel's queue.
    """
    viewer = state.agent(as_agent)
    flt = FloorFilter(frozenset(STATES[s.lower()] for s in states), text)
    order = FloorSort(sort.lower())

    async def work(ctx: Ctx) -> FloorView:
        return await svc.floor(ctx, viewer, sort=order, reverse=reverse, flt=flt)

    view = state.run(work)
    if wants_json():
        out.emit_json(floor_json(view))
        return
    _print(view)


COMMANDS = [floor_cmd]

"""What a presence change and a transfer did, in the words the console, the CLI and the tour
say: pure functions of the views, free of the database layer, so a screen that says them
imports no SQLAlchemy."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ..domain.presence import presence_label
from ..domain.vocab import session_label
from .views import PresenceEffect, PresenceResult, TransferResult

REQUEUED = "back to Waiting and routed to another available rep (tab-based capacity)"
STAYS = "stays Active with you (status-based capacity)"
STAYS_INACTIVE = "stays Inactive with you (only Active tab-based sessions are rerouted)"
#: Each effect said of one session and of several (a count before it).
_COUNTED = {
    REQUEUED: ("goes back to Waiting and to another rep (tab-based capacity)",
               "go back to Waiting and to other reps (tab-based capacity)"),
    STAYS: ("stays Active with you (status-based capacity)",
            "stay Active with you (status-based capacity)"),
    STAYS_INACTIVE: ("stays Inactive with you", "stay Inactive with you"),
}  # fmt: skip


def summarize_effects(effects: Sequence[PresenceEffect]) -> str:
    """``5 sessions: 1 goes back to Waiting …; 4 stay Active with you …`` (verbs agree)."""
    counts = Counter(e.effect for e in effects)
    n = len(effects)
    parts = []
    for effect, count in counts.items():
        one, many = _COUNTED.get(effect, (effect, effect))
        parts.append(f"{count} {one if count == 1 else many}")
    return f"{n} session{'s' if n != 1 else ''}: " + "; ".join(parts)


def presence_outcome(result: PresenceResult) -> str:
    """What a presence change did, in one line: ``You are Offline: 1 session went back to the
    queue, 4 stay with you`` (only what moved is said to have moved)."""
    moved = sum(1 for e in result.effects if e.effect == REQUEUED)
    stayed = len(result.effects) - moved
    parts = []
    if moved:
        parts.append(f"{moved} session{'s' if moved != 1 else ''} went back to the queue")
    if stayed:
        parts.append(f"{stayed} stay{'s' if stayed == 1 else ''} with you")
    now = presence_label(result.after, result.reason_after)
    return f"You are {now}" + (": " + ", ".join(parts) if parts else "")


def transfer_outcome(result: TransferResult) -> str:
    """One line for a notification or the CLI: ``S-3 transferred to erin (1 unit moved;
    dana uses 2/5, erin 3/5)`` / ``S-3 sent back to the queue (1 unit freed; dana uses 2/5)``."""
    label = session_label(result.session_id)
    freed = result.units_freed
    units = f"{freed} unit{'s' if freed != 1 else ''}"
    mine = f"{result.sender} uses {result.sender_used}/{result.sender_capacity}"
    if result.receiver is None:
        return f"{label} sent back to the queue ({units} freed; {mine})"
    theirs = f"{result.receiver} {result.receiver_used}/{result.receiver_capacity}"
    return f"{label} transferred to {result.receiver} ({units} moved; {mine}, {theirs})"

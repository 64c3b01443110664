"""Bulk End Sessions from the list (R3, R11), in three parts.

- :mod:`.preview`: what a selection will do, counted and paged; nothing is written.
- :mod:`.operation`: the persisted, resumable operation a confirmed selection becomes.
- :mod:`.outcomes`: how rows read (will end, skipped: reason) and a finished operation's
  results, counted and paged.
"""

from __future__ import annotations

from .operation import (
    CHUNK,
    STALE_AFTER,
    Actor,
    Progress,
    Stop,
    bulk_end,
    bulk_report,
    run_bulk,
    start_bulk,
    start_selection,
    unfinished_bulks,
)
from .outcomes import outcome_text, reason_group, result_counts, result_lines
from .preview import preview_bulk, preview_lines, preview_selection

__all__ = [
    "CHUNK",
    "STALE_AFTER",
    "Actor",
    "Progress",
    "Stop",
    "bulk_end",
    "bulk_report",
    "outcome_text",
    "preview_bulk",
    "preview_lines",
    "preview_selection",
    "reason_group",
    "result_counts",
    "result_lines",
    "run_bulk",
    "start_bulk",
    "start_selection",
    "unfinished_bulks",
]

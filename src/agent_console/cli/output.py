"""Printing: JSON exactly as stored, or short aligned human text with every control made visible.

Customer-controlled text (names, messages, channel ids...) only reaches the terminal through
:func:`clean` / :func:`cell`, which use ``domain.text`` so no escape sequence is ever emitted.
JSON keeps text as stored; ``json.dumps`` escapes every control and non-ASCII character.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import click

from ..domain.text import one_line, safe_text
from ..domain.text import plural as text_plural
from ..domain.vocab import session_label
from ..services.views import EndOutcome, EndResult, to_json


def emit_json(data: Any) -> None:
    click.echo(json.dumps(to_json(data), indent=2))


def say(line: str = "") -> None:
    click.echo(line)


def note(line: str) -> None:
    """A progress or side note: stderr, so stdout stays the result."""
    click.echo(line, err=True)


def clean(text: str | None) -> str:
    """Display-safe, multi-line text (newlines and tabs kept)."""
    return safe_text(text or "")


def cell(text: object, limit: int = 40) -> str:
    """Display-safe, one-line text for a table cell."""
    if text is None or text == "":
        return "-"
    return one_line(str(text), limit)


def sid(session_id: int) -> str:
    return session_label(session_id)


def when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at is not None else "-"


plural = text_plural


def width(text: str) -> int:
    """Terminal columns, as Rich (and so the console) counts them: wide East Asian characters
    and emoji take two, combining marks and zero-width characters none. (Rich loads only
    when a table or a transcript is printed, not with every command.)"""
    from rich.cells import cell_len

    return cell_len(text)


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, indent: str = "") -> None:
    """Aligned columns; cells must already be display-safe (see :func:`cell`)."""
    body = [list(r) for r in rows]
    widths = [width(h) for h in headers]
    for r in body:
        for i, value in enumerate(r):
            widths[i] = max(widths[i], width(value))
    for r in [list(headers), *body]:
        padded = [v + " " * (widths[i] - width(v)) for i, v in enumerate(r)]
        say((indent + "  ".join(padded)).rstrip())


def pairs(items: Sequence[tuple[str, str]], *, indent: str = "") -> None:
    """``key: value`` lines with the values aligned."""
    size = max((len(k) for k, _ in items), default=0)
    for key, value in items:
        say(f"{indent}{key + ':':<{size + 1}} {value}")


def end_results(results: Sequence[EndResult]) -> None:
    table(
        ("SESSION", "RESULT", "REASON"),
        ((sid(r.session_id), r.result, cell(r.reason, 100)) for r in results),
    )


def end_totals(results: Sequence[EndResult]) -> tuple[int, int]:
    ended = sum(1 for r in results if r.result is EndOutcome.ENDED)
    return ended, len(results) - ended

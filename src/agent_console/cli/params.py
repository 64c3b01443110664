"""Option types and decorators shared by the commands: session ids, durations, times, --json."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import click

from ..domain.vocab import parse_session_id

JSON_KEY = "agent_console.json"
F = TypeVar("F", bound=Callable[..., Any])

_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])", re.I)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class SessionIdType(click.ParamType[int]):
    """``S-1042`` or ``1042``."""

    name = "ID"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_session_id(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class DurationType(click.ParamType[timedelta]):
    """``30m``, ``2h``, ``1d``, ``1w``, ``90s`` or combinations such as ``1h30m``."""

    name = "DURATION"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        text = str(value).strip().replace(" ", "")
        parts = _DURATION_PART.findall(text)
        if not text or "".join(n + u for n, u in parts).lower() != text.lower():
            self.fail(f"not a duration: {value!r} (examples: 30m, 2h, 1d, 1h30m)", param, ctx)
        return timedelta(**_sum_units(parts))


def _sum_units(parts: list[tuple[str, str]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for number, unit in parts:
        key = _UNITS[unit.lower()]
        out[key] = out.get(key, 0) + int(number)
    return out


class MomentType(click.ParamType[datetime]):
    """An ISO 8601 time; without a zone it is UTC."""

    name = "ISO-TIME"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            at = datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"not an ISO time: {value!r} (example: 2026-11-24T09:00Z)", param, ctx)
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


SESSION_ID = SessionIdType()
DURATION = DurationType()
MOMENT = MomentType()


def set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[JSON_KEY] = True


def wants_json() -> bool:
    """True when ``--json`` was given, globally or on the command."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get(JSON_KEY))


def json_option(f: F) -> F:
    """``--json`` on a command (the same switch as the global one)."""
    return click.option(
        "--json",
        is_flag=True,
        expose_value=False,
        callback=set_json,
        help="Machine-readable output.",
    )(f)


def as_option(f: F) -> F:
    """``--as NAME``: the agent doing it (default: the global --as, then the config)."""
    return click.option(
        "--as", "as_agent", metavar="NAME", help="The agent doing it (default: from the config)."
    )(f)

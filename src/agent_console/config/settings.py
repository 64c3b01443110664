"""The ``config.toml`` settings: a frozen dataclass that checks every value it is given.

A plain dataclass rather than a pydantic model: the checks are few, and pydantic cost about
30 ms of import on every start. Each problem is a :class:`SettingsError` naming the key (its
path), the value and what is wrong, in field order, unknown keys last.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..domain.text import is_plain
from ..store.url import DatabaseURL

__all__ = ["KNOWN_KEYS", "LOG_LEVELS", "Settings", "SettingsError", "check_theme_name"]

LogLevel = Literal["debug", "info", "warning", "error"]
LOG_LEVELS: tuple[LogLevel, ...] = ("debug", "info", "warning", "error")
_LEVELS_TEXT = "'debug', 'info', 'warning' or 'error'"
_THEME_FORBIDDEN = frozenset("/\\")
#: Integer settings and their bounds.
_BOUNDS: dict[str, tuple[int, int]] = {
    "busy_timeout_ms": (0, 600_000),
    "refresh_interval_ms": (50, 10_000),
}


class SettingsError(ValueError):
    """One bad value: ``loc`` (the key's path), the value given and the problem."""

    def __init__(self, loc: tuple[str, ...], value: object, problem: str, *, unknown: bool = False):
        super().__init__(f"{'.'.join(loc)}: {problem}")
        self.loc = loc
        self.value = value
        self.problem = problem
        self.unknown = unknown


def check_theme_name(name: str) -> None:
    """A theme name is non-empty, at most 100 characters, without path separators or controls."""
    if (
        not name.strip()
        or len(name) > 100
        or any(ch in _THEME_FORBIDDEN for ch in name)
        or not is_plain(name)
    ):
        raise ValueError("is not a valid theme name")


@dataclass(frozen=True, repr=False)
class Settings:
    """The values of ``config.toml`` (plus environment overrides); immutable."""

    database_url: str | None = None
    agent: str | None = None
    theme: str = "agent-dark"
    busy_timeout_ms: int = 5000
    keymap: dict[str, str] = field(default_factory=dict)
    refresh_interval_ms: int = 250
    log_level: LogLevel = "warning"
    #: Ring the terminal bell with an alert (new session, customer reply, ended by another).
    bell: bool = True

    def __post_init__(self) -> None:
        for name in ("database_url", "agent"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise SettingsError((name,), value, "is not a string")
        if not isinstance(self.theme, str):
            raise SettingsError(("theme",), self.theme, "is not a string")
        try:
            check_theme_name(self.theme)
        except ValueError as exc:
            raise SettingsError(("theme",), self.theme, str(exc)) from None
        self._check_int("busy_timeout_ms")
        object.__setattr__(self, "keymap", _checked_keymap(self.keymap))
        self._check_int("refresh_interval_ms")
        level: object = self.log_level
        if isinstance(level, str):
            level = level.lower()
        if level not in LOG_LEVELS:
            raise SettingsError(("log_level",), self.log_level, f"must be one of {_LEVELS_TEXT}")
        object.__setattr__(self, "log_level", level)
        if not isinstance(self.bell, bool):
            raise SettingsError(("bell",), self.bell, "must be true or false")

    def _check_int(self, name: str) -> None:
        value = getattr(self, name)
        if type(value) is not int:
            raise SettingsError((name,), value, "is not a valid integer")
        low, high = _BOUNDS[name]
        if value < low:
            raise SettingsError((name,), value, f"must be >= {low}")
        if value > high:
            raise SettingsError((name,), value, f"must be <= {high}")

    def __repr__(self) -> str:
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in self._repr_items())})"

    def _repr_items(self) -> Iterator[tuple[str, Any]]:
        for name in KNOWN_KEYS:
            value = getattr(self, name)
            if name == "database_url" and isinstance(value, str):
                value = DatabaseURL(value).redacted()
            yield name, value

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Settings:
        """Settings from parsed TOML: the first bad value (field order), then unknown keys."""
        settings = cls(**{k: v for k, v in data.items() if k in KNOWN_KEYS})
        for key, value in data.items():
            if key not in KNOWN_KEYS:
                raise SettingsError((str(key),), value, "is an unknown key", unknown=True)
        return settings

    def as_dict(self) -> dict[str, Any]:
        """The values by key (a copy)."""
        return {name: getattr(self, name) for name in KNOWN_KEYS}

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (checked like any other value)."""
        return dataclasses.replace(self, **changes)


def _checked_keymap(keymap: object) -> dict[str, str]:
    if not isinstance(keymap, dict):
        raise SettingsError(("keymap",), keymap, "is not a table")
    for key, value in keymap.items():
        if not isinstance(key, str):
            raise SettingsError(("keymap", str(key), "[key]"), key, "is not a string")
        if not isinstance(value, str):
            raise SettingsError(("keymap", key), value, "is not a string")
    return dict(keymap)


KNOWN_KEYS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Settings))

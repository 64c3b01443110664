"""Config values in messages: clipped, terminal-safe (via domain.text), passwords hidden."""

from __future__ import annotations

from pathlib import Path

from ..domain.text import escape_log, escape_value
from ..store.url import DatabaseURL, redact_text

__all__ = ["VALUE_LIMIT", "show_key", "show_path", "show_value"]

VALUE_LIMIT = 60
_URL_LIMIT = 200


def show_value(value: object, *, key: str | None = None) -> str:
    """A short, terminal-safe rendering of a config value (database passwords redacted)."""
    if isinstance(value, str):
        if key == "database_url":
            return escape_value(DatabaseURL(value).redacted(), _URL_LIMIT, quotes=True)
        return escape_value(redact_text(value), VALUE_LIMIT, quotes=True)
    return escape_value(redact_text(repr(value)), VALUE_LIMIT)


def show_key(key: str) -> str:
    """A (dotted) key, quoted and clipped."""
    return escape_value(key, VALUE_LIMIT, quotes=True)


def show_path(path: Path | str) -> str:
    """A file name, control codes made visible."""
    return escape_log(str(path))

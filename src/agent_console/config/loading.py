"""Reading ``config.toml`` and the environment into :class:`Settings`, with one-line errors.

Every problem surfaces as a :class:`ConfigError` that names the file (or environment
variable), the key and the offending value, clipped and escaped so a hostile config cannot
emit terminal control codes; database passwords are never shown.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..domain.text import escape_log, escape_value
from .errors import ConfigError
from .paths import AGENT_ENV, DB_ENV, THEME_ENV, config_path
from .settings import KNOWN_KEYS, Settings, SettingsError
from .show import show_key, show_path, show_value

__all__ = [
    "ENV_OVERRIDES",
    "describe",
    "load_settings",
    "parse_toml",
    "read_config_text",
    "read_toml",
]

#: Environment variables applied on top of the file, by settings field.
ENV_OVERRIDES: dict[str, str] = {
    "database_url": DB_ENV,
    "agent": AGENT_ENV,
    "theme": THEME_ENV,
}
_KNOWN_KEYS_TEXT = ", ".join(sorted(KNOWN_KEYS))
_TOML_POS = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$", re.S)


def describe(error: SettingsError) -> str:
    """``key "K": value V <problem>`` (or ``unknown key "K" (known keys: ...)``)."""
    key = ".".join(error.loc) if error.loc else "?"
    if error.unknown:
        return f"unknown key {show_key(key)} (known keys: {_KNOWN_KEYS_TEXT})"
    value = show_value(error.value, key=error.loc[0] if error.loc else None)
    return f"key {show_key(key)}: value {value} {escape_log(error.problem)}"


def read_config_text(path: Path, *, explicit: bool) -> str | None:
    """The text of ``path``; None for a missing file unless it was named explicitly."""
    where = f"config error in {show_path(path)}"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"{where}: file not found", source=str(path)) from None
        return None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{where}: cannot read file: {reason}", source=str(path)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{where}: not valid UTF-8 text (byte offset {exc.start})", source=str(path)
        ) from None


def read_toml(path: Path, *, explicit: bool) -> dict[str, Any]:
    """Parse ``path``; a missing file is ``{}`` unless it was named explicitly."""
    text = read_config_text(path, explicit=explicit)
    return {} if text is None else parse_toml(text, path)


def parse_toml(text: str, path: Path) -> dict[str, Any]:
    """``text`` (read from ``path``) as TOML; a syntax error names the file, line and column."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config error in {show_path(path)}: {_toml_error(exc)}", source=str(path)
        ) from None


def _toml_error(exc: tomllib.TOMLDecodeError) -> str:
    """``TOML syntax error at line L, column C: <reason>`` from tomllib's message."""
    message = str(exc.args[0]) if exc.args else str(exc)
    line = getattr(exc, "lineno", None)
    col = getattr(exc, "colno", None)
    reason = getattr(exc, "msg", None)
    match = _TOML_POS.match(message)
    if match:
        line, col, reason = match["line"], match["col"], match["msg"]
    if line is not None and col is not None:
        where = f"at line {line}, column {col}"
    elif message.endswith("(at end of document)"):
        where = "at end of file"
        reason = message.removesuffix("(at end of document)").rstrip()
    else:
        where = ""
        reason = message
    head = f"TOML syntax error {where}".rstrip()
    return f"{head}: {escape_value(str(reason or message), 200)}"


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file (``path``, else ``$AGENT_CONSOLE_CONFIG``, else the default one).

    A missing default file yields the defaults; a missing file named explicitly is an error.
    ``AGENT_CONSOLE_DB``, ``AGENT_CONSOLE_AGENT`` and ``AGENT_CONSOLE_THEME`` then override
    ``database_url``, ``agent`` and ``theme`` (empty values count as unset).
    """
    env = os.environ if env is None else env
    file, explicit = config_path(path, env)
    data = read_toml(file, explicit=explicit)
    try:
        settings = Settings.from_mapping(data)
    except SettingsError as exc:
        raise ConfigError(
            f"config error in {show_path(file)}: {describe(exc)}",
            source=str(file),
            key=".".join(exc.loc),
        ) from None

    overrides = {field: env[var] for field, var in ENV_OVERRIDES.items() if env.get(var)}
    if not overrides:
        return settings
    try:
        return settings.replace(**overrides)
    except SettingsError as exc:
        var = ENV_OVERRIDES.get(exc.loc[0] if exc.loc else "", "environment")
        raise ConfigError(
            f"config error in environment variable {var}: {describe(exc)}",
            source=var,
            key=".".join(exc.loc),
        ) from None

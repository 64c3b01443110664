"""Configuration: where files live, the ``config.toml`` settings, and the database URL.

Paths come from platformdirs (app name ``agent-console``). ``AGENT_CONSOLE_HOME`` replaces
both roots (``$AGENT_CONSOLE_HOME/config`` and ``$AGENT_CONSOLE_HOME/data``) so tests and
throw-away setups never touch the user's real files.

Every problem surfaces as a one-line :class:`ConfigError` that names the file (or environment
variable), the key and the offending value. Values are clipped and escaped so a hostile config
cannot emit terminal control codes, and database passwords are never shown.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import URL, make_url

__all__ = [
    "APP_NAME",
    "CONFIG_ENV",
    "DB_ENV",
    "HOME_ENV",
    "ConfigError",
    "KeymapEntryError",
    "Settings",
    "check_keymap",
    "config_dir",
    "data_dir",
    "default_config_file",
    "default_database_url",
    "load_settings",
    "normalize_database_url",
    "redact_url",
    "resolve_database_url",
    "save_theme",
    "user_themes_dir",
]

APP_NAME = "agent-console"
HOME_ENV = "AGENT_CONSOLE_HOME"
CONFIG_ENV = "AGENT_CONSOLE_CONFIG"
DB_ENV = "AGENT_CONSOLE_DB"
AGENT_ENV = "AGENT_CONSOLE_AGENT"
THEME_ENV = "AGENT_CONSOLE_THEME"

#: Environment variables applied on top of the file, by settings field.
ENV_OVERRIDES: dict[str, str] = {
    "database_url": DB_ENV,
    "agent": AGENT_ENV,
    "theme": THEME_ENV,
}

SUPPORTED_URLS = (
    "supported are sqlite+aiosqlite:///PATH and postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DB"
)
_SQLITE_DRIVERS = frozenset({"sqlite", "sqlite+aiosqlite"})
_PG_DRIVERS = frozenset({"postgresql", "postgres", "postgresql+asyncpg"})
_VALUE_LIMIT = 60
_URL_LIMIT = 200


class ConfigError(Exception):
    """A configuration problem; ``str()`` is a single line fit to show the user."""

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        super().__init__(" ".join(message.splitlines()))
        self.source = source
        self.key = key


# --------------------------------------------------------------------------- locations


def _home(env: Mapping[str, str]) -> Path | None:
    value = env.get(HOME_ENV)
    return Path(value).expanduser().absolute() if value else None


def _config_dir(env: Mapping[str, str]) -> Path:
    home = _home(env)
    if home is not None:
        return home / "config"
    return platformdirs.user_config_path(APP_NAME, appauthor=False)


def _data_dir(env: Mapping[str, str]) -> Path:
    home = _home(env)
    if home is not None:
        return home / "data"
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def config_dir() -> Path:
    """The directory holding ``config.toml`` and user themes."""
    return _config_dir(os.environ)


def data_dir() -> Path:
    """The directory holding the default SQLite database."""
    return _data_dir(os.environ)


def user_themes_dir() -> Path:
    """Where user theme files live."""
    return config_dir() / "themes"


def default_config_file() -> Path:
    """The config file used when neither a path nor ``AGENT_CONSOLE_CONFIG`` is given."""
    return config_dir() / "config.toml"


def _sqlite_url(path: Path | str) -> str:
    """``sqlite+aiosqlite:///PATH``, percent-encoded only when the plain form would not parse."""
    text = str(path)
    plain = f"sqlite+aiosqlite:///{text}"
    try:
        parsed = make_url(plain)
    except Exception:
        parsed = None
    if parsed is not None and parsed.database == text and not parsed.query:
        return plain
    return URL.create("sqlite+aiosqlite", database=text).render_as_string(hide_password=False)


def default_database_url() -> str:
    """The SQLite file in the user's data directory."""
    return _sqlite_url(data_dir() / "agent-console.db")


# --------------------------------------------------------------------------- safe display

_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def _escape_char(ch: str) -> str:
    if unicodedata.category(ch) not in _ESCAPED_CATEGORIES:
        return ch
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _escape(text: str, limit: int | None = None, *, quotes: bool = False) -> str:
    """Escape control/format characters (ESC, C1, bidi, newlines) as ``\\xNN``; clip to ``limit``.

    With ``quotes`` backslashes and double quotes are escaped too and the result is wrapped in
    double quotes (the clip marker ``...`` goes inside them).
    """
    pieces: list[str] = []
    size = 0
    for ch in text:
        piece = "\\" + ch if quotes and ch in '\\"' else _escape_char(ch)
        if limit is not None and size + len(piece) > limit:
            pieces.append("...")
            break
        pieces.append(piece)
        size += len(piece)
    body = "".join(pieces)
    return f'"{body}"' if quotes else body


def _show_value(value: object, *, key: str | None = None) -> str:
    """A short, terminal-safe rendering of a config value (database passwords redacted)."""
    if isinstance(value, str):
        if key == "database_url":
            return _escape(redact_url(value), _URL_LIMIT, quotes=True)
        return _escape(_redact_text(value), _VALUE_LIMIT, quotes=True)
    return _escape(_redact_text(repr(value)), _VALUE_LIMIT)


def _show_path(path: Path | str) -> str:
    return _escape(str(path))


# --------------------------------------------------------------------------- settings

_THEME_FORBIDDEN = frozenset("/\\")


class Settings(BaseModel):
    """The values of ``config.toml`` (plus environment overrides); immutable."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    database_url: str | None = None
    agent: str | None = None
    theme: str = "agent-dark"
    busy_timeout_ms: int = Field(default=5000, ge=0, le=600_000)
    keymap: dict[str, str] = Field(default_factory=dict)
    refresh_interval_ms: int = Field(default=250, ge=50, le=10_000)
    log_level: Literal["debug", "info", "warning", "error"] = "warning"
    #: Ring the terminal bell with an alert (new session, customer reply, ended by another).
    bell: bool = True

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name == "database_url" and isinstance(value, str):
                yield name, redact_url(value)
            else:
                yield name, value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_log_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("theme")
    @classmethod
    def _check_theme(cls, value: str) -> str:
        _check_theme_name(value)
        return value


def _check_theme_name(name: str) -> None:
    """A theme name is non-empty, at most 100 characters, without path separators or controls."""
    if (
        not name.strip()
        or len(name) > 100
        or any(ch in _THEME_FORBIDDEN for ch in name)
        or any(unicodedata.category(ch) in _ESCAPED_CATEGORIES for ch in name)
    ):
        raise ValueError("is not a valid theme name")


_KNOWN_KEYS = ", ".join(sorted(Settings.model_fields))


def _describe(error: Mapping[str, Any]) -> str:
    """Turn one pydantic error into ``key "K": value V <problem>``."""
    loc = tuple(str(part) for part in error.get("loc", ()))
    key = ".".join(loc) if loc else "?"
    shown_key = _escape(key, _VALUE_LIMIT, quotes=True)
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"unknown key {shown_key} (known keys: {_KNOWN_KEYS})"
    value = _show_value(error.get("input"), key=loc[0] if loc else None)
    if kind in ("int_type", "int_parsing", "int_from_float"):
        problem = "is not a valid integer"
    elif kind == "string_type":
        problem = "is not a string"
    elif kind == "bool_type":
        problem = "must be true or false"
    elif kind == "dict_type":
        problem = "is not a table"
    elif kind == "literal_error":
        problem = f"must be one of {ctx.get('expected', '?')}"
    elif kind == "greater_than_equal":
        problem = f"must be >= {ctx.get('ge')}"
    elif kind == "less_than_equal":
        problem = f"must be <= {ctx.get('le')}"
    elif kind == "value_error":
        problem = str(error.get("msg", "")).removeprefix("Value error, ")
    else:
        problem = f"is invalid: {error.get('msg', '')}"
    return f"key {shown_key}: value {value} {_escape(problem)}"


def _first_key(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ()))


def _read_toml(path: Path, *, explicit: bool) -> dict[str, Any]:
    """Parse ``path``; a missing file is ``{}`` unless it was named explicitly."""
    where = f"config error in {_show_path(path)}"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"{where}: file not found", source=str(path)) from None
        return {}
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{where}: cannot read file: {reason}", source=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{where}: not valid UTF-8 text (byte offset {exc.start})", source=str(path)
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: {_toml_error(exc)}", source=str(path)) from None


_TOML_POS = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$", re.S)


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
    return f"{head}: {_escape(str(reason or message), 200)}"


def _config_path(path: Path | None, env: Mapping[str, str]) -> tuple[Path, bool]:
    """The config file to use and whether it was named explicitly."""
    if path is not None:
        return Path(path).expanduser(), True
    named = env.get(CONFIG_ENV)
    if named:
        return Path(named).expanduser(), True
    return _config_dir(env) / "config.toml", False


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file (``path``, else ``$AGENT_CONSOLE_CONFIG``, else the default one).

    A missing default file yields the defaults; a missing file named explicitly is an error.
    ``AGENT_CONSOLE_DB``, ``AGENT_CONSOLE_AGENT`` and ``AGENT_CONSOLE_THEME`` then override
    ``database_url``, ``agent`` and ``theme`` (empty values count as unset).
    """
    env = os.environ if env is None else env
    file, explicit = _config_path(path, env)
    data = _read_toml(file, explicit=explicit)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(
            f"config error in {_show_path(file)}: {_describe(first)}",
            source=str(file),
            key=_first_key(first),
        ) from None

    overrides = {field: env[var] for field, var in ENV_OVERRIDES.items() if env.get(var)}
    if not overrides:
        return settings
    try:
        return Settings.model_validate({**settings.model_dump(), **overrides})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else ""
        var = ENV_OVERRIDES.get(field, "environment")
        raise ConfigError(
            f"config error in environment variable {var}: {_describe(first)}",
            source=var,
            key=_first_key(first),
        ) from None


# --------------------------------------------------------------------------- keymap


class KeymapEntryError(ValueError):
    """One ``[keymap]`` entry the console cannot use, as the user wrote it, and why."""

    def __init__(self, key: str, value: str, problem: str) -> None:
        super().__init__(problem)
        self.key = key
        self.value = value
        self.problem = problem


#: The console's check of a keymap: the keymap to apply, or KeymapEntryError.
KeymapCheck = Callable[[Mapping[str, str]], dict[str, str]]


def check_keymap(
    settings: Settings,
    check: KeymapCheck,
    path: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """``settings`` with the ``[keymap]`` that ``check`` returns (ids and keys normalised).

    Which ids and keys exist is the console's knowledge (its bindings), so the console passes
    ``check``; an entry it refuses is a :class:`ConfigError` naming the file (found as
    :func:`load_settings` finds it), the key and the value.
    """
    if not settings.keymap:
        return settings
    try:
        keymap = check(settings.keymap)
    except KeymapEntryError as exc:
        file, _explicit = _config_path(path, os.environ if env is None else env)
        key = f"keymap.{exc.key}"
        shown_key = _escape(key, _VALUE_LIMIT, quotes=True)
        raise ConfigError(
            f"config error in {_show_path(file)}: key {shown_key}: value "
            f"{_show_value(exc.value)} {_escape(exc.problem)}",
            source=str(file),
            key=key,
        ) from None
    return settings.model_copy(update={"keymap": keymap})


# --------------------------------------------------------------------------- database URL

_FALLBACK_PASSWORD = re.compile(r"^(?P<head>\s*[A-Za-z][A-Za-z0-9+.\-]*:/*[^:/@]*:).*@", re.S)
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&](?:password|passwd|pwd)=)[^&#]*", re.I)
_SCHEME_WITHOUT_SLASHES = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")
_TEXT_QUERY_PASSWORD = re.compile(r"(?P<head>[?&](?:password|passwd|pwd)=)[^&#\s'\"]*", re.I)
_EMBEDDED_PASSWORD = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)[^\s'\"]*@", re.S
)


def _redact_text(text: str) -> str:
    """Hide ``scheme://user:PASSWORD@`` passwords anywhere in free text (e.g. a repr)."""
    text = _EMBEDDED_PASSWORD.sub(lambda m: m["head"] + "***@", text)
    return _TEXT_QUERY_PASSWORD.sub(lambda m: m["head"] + "***", text)


def redact_url(url: str) -> str:
    """``url`` with its password (also a ``?password=`` parameter) replaced by ``***``."""
    try:
        parsed = make_url(url)
    except Exception:
        parsed = None
    if parsed is None or "@" in (parsed.host or ""):
        # Unparseable, or an unencoded "@" in the password: cut to the last "@".
        out = _FALLBACK_PASSWORD.sub(lambda m: m["head"] + "***@", url, count=1)
    elif parsed.password is not None:
        out = parsed.render_as_string(hide_password=True)
    else:
        out = url
    return _QUERY_PASSWORD.sub(lambda m: m["head"] + "***", out)


def _bad_url(raw: str, reason: str = SUPPORTED_URLS) -> ConfigError:
    shown = _escape(redact_url(raw.strip()), _URL_LIMIT, quotes=True)
    return ConfigError(f"bad database URL {shown}: {reason}", key="database_url")


def normalize_database_url(raw: str) -> str:
    """Validate ``raw`` and return it with an async driver.

    Accepts ``sqlite+aiosqlite://``, ``postgresql+asyncpg://``, the shorthands ``sqlite://``,
    ``postgresql://`` and ``postgres://``, and a bare filesystem path (a SQLite file).
    """
    text = raw.strip()
    if "://" not in text:
        if not text or _SCHEME_WITHOUT_SLASHES.match(text):
            raise _bad_url(raw)
        return _sqlite_url(Path(text).expanduser().absolute())
    try:
        url = make_url(text)
    except Exception:
        raise _bad_url(raw) from None
    driver = url.drivername.lower()
    if driver in _SQLITE_DRIVERS:
        if url.host or url.username or url.password is not None or url.port is not None:
            raise _bad_url(
                raw, "a SQLite URL has no host; write sqlite+aiosqlite:///PATH (three slashes)"
            )
        canonical = "sqlite+aiosqlite"
    elif driver in _PG_DRIVERS:
        if "@" in (url.host or ""):
            raise _bad_url(raw, 'the password contains "@"; percent-encode it as %40')
        canonical = "postgresql+asyncpg"
    else:
        raise _bad_url(raw)
    return canonical + "://" + text.split("://", 1)[1]


def resolve_database_url(cli_url: str | None, settings: Settings) -> str:
    """The database to open: CLI ``--db`` > ``settings.database_url`` > the default file."""
    if cli_url is not None:
        return normalize_database_url(cli_url)
    if settings.database_url is not None:
        return normalize_database_url(settings.database_url)
    return default_database_url()


# --------------------------------------------------------------------------- writing

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n"}
_TOML_ESCAPES |= {"\f": "\\f", "\r": "\\r"}


def _toml_str(text: str) -> str:
    out = []
    for ch in text:
        if ch in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _toml_str(key)


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return _toml_str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _dump_table(path: list[str], table: Mapping[str, Any], lines: list[str]) -> None:
    if path:
        if lines:
            lines.append("")
        lines.append("[" + ".".join(_toml_key(part) for part in path) + "]")
    for key, value in table.items():
        if not isinstance(value, dict):
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in table.items():
        if isinstance(value, dict):
            _dump_table([*path, key], value, lines)


def _dump_toml(data: Mapping[str, Any]) -> str:
    """A small TOML writer: scalars, arrays, inline tables in arrays, and (nested) tables."""
    lines: list[str] = []
    _dump_table([], data, lines)
    return "\n".join(lines) + "\n"


def _atomic_write(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` via a temp file and ``os.replace`` (keeping its mode)."""
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def save_theme(name: str, path: Path | None = None) -> None:
    """Set ``theme = name`` in the config file, keeping its other keys (comments are not kept).

    ``path`` defaults like :func:`load_settings`. The directory is created if missing, and the
    file is replaced atomically (a symlinked config file is written through to its target).
    """
    try:
        _check_theme_name(name)
    except ValueError as exc:
        raise ConfigError(f"cannot save theme {_show_value(name)}: {exc}", key="theme") from None
    file, _explicit = _config_path(path, os.environ)
    data = _read_toml(file, explicit=False)
    data["theme"] = name
    text = _dump_toml(data)
    target = Path(os.path.realpath(file))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(target, text)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"config error in {_show_path(file)}: cannot write file: {reason}", source=str(file)
        ) from None

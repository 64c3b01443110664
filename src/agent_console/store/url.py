"""Database URLs: parse, normalise, redact -- without importing SQLAlchemy.

:class:`DatabaseURL` is the one place that reads a database URL the way SQLAlchemy's
``make_url`` does (the same pattern, the same percent-decoding, the same port check) and
renders it the way ``URL.render_as_string`` does, so the console can normalise and redact URLs
on its start path without the ~0.1 s import of SQLAlchemy. :meth:`DatabaseURL.to_sqlalchemy`
imports it lazily for the engine. Standard library only.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote

from ..domain.text import escape_value

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

__all__ = [
    "SUPPORTED_URLS",
    "DatabaseURL",
    "DatabaseURLError",
    "UrlParts",
    "redact_text",
    "sqlite_file",
]

SUPPORTED_URLS = (
    "supported are sqlite+aiosqlite:///PATH and postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DB"
)
_SQLITE_DRIVERS = frozenset({"sqlite", "sqlite+aiosqlite"})
_PG_DRIVERS = frozenset({"postgresql", "postgres", "postgresql+asyncpg"})

#: SQLAlchemy's own URL pattern (``sqlalchemy.engine.url._parse_url``), matched from the start.
_URL = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.X,
)
_FALLBACK_PASSWORD = re.compile(r"^(?P<head>\s*(?:[A-Za-z][A-Za-z0-9+.\-]*)?:/*[^:/@]*:).*@", re.S)
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&](?:password|passwd|pwd)=)[^&#]*", re.I)
_SCHEME_WITHOUT_SLASHES = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")
_TEXT_QUERY_PASSWORD = re.compile(r"(?P<head>[?&](?:password|passwd|pwd)=)[^&#\s'\"]*", re.I)
_EMBEDDED_PASSWORD = re.compile(
    r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)[^\s'\"]*@", re.S
)


class DatabaseURLError(ValueError):
    """A database URL the console does not accept; ``str()`` is one line, password hidden."""


@dataclass(frozen=True)
class UrlParts:
    """The components of a URL, as SQLAlchemy's ``URL`` holds them."""

    drivername: str
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def render(self, *, hide_password: bool) -> str:
        """The URL text, exactly as ``URL.render_as_string`` writes it."""
        s = self.drivername + "://"
        if self.username is not None:
            s += quote(self.username, safe=" +")
            if self.password is not None:
                s += ":" + ("***" if hide_password else quote(self.password, safe=" +"))
            s += "@"
        if self.host is not None:
            s += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            s += ":" + str(self.port)
        if self.database is not None:
            s += "/" + quote(self.database, safe=" +/")
        if self.query:
            s += "?" + "&".join(
                f"{quote_plus(k)}={quote_plus(v)}"
                for k, values in sorted(self.query)
                for v in values
            )
        return s


def _parse(text: str) -> UrlParts | None:
    """``text`` split as ``sqlalchemy.engine.make_url`` splits it; None where it fails."""
    m = _URL.match(text)
    if m is None:
        return None
    port: int | None = None
    if m["port"] is not None:
        try:
            port = int(m["port"])
        except ValueError:
            return None
    query: dict[str, list[str]] = {}
    if m["query"] is not None:
        for key, value in parse_qsl(m["query"]):
            query.setdefault(key, []).append(value)

    def unq(part: str | None) -> str | None:
        return None if part is None else unquote(part)

    return UrlParts(
        drivername=m["name"],
        username=unq(m["username"]),
        password=unq(m["password"]),
        host=m["ipv4host"] or m["ipv6host"],
        port=port,
        database=unq(m["database"]),
        query=tuple((k, tuple(v)) for k, v in query.items()),
    )


def sqlite_file(database: str | None) -> Path | None:
    """The file of a SQLite URL's database part; None for memory and ``file:`` URIs."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def redact_text(text: str) -> str:
    """Hide ``scheme://user:PASSWORD@`` passwords anywhere in free text (e.g. a repr)."""
    text = _EMBEDDED_PASSWORD.sub(lambda m: m["head"] + "***@", text)
    return _TEXT_QUERY_PASSWORD.sub(lambda m: m["head"] + "***", text)


class DatabaseURL:
    """A database URL as text, with its parts (None when SQLAlchemy could not parse it)."""

    __slots__ = ("parts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts = _parse(text)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"DatabaseURL({self.redacted()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DatabaseURL) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    # ------------------------------------------------------------------ constructors

    @classmethod
    def for_sqlite_file(cls, path: Path | str) -> DatabaseURL:
        """``sqlite+aiosqlite:///PATH``, percent-encoded only when the plain form would not
        parse back to ``PATH``."""
        text = str(path)
        plain = cls(f"sqlite+aiosqlite:///{text}")
        if plain.parts is not None and plain.parts.database == text and not plain.parts.query:
            return plain
        return cls(UrlParts("sqlite+aiosqlite", database=text).render(hide_password=False))

    @classmethod
    def normalize(cls, raw: str) -> DatabaseURL:
        """Validate ``raw`` and return it with an async driver, or raise DatabaseURLError.

        Accepts ``sqlite+aiosqlite://``, ``postgresql+asyncpg://``, the shorthands
        ``sqlite://``, ``postgresql://`` and ``postgres://``, and a bare filesystem path (a
        SQLite file, made absolute). Only the scheme of a URL is rewritten.
        """
        text = raw.strip()
        if "://" not in text:
            if not text or _SCHEME_WITHOUT_SLASHES.match(text):
                raise _bad(raw)
            return cls.for_sqlite_file(Path(text).expanduser().absolute())
        url = cls(text)
        parts = url.parts
        if parts is None:
            raise _bad(raw)
        driver = parts.drivername.lower()
        if driver in _SQLITE_DRIVERS:
            if parts.host or parts.username or parts.password is not None or parts.port is not None:
                raise _bad(
                    raw, "a SQLite URL has no host; write sqlite+aiosqlite:///PATH (three slashes)"
                )
            canonical = "sqlite+aiosqlite"
        elif driver in _PG_DRIVERS:
            if "@" in (parts.host or ""):
                raise _bad(raw, 'the password contains "@"; percent-encode it as %40')
            canonical = "postgresql+asyncpg"
        else:
            raise _bad(raw)
        return cls(canonical + "://" + text.split("://", 1)[1])

    # ------------------------------------------------------------------ reading

    @property
    def backend(self) -> str | None:
        """``sqlite``, ``postgresql``, ... (the driver name before ``+``); None if unparsed."""
        return None if self.parts is None else self.parts.drivername.split("+")[0]

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file (``~`` expanded); None for memory or non-SQLite URLs."""
        return sqlite_file(self.parts.database) if self.is_sqlite and self.parts else None

    @property
    def password(self) -> str | None:
        """The password to keep out of messages: the parsed one, or for a URL that does not
        parse, what stands between ``user:`` and the last ``@`` (None when empty)."""
        if self.parts is not None:
            return self.parts.password
        if "://" not in self.text:
            return None
        guess = self.text.split("://", 1)[1].rpartition("@")[0].partition(":")[2]
        return guess or None

    def redacted(self) -> str:
        """The URL for display: its password (also a ``?password=`` parameter) is ``***``."""
        parts = self.parts
        if parts is None or "@" in (parts.host or ""):
            # Unparseable, or an unencoded "@" in the password: cut to the last "@".
            out = _FALLBACK_PASSWORD.sub(lambda m: m["head"] + "***@", self.text, count=1)
        elif parts.password is not None:
            out = parts.render(hide_password=True)
        else:
            out = self.text
        return _QUERY_PASSWORD.sub(lambda m: m["head"] + "***", out)

    def replace(self, **changes: Any) -> DatabaseURL:
        """A copy with parts changed (``drivername=``, ``database=``, ...), rendered as
        SQLAlchemy's ``URL.set(...).render_as_string(hide_password=False)`` does."""
        if self.parts is None:
            raise DatabaseURLError(f"cannot read database URL {self.redacted()!r}")
        parts = dataclasses.replace(self.parts, **changes)
        return DatabaseURL(parts.render(hide_password=False))

    def asyncpg_dsn(self, database: str | None = None) -> str:
        """The ``postgresql://`` DSN that ``asyncpg.connect`` takes (optionally another DB)."""
        changes: dict[str, Any] = {"drivername": "postgresql"}
        if database is not None:
            changes["database"] = database
        return str(self.replace(**changes))

    def to_sqlalchemy(self) -> URL:
        """The SQLAlchemy ``URL`` (imports SQLAlchemy: for the engine, not the start path)."""
        from sqlalchemy.engine import make_url

        return make_url(self.text)


def _bad(raw: str, reason: str = SUPPORTED_URLS) -> DatabaseURLError:
    shown = escape_value(DatabaseURL(raw.strip()).redacted(), 200, quotes=True)
    return DatabaseURLError(f"bad database URL {shown}: {reason}")

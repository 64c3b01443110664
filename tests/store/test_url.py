"""store.url: the same reading of a URL as SQLAlchemy's make_url, without importing it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from agent_console.store.url import DatabaseURL, DatabaseURLError

SECRET = "s3cr3t-pw"

_PIECES = st.sampled_from(
    ["postgresql", "sqlite+aiosqlite", "pg_x", "://", ":", "@", "/", "?", "&", "=", "[", "]",
     "%40", "%2F", "u", "pw", "h", "5432", "db", "x.db", " ", "+", "password", "a=1", "::1",
     "é", "\n", "-1", ":memory:", "file:"]
)  # fmt: skip


def _sqlalchemy(text: str) -> tuple[object, ...] | None:
    try:
        u = make_url(text)
    except Exception:
        return None
    shown, full = u.render_as_string(hide_password=True), u.render_as_string(hide_password=False)
    return (u.drivername, u.username, u.password, u.host, u.port, u.database, shown, full)


def _ours(text: str) -> tuple[object, ...] | None:
    p = DatabaseURL(text).parts
    if p is None:
        return None
    shown, full = p.render(hide_password=True), p.render(hide_password=False)
    return (p.drivername, p.username, p.password, p.host, p.port, p.database, shown, full)


@pytest.mark.parametrize(
    "text",
    [
        f"postgresql+asyncpg://u:{SECRET}@h:5432/db",
        "postgresql://u:p%40ss@h/db?sslmode=require&b=2&a=1&a=0",
        "postgresql://[::1]:5433/db",
        "postgresql://u@h/db?password=x",
        "postgresql:///db",
        "postgresql://u:pw@h:notaport/db",
        "postgresql://u:pw@h:/db",
        "postgresql://u:pw@x@h/db",
        "sqlite+aiosqlite:////tmp/we%3Fird%23name.db",
        "sqlite+aiosqlite:///:memory:",
        "sqlite://x.db",
        "mysql://u:pw@h/db",
        "not a url",
        "",
    ],
)
def test_parses_like_sqlalchemy(text: str) -> None:
    assert _ours(text) == _sqlalchemy(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_parses_like_sqlalchemy_anything(text: str) -> None:
    assert _ours(text) == _sqlalchemy(text)


def test_sqlite_file_url_round_trips(tmp_path: Path) -> None:
    for name in ("plain.db", "we?ird#name.db", "sp ace%.db"):
        url = DatabaseURL.for_sqlite_file(tmp_path / name)
        assert make_url(str(url)).database == str(tmp_path / name)
        assert url.is_sqlite and url.sqlite_path == tmp_path / name


def test_reading() -> None:
    pg = DatabaseURL(f"postgresql+asyncpg://u:{SECRET}@h/db")
    assert pg.password == SECRET and not pg.is_sqlite and pg.sqlite_path is None
    assert pg.redacted() == "postgresql+asyncpg://u:***@h/db"
    assert SECRET not in repr(pg)
    assert DatabaseURL(f"postgresql://u:{SECRET}@h:bad/db").password == SECRET
    assert DatabaseURL("sqlite+aiosqlite:///:memory:").sqlite_path is None
    assert DatabaseURL("postgresql://h/db").to_sqlalchemy().host == "h"


def test_normalize_errors_hide_the_password() -> None:
    with pytest.raises(DatabaseURLError) as info:
        DatabaseURL.normalize(f"mysql://u:{SECRET}@h/db\x1b[2J")
    assert SECRET not in str(info.value) and "\x1b" not in str(info.value)


def test_importing_store_url_and_config_does_not_import_sqlalchemy() -> None:
    code = (
        "import sys, agent_console.config, agent_console.store.url\n"
        "heavy = [m for m in ('sqlalchemy', 'pydantic', 'tomlkit') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == ""


@pytest.mark.parametrize(
    "text", [f"://u:{SECRET}@/", f"postgresql://u:{SECRET}@h:bad/db", f"x://u:{SECRET}@a@b/c"]
)
def test_unparseable_urls_are_redacted_too(text: str) -> None:
    assert SECRET not in DatabaseURL(text).redacted()
    assert DatabaseURL(text).password is not None


@pytest.mark.parametrize(
    "text", [f"postgresql+asyncpg://u:{SECRET}@h:5432/db?ssl=on", "postgresql://u:p%40ss@[::1]/db"]
)
def test_replace_renders_like_sqlalchemy_set(text: str) -> None:
    url = DatabaseURL(text)
    assert url.asyncpg_dsn() == make_url(text).set(drivername="postgresql").render_as_string(
        hide_password=False
    )
    expected = make_url(text).set(database="other").render_as_string(hide_password=False)
    assert str(url.replace(database="other")) == expected
    with pytest.raises(DatabaseURLError):
        DatabaseURL("not a url").replace(database="x")

"""The CLI and the console on a shared PostgreSQL deployment (issue 15): the connection says
who you are. ``--as`` naming anyone else is refused, except for an admin's login; the end
record keeps both the agent acted for and the database role that did it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner, Result
from roles_support import Floor, make_floor, owner_read, snapshot
from textual.widgets import Label

from agent_console.cli.main import cli
from agent_console.store.url import DatabaseURL
from agent_console.tui.app import make_app
from agent_console.tui.screens.error import ErrorScreen
from tui.conftest import press_to_quit, until


@pytest.fixture
def floor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Floor]:
    monkeypatch.setenv("AGENT_CONSOLE_HOME", str(tmp_path / "home"))
    for var in ("AGENT_CONSOLE_DB", "AGENT_CONSOLE_CONFIG", "AGENT_CONSOLE_AGENT"):
        monkeypatch.delenv(var, raising=False)
    yield from make_floor()


def console(floor: Floor, who: str, *args: str, code: int = 0, stdin: str | None = None) -> Result:
    url = floor.url if who == "owner" else floor.login_url(who)
    result = CliRunner().invoke(cli, ["--db", url, *args], input=stdin, catch_exceptions=False)
    assert result.exit_code == code, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def test_another_agents_name_is_refused_with_one_line(floor: Floor) -> None:
    carol = str(floor.sessions["carol"])
    before = asyncio.run(snapshot(floor))
    result = console(floor, "bob", "--as", "carol", "sessions", "end", carol, code=1)
    assert result.stderr.strip() == (
        "agent-console: error: connected as bob; --as carol needs carol's login"
    )
    result = console(floor, "bob", "presence", "carol", "Offline", code=1)
    assert "connected as bob; --as carol needs carol's login" in result.stderr
    assert asyncio.run(snapshot(floor)) == before


def test_the_connection_says_who_you_are(floor: Floor) -> None:
    bob = str(floor.sessions["bob"])
    console(floor, "bob", "send", bob, "hello from the CLI")  # no --as: bob's login is bob
    console(floor, "bob", "sessions", "end", bob)
    ends = asyncio.run(
        owner_read(floor, "SELECT actor, db_role FROM end_records WHERE session_id = $1", int(bob))
    )
    assert [(r["actor"], r["db_role"]) for r in ends] == [("bob", floor.prefix + "bob")]


def test_an_admin_acts_for_an_agent_and_the_record_says_both(floor: Floor) -> None:
    carol = str(floor.sessions["carol"])
    console(floor, "dana", "--as", "carol", "sessions", "end", carol)
    ends = asyncio.run(
        owner_read(
            floor, "SELECT actor, db_role FROM end_records WHERE session_id = $1", int(carol)
        )
    )
    assert [(r["actor"], r["db_role"]) for r in ends] == [("carol", floor.prefix + "dana")]
    lines = json.loads(console(floor, "dana", "audit", "--since", "1d", "--json").stdout)
    assert {"actor": "carol", "db_role": floor.prefix + "dana", "action": "end"}.items() <= next(
        line for line in lines if line["action"] == "end"
    ).items()


def test_what_only_admins_may_do_is_refused_by_the_database_too(floor: Floor) -> None:
    before = asyncio.run(snapshot(floor))
    # `agents add` has no --as: the database refuses bob's login by itself.
    result = console(floor, "bob", "agents", "add", "mallory", "--admin", code=1)
    assert f"the database refused it for {floor.prefix}bob; nothing was changed" in result.stderr
    assert "permission denied for table agents" in result.stderr
    result = console(floor, "bob", "agents", "set", "bob", "--capacity", "99", code=1)
    assert "permission denied" in result.stderr
    assert asyncio.run(snapshot(floor)) == before


def test_an_admin_adds_an_agent_whose_login_works_until_disabled(floor: Floor) -> None:
    login = floor.prefix + "frank"
    out = json.loads(
        console(
            floor,
            "dana",
            "agents",
            "add",
            "frank",
            "--password-stdin",
            "--json",
            stdin="s3cret-frank\n",
        ).stdout
    )
    assert out["name"] == "frank"
    url = str(DatabaseURL(floor.url).replace(username=login, password="s3cret-frank"))
    floor.logins["frank"] = url
    assert "frank" in console(floor, "frank", "agents", "show", "frank").stdout
    result = console(floor, "dana", "agents", "passwd", "frank")
    assert f"login: {login}" in result.stdout and "password: " in result.stdout
    password = result.stdout.split("password: ", 1)[1].split()[0]
    floor.logins["frank"] = str(DatabaseURL(url).replace(password=password))
    console(floor, "frank", "agents", "show", "frank")
    console(floor, "dana", "agents", "disable", "frank")
    result = console(floor, "frank", "agents", "show", "frank", code=1)
    assert "refused the login" in result.stderr or "not permitted to log in" in result.stderr


def test_a_bulk_end_needs_the_end_messaging_session_group(floor: Floor) -> None:
    ids = [str(floor.sessions["carol"]), str(floor.sessions["carol2"])]
    before = asyncio.run(snapshot(floor))
    report = json.loads(
        console(floor, "bob", "sessions", "end", *ids, "--surface", "list", "--json").stdout
    )
    assert [r["result"] for r in report["results"]] == ["skipped", "skipped"]
    after = asyncio.run(snapshot(floor))
    assert after[:3] == before[:3]  # sessions, messages, agents: untouched (a bulk row is kept)
    console(floor, "erin", "sessions", "end", *ids, "--surface", "list")
    rows = asyncio.run(owner_read(floor, "SELECT count(*) AS n FROM end_records"))
    assert rows[0]["n"] == 2


def test_a_console_started_as_bob_cannot_act_as_dana(floor: Floor) -> None:
    async def go() -> None:
        app = make_app(floor.login_url("bob"), "dana")
        async with app.run_test(size=(120, 40)) as pilot:
            await until(
                pilot,
                lambda: isinstance(app.screen, ErrorScreen) and bool(app.screen.query(Label)),
                what="the error screen",
            )
            text = " ".join(str(label.content) for label in app.screen.query(Label))
            assert "connected as bob; --as dana needs dana's login" in text
            await press_to_quit(pilot, "q")

    asyncio.run(go())


def test_the_raw_connection_cannot_pretend(floor: Floor) -> None:
    """SET ROLE to another agent's login is refused: bob is not a member of dana's role."""

    async def go() -> Any:
        conn = await asyncpg.connect(floor.dsn("bob"))
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(f'SET ROLE "{floor.prefix}dana"')
        finally:
            await conn.close()

    asyncio.run(go())


def test_a_password_file_instead_of_a_password_in_the_url(
    floor: Floor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = DatabaseURL(floor.login_url("bob"))
    parts = url.parts
    assert parts is not None and parts.password is not None
    passfile = tmp_path / "pgpass"
    passfile.write_text(
        f"{parts.host}:{parts.port}:{parts.database}:{parts.username}:{parts.password}\n"
    )
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    floor.logins["bob"] = str(url.replace(password=None))
    assert "@" in floor.logins["bob"] and parts.password not in floor.logins["bob"]
    shown = json.loads(console(floor, "bob", "agents", "show", "bob", "--json").stdout)
    assert shown["name"] == "bob"
    result = console(floor, "bob", "--as", "dana", "sessions", "list", code=1)
    assert "connected as bob; --as dana needs dana's login" in result.stderr


#: (command, login, outcome): the operations of the issue's table through the CLI. ``{bob}``
#: and ``{carol}`` are those agents' sessions; every command runs without --as (the login
#: says who), except the gateway's, which names an agent (it is no agent's login).
#: "refused": exit 1 and nothing changed; "skipped": a bulk end that reports every row skipped
#: (exit 0, as bulk ends do) and changed no session, message or agent.
CLI_TABLE: list[tuple[tuple[str, ...], str, str]] = [
    (("send", "{bob}", "hello"), "bob", "ok"),
    (("send", "{carol}", "hello"), "bob", "refused"),
    (("--as", "bob", "send", "{bob}", "hello"), "gateway", "refused"),
    (("sessions", "end", "{bob}"), "bob", "ok"),
    (("sessions", "end", "{carol}"), "bob", "refused"),
    (("--as", "bob", "sessions", "end", "{bob}"), "gateway", "refused"),
    (("sessions", "close-tab", "{carol}"), "bob", "refused"),
    (("sessions", "end", "--all-matching", "--owner", "carol", "--yes"), "bob", "skipped"),
    (("sessions", "end", "--all-matching", "--owner", "carol", "--yes"), "erin", "ok"),
    (("sessions", "end", "--all-matching", "--owner", "carol", "--yes"), "dana", "ok"),
    (("settings", "set", "agents_can_end", "off"), "bob", "refused"),
    (("settings", "set", "agents_can_end", "off"), "dana", "ok"),
    (("--as", "dana", "settings", "set", "agents_can_end", "off"), "gateway", "refused"),
    (("agents", "add", "mallory"), "bob", "refused"),
    (("agents", "add", "mallory"), "gateway", "refused"),
    (("agents", "add", "mallory", "--password-stdin"), "dana", "ok"),
    (("route",), "gateway", "ok"),
    (("route",), "bob", "ok"),
]


@pytest.mark.parametrize(
    ("args", "who", "outcome"),
    CLI_TABLE,
    ids=[f"{w}:{' '.join(a)}" for a, w, _ in CLI_TABLE],
)
def test_the_cli_as_each_login(floor: Floor, args: tuple[str, ...], who: str, outcome: str) -> None:
    argv = [a.format(bob=floor.sessions["bob"], carol=floor.sessions["carol"]) for a in args]
    before = asyncio.run(snapshot(floor))
    code = 1 if outcome == "refused" else 0
    result = console(floor, who, *argv, code=code, stdin="pw-for-mallory\n")
    after = asyncio.run(snapshot(floor))
    if outcome == "refused":
        assert result.stderr.startswith("agent-console: error: "), result.stderr
        assert after == before
    elif outcome == "skipped":
        assert "0 ended" in result.stdout
        assert after[:3] == before[:3]  # sessions, messages, agents
    else:
        assert after != before


def test_an_agent_whose_login_cannot_be_made_is_not_added(floor: Floor) -> None:
    """The agent and its login are one transaction: no agent is left without its login."""
    name = "x" * 60  # with the test's login prefix, longer than PostgreSQL's 63 bytes
    result = console(floor, "dana", "agents", "add", name, code=1)
    assert "longer than PostgreSQL's 63 bytes" in result.stderr
    missing = console(floor, "dana", "agents", "show", name, code=1)
    assert "unknown agent" in missing.stderr

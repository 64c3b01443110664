"""Row 9 -- hostile text everywhere a customer, an admin or a config file can put text.

Hypothesis strings over the control, format and surrogate categories, joined with a corpus of
real escape sequences (OSC 52, OSC 8, title set, cursor moves, bracketed-paste end, mouse
tracking on, C1 controls...) and Textual markup, go into customer messages and names, macro
names, theme files and config values.

Invariant: nothing crashes and no embedded action runs; no rendered segment of the console
holds ESC, a C0/C1 control (but the newline), DEL, or an invisible/bidi format character, nor
a hyperlink or a click action; stored text is byte-identical to what was sent (text that
cannot be stored as sent -- a NUL, a lone surrogate -- is refused with a reason, never
altered); every error message and every log record is one escaped line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from agent_console.cli.main import cli
from agent_console.config import ConfigError, load_settings
from agent_console.domain.errors import ConsoleError
from agent_console.domain.text import unstorable
from agent_console.domain.vocab import Presence
from agent_console.logs import LOG_FILE, setup_logging, stop_logging
from agent_console.services import agents, automation, conversations, listing, presence, routing
from agent_console.services.context import Ctx
from agent_console.services.runtime import open_ctx
from agent_console.services.views import ActionId
from agent_console.store.models import Macro
from agent_console.tui.app import make_app
from agent_console.tui.screens.console import ConsoleScreen
from agent_console.tui.themes import load_themes, theme_from_mapping
from agent_console.tui.widgets.conversation_text import header_content, tab_note
from agent_console.tui.widgets.session_list import session_prompt
from agent_console.tui.widgets.transcript import Transcript, transcript_content
from tui.conftest import click

from .hostile import CORPUS, bad_characters, check_line, check_segments, hostile_text
from .support import finish_with_check

pytestmark = pytest.mark.reliability

ALL = ("enhanced_chat_user", "enhanced_chat_rep", "messaging_agent", "end_messaging_session")
EXAMPLES = 25
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ agent_console[\w.]*: ")


def rendered(detail: Any) -> Iterator[tuple[str, Any]]:
    """Every piece of the console that shows this session, as Content."""
    yield "transcript", transcript_content(detail.messages, total=detail.messages_total, tz=UTC)
    yield "header", header_content(detail)
    yield "session list", session_prompt(detail.session)
    if detail.session.status == "Ended":
        close = next((a for a in detail.actions if a.id is ActionId.CLOSE_TAB), None)
        yield "tab note", tab_note(detail, close, "ctrl+t")


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    """An event loop the (sync) Hypothesis test runs each example on; the database opened
    on it is closed before it is."""
    with asyncio.Runner() as r:
        try:
            yield r
        finally:
            while _ctx:
                r.run(_ctx.popitem()[1].db.dispose())


@pytest.fixture
def log_file(home: Path) -> Iterator[Path]:
    """The console's log at debug level: the CLI runs of the test write to the same file."""
    path = home / "data" / LOG_FILE
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text('log_level = "debug"\n', encoding="utf-8")
    setup_logging("debug", path)
    try:
        yield path
    finally:
        stop_logging()
        logging.getLogger("agent_console").setLevel(logging.WARNING)


def check_log(path: Path) -> int:
    """One record per line, every line a whole record, nothing a terminal would obey."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""  # ends with the last record's newline
    for line in lines[:-1]:
        assert RECORD.match(line), line[:120]
        check_line(line, "log")
    return len(lines) - 1


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(customer=hostile_text, message=hostile_text, macro=hostile_text)
def test_hostile_messages_and_names_are_stored_exactly_and_rendered_inert(
    runner: asyncio.Runner,
    db_url: str,
    log_file: Path,
    customer: str,
    message: str,
    macro: str,
) -> None:
    """Invariant: stored byte-identical (or refused with a reason), rendered without any
    escape, control, link or action, every error and log record one escaped line."""
    runner.run(_one_example(db_url, customer, message, macro))
    cli_example(db_url, customer, message)
    check_log(log_file)


_ctx: dict[str, Ctx] = {}


async def _context(db_url: str) -> Ctx:
    if db_url not in _ctx:
        for stale in list(_ctx.values()):
            await stale.db.dispose()
        _ctx.clear()
        ctx = await open_ctx(db_url)
        await agents.add_agent(ctx, "dana", capacity=1000, permissions=ALL)
        await presence.set_presence(ctx, "dana", Presence.ONLINE)
        _ctx[db_url] = ctx
    return _ctx[db_url]


async def _one_example(db_url: str, customer: str, message: str, macro: str) -> None:
    ctx = await _context(db_url)
    customer = f"{customer}#{id(customer)}"  # a new customer each time: a new session
    try:
        result = await conversations.inbound(ctx, customer, "enhanced_whatsapp", message)
    except ValueError as exc:
        assert unstorable(customer) or unstorable(message) or not message, exc
        check_line(str(exc), "inbound refusal")
        return
    assert unstorable(customer) is None and unstorable(message) is None
    await routing.route(ctx)
    detail = await listing.show_session(ctx, result.session_id, as_agent="dana")
    assert detail.session.customer == customer  # byte-identical
    assert detail.messages[-1].text == message
    reply = f"re: {message}"
    await conversations.send(ctx, "dana", result.session_id, reply)

    try:  # a macro nobody defined, with a hostile name: a clean "unknown macro"
        await automation.run_macro(ctx, macro, result.session_id, as_agent="dana")
    except ConsoleError as exc:
        check_line(str(exc), "unknown macro")
    ran = await automation.run_macro(ctx, "Resolve and close", result.session_id, as_agent="dana")
    assert [s.result for s in ran.steps] == ["done", "done"]

    detail = await listing.show_session(ctx, result.session_id, as_agent="dana")
    assert [m.text for m in detail.messages if m.author_kind != "system"] == [message, reply]
    for where, content in rendered(detail):
        check_segments(content.render_segments(), where)


def cli_example(db_url: str, customer: str, message: str) -> None:
    """The same text through the CLI: exit 0 with exact JSON, or exit 2 with one clean line."""
    customer = f"{customer}@cli"
    result = CliRunner().invoke(
        cli,
        ["--db", db_url, "--json", "inbound", "--customer", customer,
         "--channel", "standard_sms", "--text", message],
        catch_exceptions=False,
    )  # fmt: skip
    if result.exit_code != 0:
        assert result.exit_code == 2, (result.exit_code, result.stderr)
        check_line(result.stderr.rstrip("\n"), "cli error")
        return
    sid = json.loads(result.stdout)["session_id"]
    shown = CliRunner().invoke(cli, ["--db", db_url, "--json", "sessions", "show", str(sid)])
    data = json.loads(shown.stdout)
    assert data["customer"] == customer
    assert data["messages"][-1]["text"] == message  # JSON escapes, the text is exact
    human = CliRunner().invoke(cli, ["--db", db_url, "sessions", "show", str(sid)])
    assert human.exit_code == 0
    for line in human.stdout.splitlines():
        plain = line.replace("\t", " ")  # a tab in a shell's output is only blank space
        assert not bad_characters(plain), (bad_characters(plain), line[:80])


# ------------------------------------------------------------------------------ the console


async def test_console_shows_the_corpus_inert(ctx: Ctx, db_url: str, tmp_path: Path) -> None:
    """Invariant: with every corpus entry as a customer name, a message and a macro name on
    screen, no segment of the whole screen holds an escape, a control, a link or an action;
    clicks and keys run nothing the text asked for."""
    await agents.add_agent(ctx, "dana", capacity=50, permissions=ALL)
    await presence.set_presence(ctx, "dana", Presence.ONLINE)
    # One session per corpus entry (the list shows every name), one of them holding every
    # entry as a message (its transcript shows them all), one ended by a hostile macro.
    sessions = []
    for i, text in enumerate(CORPUS):
        r = await conversations.inbound(ctx, f"{text} #{i}", "enhanced_whatsapp", text)
        sessions.append(r.session_id)
    for text in CORPUS:
        await conversations.inbound(ctx, f"{CORPUS[0]} #0", "enhanced_whatsapp", text)
    await routing.route(ctx)
    evil_macro = CORPUS[0] + " [@click=app.quit]macro[/]"
    async with ctx.db.write() as conn:
        await conn.execute(
            insert(Macro).values(name=evil_macro, description=CORPUS[4], steps='[{"step": "end"}]')
        )
    ran = await automation.run_macro(ctx, evil_macro, sessions[1], as_agent="dana")
    assert ran.steps[0].result == "done"

    app = make_app(db_url, "dana", clock=ctx.clock, timezone=UTC, poll_interval=0.2)
    async with app.run_test(size=(120, 60)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConsoleScreen) and app.screen.loaded)
        screen = app.screen
        assert isinstance(screen, ConsoleScreen)
        total = 0
        for sid in (sessions[0], sessions[1], sessions[-1]):
            screen.open_session(sid)
            await until(pilot, lambda sid=sid: screen.detail is not None
                        and screen.detail.session.id == sid)  # fmt: skip
            await pilot.pause(0.05)
            await click(pilot, Transcript, offset=(10, 1))
            if sid == sessions[0]:  # every corpus entry is in this transcript, made visible
                shown = screen.query_one(Transcript).plain_text
                assert "␛]52;c;" in shown and "[@click=app.quit]quit[/]" in shown
            for strip in app.screen._compositor.render_strips():
                total += check_segments(strip, f"screen for S-{sid}")
            assert app.is_running
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Open session")
        await pilot.pause(0.5)
        for strip in app.screen._compositor.render_strips():
            total += check_segments(strip, "command palette")
        await pilot.press("escape")
        svg = app.export_screenshot()
        assert "\x1b" not in svg
        assert app.is_running and isinstance(app.screen, ConsoleScreen)
    assert total > 1000
    await finish_with_check(ctx, db_url)


async def until(pilot: Any, predicate: Any, *, within: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not predicate():
        assert loop.time() < deadline, f"timed out waiting for {predicate}"
        await pilot.pause(0.05)


# ------------------------------------------------------------------------------ theme files


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (every control escaped, as TOML requires)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F or 0xD800 <= ord(ch) <= 0xDFFF:
            out.append(f"\\u{ord(ch) if ord(ch) < 0xD800 else 0xFFFD:04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


@settings(max_examples=EXAMPLES, deadline=None)
@given(name=hostile_text, value=hostile_text)
def test_hostile_theme_values_are_refused_in_one_clean_line(name: str, value: str) -> None:
    """Invariant: a theme whose name, colours or variables are hostile is refused with one
    escaped line (or accepted when it is in fact a plain, valid theme) -- never a crash."""
    data = {"name": name, "primary": value, "variables": {"msg-customer": value, "x": value}}
    try:
        theme_from_mapping(data, default_name="t")
    except ValueError as exc:
        from agent_console.tui.themes import ThemeProblem

        check_line(ThemeProblem(Path("t.toml"), str(exc)).message, "theme")


async def test_hostile_theme_files_are_one_notification_each(tmp_path: Path) -> None:
    """Invariant: theme files with hostile names, values and file names load as problems
    with clean one-line messages, the console starts and shows them inert."""
    folder = tmp_path / "themes"
    folder.mkdir()
    for i, text in enumerate(CORPUS[:12]):
        safe_name = "".join(c if c.isalnum() else "-" for c in text)[:20].strip("-") or "x"
        body = f"name = {toml_string(text)}\nprimary = {toml_string(text)}\n"
        (folder / f"{i:02}-{safe_name}.toml").write_text(body, encoding="utf-8")
    (folder / "\x1b]0;title\x07.toml").write_text('primary = "#123456"\n', encoding="utf-8")
    (folder / "bad-utf8.toml").write_bytes(b'name = "\xff\xfe\x1b[31m"\n')
    themes, problems = load_themes([folder])
    assert len(problems) == 14 and themes == []
    for problem in problems:
        check_line(problem.message, "theme problem")

    db = tmp_path / "console.db"
    app = make_app(f"sqlite+aiosqlite:///{db}", None, theme_dirs=[folder], timezone=UTC)
    notes: list[str] = []
    notify = app.notify

    def record(message: str, **kw: Any) -> None:
        notes.append(message)
        notify(message, **kw)

    app.notify = record  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        for strip in app.screen._compositor.render_strips():
            check_segments(strip, "theme notifications")
        assert app.is_running
    assert len([n for n in notes if n.startswith("theme file")]) == 14
    for note in notes:
        check_line(note, "notification")


# ------------------------------------------------------------------------------ config values


@settings(max_examples=EXAMPLES, deadline=None)
@given(key=st.sampled_from(["agent", "theme", "database_url", "log_level", "keymap.x", "k"]),
       value=hostile_text)  # fmt: skip
def test_hostile_config_values_give_one_clean_line(
    tmp_path_factory: Any, key: str, value: str
) -> None:
    """Invariant: any hostile value in config.toml gives settings or a one-line ConfigError
    with nothing a terminal would obey, and a hostile agent name is "unknown agent", clean."""
    folder = tmp_path_factory.mktemp("config")
    path = folder / "config.toml"
    if "." in key:
        table, sub = key.split(".")
        path.write_text(f"[{table}]\n{sub} = {toml_string(value)}\n", encoding="utf-8")
    else:
        path.write_text(f"{key} = {toml_string(value)}\n", encoding="utf-8")
    try:
        loaded = load_settings(path, env={})
    except ConfigError as exc:
        check_line(str(exc), "config error")
        return
    if key == "agent" and loaded.agent:
        db = folder / "console.db"
        result = CliRunner().invoke(
            cli, ["--config", str(path), "--db", str(db), "sessions", "end", "1"]
        )
        assert result.exit_code == 1, (result.exit_code, result.stderr)
        check_line(result.stderr.rstrip("\n"), "unknown agent")


def test_log_records_stay_one_line_each(tmp_path: Path) -> None:
    """Invariant: a record carrying every corpus entry and a traceback is one escaped line."""
    path = tmp_path / LOG_FILE
    setup_logging("debug", path)
    log = logging.getLogger("agent_console.test")
    try:
        for text in CORPUS:
            log.warning("customer wrote %s", text)
        try:
            raise RuntimeError("boom\n" + "".join(CORPUS))
        except RuntimeError:
            log.exception("failed with %s", CORPUS[0])
    finally:
        stop_logging()
        logging.getLogger("agent_console").setLevel(logging.WARNING)
    assert check_log(path) == len(CORPUS) + 1
    assert "␛]52;" in path.read_text(encoding="utf-8")

"""The CLI as a program: help, exit codes, one-line errors, passwords, files left untouched."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import Console

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".venv" / "bin" / "agent-console"


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("agent-console: error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_installed_script_prints_help(home: Path) -> None:
    exe = SCRIPT if SCRIPT.exists() else Path(sys.executable).with_name("agent-console")
    env = {**os.environ, "AGENT_CONSOLE_HOME": str(home)}
    done = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    for command in ("sessions", "agents", "presence", "logout", "demo", "locate", "check"):
        assert command in done.stdout


def test_module_runs_as_a_script(home: Path, tmp_path: Path) -> None:
    env = {**os.environ, "AGENT_CONSOLE_HOME": str(home)}
    db = tmp_path / "m.db"
    done = subprocess.run(
        [sys.executable, "-m", "agent_console.cli.main", "--db", str(db), "agents", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "no agents yet" in done.stdout


def test_importing_the_cli_does_not_import_textual() -> None:
    code = "import sys, agent_console.cli.main; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_lazy_command_is_the_one_its_module_defines() -> None:
    """The root group imports a command's module only when it runs: the table it does that
    from names every command of every module, under its own name."""
    import importlib

    from agent_console.cli.main import LAZY_COMMANDS

    defined = {}
    for module in {module for module, _ in LAZY_COMMANDS.values()}:
        for command in importlib.import_module(f"agent_console.cli.{module}").COMMANDS:
            defined[command.name] = (module, command.callback.__name__)
    assert defined == {
        name: (
            module,
            getattr(importlib.import_module(f"agent_console.cli.{module}"), attr).callback.__name__,
        )
        for name, (module, attr) in LAZY_COMMANDS.items()
    }


def test_a_command_loads_its_own_module_only(home: Path, tmp_path: Path) -> None:
    code = (
        "import json, sys\n"
        "from agent_console.cli.main import main\n"
        "try:\n"
        f"    main(['--db', {str(tmp_path / 'm.db')!r}, 'agents', 'list'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('agent_console.cli.'))), "
        "file=sys.stderr)\n"
    )
    env = {**os.environ, "AGENT_CONSOLE_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert "no agents yet" in done.stdout, done.stderr
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert "agent_console.cli.agents" in loaded
    assert not loaded & {
        "agent_console.cli.admin",
        "agent_console.cli.sessions",
        "agent_console.cli.gateway",
        "agent_console.cli.talk",
        "agent_console.cli.ops",
    }


def test_a_command_runs_with_the_collector_on(run_sqlite: Console) -> None:
    """The script pauses the garbage collector for the console's start (cli/entry.py); any
    other command turns it back on as soon as it is chosen."""
    import gc

    gc.disable()
    try:
        run_sqlite("agents", "list")
        assert gc.isenabled()
    finally:
        gc.enable()


def test_the_script_entry_runs_the_cli(home: Path) -> None:
    code = (
        "import sys; sys.argv[1:] = ['--version']\n"
        "from agent_console.cli.entry import main\n"
        "main()\n"
    )
    env = {**os.environ, "AGENT_CONSOLE_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "agent-console, version" in done.stdout
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'agent-console = "agent_console.cli.entry:main"' in pyproject


def test_every_command_has_help(run_sqlite: Console) -> None:
    groups = {
        "": [
            "demo", "db", "seed", "agents", "presence", "logout", "inbound", "outbound", "route",
            "send", "sessions", "capacity", "settings", "macro", "trigger", "sweep", "check",
            "changes", "locate",
        ],
        "db": ["upgrade"],
        "agents": ["add", "set", "list", "show"],
        "sessions": [
            "list", "show", "end", "bulk-status", "resume", "close-tab", "inactive",
        ],
        "settings": ["list", "set"],
        "macro": ["list", "run"],
        "trigger": ["list", "fire"],
    }  # fmt: skip
    for group, commands in groups.items():
        for command in commands:
            argv = [group, command, "--help"] if group else [command, "--help"]
            result = run_sqlite(*argv, db=False)
            assert "Usage:" in result.stdout
            if command not in groups:  # a leaf command: --json is accepted there too
                assert "--json" in result.stdout, argv


def test_locate_names_the_directories(run_sqlite: Console, home: Path) -> None:
    data = run_sqlite.json("locate")
    assert data["config_dir"] == str(home / "config")
    assert data["data_dir"] == str(home / "data")
    assert data["themes_dir"] == str(home / "config" / "themes")
    assert data["config_file"] == str(home / "config" / "config.toml")
    assert data["database_url"] == run_sqlite.url
    human = run_sqlite("locate").stdout
    assert str(home / "data") in human and "database url" in human


def test_locate_hides_the_password(run_sqlite: Console) -> None:
    url = "postgresql+asyncpg://agent:hunter22@db.example:5432/console"
    data = json.loads(run_sqlite("--db", url, "--json", "locate", db=False).stdout)
    assert "hunter22" not in data["database_url"]
    assert data["database_url"] == "postgresql+asyncpg://agent:***@db.example:5432/console"


def test_default_database_is_created_in_the_data_dir_for_its_owner_only(
    run_sqlite: Console, home: Path
) -> None:
    assert not (home / "data").exists()
    old_umask = os.umask(0o022)  # the usual umask: a file SQLite made itself would be 0644
    try:
        run_sqlite("agents", "add", "dana", db=False)
    finally:
        os.umask(old_umask)
    db = home / "data" / "agent-console.db"
    assert db.is_file()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "data").stat().st_mode) == 0o700
    assert "dana" in run_sqlite("agents", "list", db=False).stdout


def test_the_console_start_makes_the_data_dir_and_the_database_private(
    run_sqlite: Console, home: Path
) -> None:
    old_umask = os.umask(0o022)
    try:  # the check before the console refuses the agent: nothing of Textual starts
        result = run_sqlite("--as", "nobody", db=False, code=1)
    finally:
        os.umask(old_umask)
    assert "unknown agent" in result.stderr
    assert stat.S_IMODE((home / "data").stat().st_mode) == 0o700
    assert stat.S_IMODE((home / "data" / "agent-console.db").stat().st_mode) == 0o600


def test_database_from_the_environment(
    run_sqlite: Console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "env.db"
    monkeypatch.setenv("AGENT_CONSOLE_DB", f"sqlite+aiosqlite:///{db}")
    run_sqlite("agents", "add", "dana", db=False)
    assert db.is_file()
    assert run_sqlite.json("locate", code=0)["database_url"] == run_sqlite.url  # --db wins


def test_database_and_agent_from_the_config_file(run_sqlite: Console, tmp_path: Path) -> None:
    db = tmp_path / "cfg.db"
    config = tmp_path / "console.toml"
    config.write_text(f'database_url = "sqlite+aiosqlite:///{db}"\nagent = "dana"\n')
    run_sqlite("--config", str(config), "agents", "add", "dana", "--perm", "messaging_agent",
               db=False)  # fmt: skip
    run_sqlite("--config", str(config), "presence", "dana", "online", db=False)
    started = run_sqlite("--config", str(config), "--json", "outbound", "--customer", "Ana",
                         "--channel", "standard_sms", "--text", "hello", db=False)  # fmt: skip
    assert json.loads(started.stdout)["status"] == "Active"
    assert db.is_file()


def test_bad_config_file_is_a_usage_error(run_sqlite: Console, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("busy_timeout_ms = 'soon'\n")
    result = run_sqlite("--config", str(config), "agents", "list", code=2)
    line = _one_error_line(result.stderr)
    assert "busy_timeout_ms" in line and "bad.toml" in line


def test_malformed_url_exits_2_without_the_password(run_sqlite: Console) -> None:
    result = run_sqlite("--db", "mysql://u:secret@h/db", "sessions", "list", code=2, db=False)
    _one_error_line(result.stderr)
    assert "secret" not in result.stdout + result.stderr
    assert "bad database URL" in result.stderr


def test_unreachable_postgres_exits_1_without_the_password(run_sqlite: Console) -> None:
    url = "postgresql+asyncpg://agent:s3cr3t-pw@127.0.0.1:9/console"
    result = run_sqlite("--db", url, "agents", "list", code=1, db=False)
    line = _one_error_line(result.stderr)
    assert "s3cr3t-pw" not in result.stdout + result.stderr
    assert "127.0.0.1" in line


def test_a_file_that_is_not_a_database_is_left_untouched(
    run_sqlite: Console, tmp_path: Path
) -> None:
    victim = tmp_path / "notes.txt"
    content = b"these are my notes, not a database\n" * 20
    victim.write_bytes(content)
    result = run_sqlite("--db", str(victim), "sessions", "list", code=1, db=False)
    assert "not an SQLite database" in _one_error_line(result.stderr)
    assert victim.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("notes")) == ["notes.txt"]


def test_a_missing_directory_is_not_created(run_sqlite: Console, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "deeper" / "console.db"
    result = run_sqlite("--db", f"sqlite+aiosqlite:///{target}", "agents", "list", code=1,
                        db=False)  # fmt: skip
    assert "does not exist" in _one_error_line(result.stderr)
    assert not (tmp_path / "missing").exists()


def test_usage_errors_exit_2_in_one_line(run_sqlite: Console) -> None:
    cases = [
        ("sessions", "list", "--bogus"),
        ("sessions", "show", "S-x"),
        ("sessions", "list", "--older-than", "soon"),
        ("sessions", "list", "--status", "Sleeping"),
        ("sessions", "list", "--channel", "carrier_pigeon"),
        ("sweep", "--now", "yesterday"),
        ("presence", "dana", "dancing"),
        ("no-such-command",),
        ("sessions", "end", "1"),  # nobody said who they are
        ("sessions", "end", "--as", "dana"),  # no ids, no --all-matching
    ]
    for argv in cases:
        result = run_sqlite(*argv, code=2)
        _one_error_line(result.stderr)
        assert result.stdout == "", argv


def test_group_without_a_command_shows_its_help(run_sqlite: Console) -> None:
    result = run_sqlite("sessions")
    assert "Commands:" in result.stdout and "end" in result.stdout


def test_not_found_exits_1(run_sqlite: Console) -> None:
    for argv in (
        ("agents", "show", "ghost"),
        ("capacity", "ghost"),
        ("sessions", "show", "S-404"),
        ("sessions", "bulk-status", "9"),
        ("send", "--as", "ghost", "S-1", "hi"),
        ("sessions", "list", "--owner", "ghost"),
    ):
        result = run_sqlite(*argv, code=1)
        line = _one_error_line(result.stderr)
        assert "ghost" in line or "404" in line or "9" in line


def test_json_is_accepted_globally_and_on_the_command(run_sqlite: Console) -> None:
    run_sqlite("agents", "add", "dana")
    on_command = json.loads(run_sqlite("agents", "list", "--json").stdout)
    globally = json.loads(run_sqlite("--json", "agents", "list").stdout)
    assert on_command == globally
    assert [a["name"] for a in globally] == ["dana"]

"""Configuration: paths, loading and its errors, env overrides, database URLs, save_theme."""

from __future__ import annotations

import dataclasses
import os
import stat
import sys
import tomllib
from pathlib import Path

import platformdirs
import pytest
from sqlalchemy.engine import make_url

from agent_console import config
from agent_console.config import (
    ConfigError,
    Settings,
    load_settings,
    normalize_database_url,
    redact_url,
    resolve_database_url,
    save_theme,
)

ENV_VARS = (
    "AGENT_CONSOLE_HOME",
    "AGENT_CONSOLE_CONFIG",
    "AGENT_CONSOLE_DB",
    "AGENT_CONSOLE_AGENT",
    "AGENT_CONSOLE_THEME",
)
HOSTILE = "\\u001b]52;c;SGVsbG8=\\u0007\\u009b2J\\u202e"  # TOML escapes: OSC 52, BEL, CSI, RLO


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test runs with AGENT_CONSOLE_HOME in tmp and no other config env vars."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AGENT_CONSOLE_HOME", str(tmp_path))
    return tmp_path


def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(**kw: object) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(**kw)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    return message


# --------------------------------------------------------------------------- locations


def test_home_replaces_config_and_data_roots(home: Path) -> None:
    assert config.config_dir() == home / "config"
    assert config.data_dir() == home / "data"
    assert config.user_themes_dir() == home / "config" / "themes"
    assert config.default_config_file() == home / "config" / "config.toml"
    url = config.default_database_url()
    assert url == f"sqlite+aiosqlite:///{home}/data/agent-console.db"
    assert make_url(url).database == str(home / "data" / "agent-console.db")


def test_platformdirs_without_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENT_CONSOLE_HOME")
    assert config.config_dir() == platformdirs.user_config_path("agent-console", appauthor=False)
    assert config.data_dir() == platformdirs.user_data_path("agent-console", appauthor=False)


def test_default_database_url_survives_odd_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = tmp_path / "a?b#c%20d"
    monkeypatch.setenv("AGENT_CONSOLE_HOME", str(odd))
    url = config.default_database_url()
    assert make_url(url).database == str(odd / "data" / "agent-console.db")
    assert not make_url(url).query


# --------------------------------------------------------------------------- loading


def test_defaults_without_a_file(home: Path) -> None:
    settings = load_settings()
    assert settings == Settings()
    assert settings.database_url is None
    assert settings.agent is None
    assert settings.theme == "agent-dark"
    assert settings.busy_timeout_ms == 5000
    assert settings.keymap == {}
    assert settings.refresh_interval_ms == 250
    assert settings.log_level == "warning"
    assert not (home / "config").exists()  # loading never creates anything


def test_file_values(home: Path) -> None:
    write_config(
        home,
        """
database_url = "postgresql+asyncpg://u:pw@db:5432/cc"
agent = "alice"
theme = "nord"
busy_timeout_ms = 0
refresh_interval_ms = 10000
log_level = "DEBUG"

[keymap]
end_chat = "ctrl+e"
"next.queue" = "f2,ctrl+n"
""",
    )
    settings = load_settings()
    assert settings.database_url == "postgresql+asyncpg://u:pw@db:5432/cc"
    assert settings.agent == "alice"
    assert settings.theme == "nord"
    assert settings.busy_timeout_ms == 0
    assert settings.refresh_interval_ms == 10000
    assert settings.log_level == "debug"
    assert settings.keymap == {"end_chat": "ctrl+e", "next.queue": "f2,ctrl+n"}


def test_utf8_bom_is_accepted(home: Path) -> None:
    path = write_config(home, "")
    path.write_bytes(b'\xef\xbb\xbftheme = "nord"\n')
    assert load_settings().theme == "nord"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.theme = "other"


def test_unknown_key_is_named(home: Path) -> None:
    path = write_config(home, 'theme = "nord"\ncolour = "red"\n')
    message = load_error()
    assert str(path) in message
    assert '"colour"' in message
    assert "unknown key" in message


def test_bad_type_names_file_key_and_value(home: Path) -> None:
    path = write_config(home, 'busy_timeout_ms = "abc"\n')
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value) == (
        f'config error in {path}: key "busy_timeout_ms": value "abc" is not a valid integer'
    )
    assert info.value.key == "busy_timeout_ms"
    assert info.value.source == str(path)


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ("busy_timeout_ms = true", '"busy_timeout_ms"', "value True is not a valid integer"),
        ("busy_timeout_ms = 1.5", '"busy_timeout_ms"', "value 1.5 is not a valid integer"),
        ("busy_timeout_ms = -1", '"busy_timeout_ms"', "value -1 must be >= 0"),
        ("busy_timeout_ms = 600001", '"busy_timeout_ms"', "must be <= 600000"),
        ("refresh_interval_ms = 49", '"refresh_interval_ms"', "value 49 must be >= 50"),
        ("refresh_interval_ms = 10001", '"refresh_interval_ms"', "must be <= 10000"),
        ('log_level = "loud"', '"log_level"', 'value "loud" must be one of'),
        ("theme = 3", '"theme"', "value 3 is not a string"),
        ('theme = ""', '"theme"', "is not a valid theme name"),
        ('theme = "../../etc/passwd"', '"theme"', "is not a valid theme name"),
        ('keymap = "ctrl+e"', '"keymap"', 'value "ctrl+e" is not a table'),
        ("keymap = { end_chat = 5 }", '"keymap.end_chat"', "value 5 is not a string"),
        ("agent = [1, 2]", '"agent"', "value [1, 2] is not a string"),
    ],
)
def test_validation_errors_name_the_key(home: Path, text: str, key: str, fragment: str) -> None:
    path = write_config(home, text + "\n")
    message = load_error()
    assert message.startswith(f"config error in {path}: key {key}: ")
    assert fragment in message


def test_first_bad_key_is_reported(home: Path) -> None:
    write_config(home, 'busy_timeout_ms = "x"\nrefresh_interval_ms = "y"\n')
    message = load_error()
    assert '"busy_timeout_ms"' in message
    assert "refresh_interval_ms" not in message


def test_toml_syntax_error_names_file_and_line(home: Path) -> None:
    path = write_config(home, 'theme = "nord"\nagent = \n')
    message = load_error()
    assert message.startswith(f"config error in {path}: TOML syntax error at line 2, column")


def test_toml_syntax_error_at_end_of_file(home: Path) -> None:
    path = write_config(home, 'theme = "nord\n')
    message = load_error()
    assert str(path) in message and "TOML syntax error" in message


def test_not_utf8_is_an_error(home: Path) -> None:
    path = write_config(home, "")
    path.write_bytes(b'theme = "\xff"\n')
    message = load_error()
    assert str(path) in message and "UTF-8" in message


def test_config_path_that_is_a_directory(home: Path) -> None:
    (home / "config" / "config.toml").mkdir(parents=True)
    message = load_error()
    assert "cannot read file" in message


@pytest.mark.parametrize(
    "text",
    [
        f'busy_timeout_ms = "{HOSTILE}"',
        f'theme = "{HOSTILE}"',
        f'"{HOSTILE}" = 1',
        f'keymap = {{ "{HOSTILE}" = 1 }}',
        f'log_level = "{HOSTILE * 10}"',
        f'agent = ["{HOSTILE}"]',
    ],
)
def test_hostile_values_never_reach_the_terminal_raw(home: Path, text: str) -> None:
    write_config(home, text + "\n")
    message = load_error()
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in message
    # Shown instead: a string as a control picture (domain.text), any other value by its repr.
    assert ("\u241b" if "[" not in text else "\\x1b") in message
    assert message.isprintable()


def test_long_values_are_clipped(home: Path) -> None:
    write_config(home, f'busy_timeout_ms = "{"9x" * 200}"\n')
    message = load_error()
    assert "..." in message
    assert len(message) < len(str(config.default_config_file())) + 160


# --------------------------------------------------------------------------- environment


def test_env_overrides_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(home, 'database_url = "sqlite:///file.db"\nagent = "alice"\ntheme = "nord"\n')
    monkeypatch.setenv("AGENT_CONSOLE_DB", "postgresql://u:pw@h/db")
    monkeypatch.setenv("AGENT_CONSOLE_AGENT", "bob")
    monkeypatch.setenv("AGENT_CONSOLE_THEME", "agent-light")
    settings = load_settings()
    assert settings.database_url == "postgresql://u:pw@h/db"
    assert settings.agent == "bob"
    assert settings.theme == "agent-light"


def test_env_mapping_argument_is_used_instead_of_os_environ(home: Path) -> None:
    other = home / "elsewhere"
    path = other / "config" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('agent = "carol"\n')
    settings = load_settings(env={"AGENT_CONSOLE_HOME": str(other), "AGENT_CONSOLE_THEME": "x"})
    assert settings.agent == "carol"
    assert settings.theme == "x"


def test_empty_env_values_count_as_unset(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(home, 'agent = "alice"\n')
    monkeypatch.setenv("AGENT_CONSOLE_AGENT", "")
    monkeypatch.setenv("AGENT_CONSOLE_CONFIG", "")
    assert load_settings().agent == "alice"


def test_env_error_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_CONSOLE_THEME", "a/\x1b[31mb")
    message = load_error()
    assert message.startswith("config error in environment variable AGENT_CONSOLE_THEME: ")
    assert "\x1b" not in message
    assert "config.toml" not in message


def test_config_env_names_the_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = home / "custom.toml"
    path.write_text('theme = "custom"\n')
    monkeypatch.setenv("AGENT_CONSOLE_CONFIG", str(path))
    assert load_settings().theme == "custom"


def test_config_env_pointing_to_missing_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = home / "nope.toml"
    monkeypatch.setenv("AGENT_CONSOLE_CONFIG", str(missing))
    message = load_error()
    assert message == f"config error in {missing}: file not found"


def test_path_argument_missing_is_an_error(home: Path) -> None:
    message = load_error(path=home / "missing.toml")
    assert "missing.toml" in message and "file not found" in message


def test_path_argument_wins_over_config_env(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_CONSOLE_CONFIG", str(home / "nope.toml"))
    path = home / "given.toml"
    path.write_text('agent = "dave"\n')
    assert load_settings(path).agent == "dave"


# --------------------------------------------------------------------------- database URL

SECRET = "s3cr3t-pa55"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite+aiosqlite:////var/db/x.db", "sqlite+aiosqlite:////var/db/x.db"),
        ("sqlite:////var/db/x.db", "sqlite+aiosqlite:////var/db/x.db"),
        ("sqlite:///rel.db", "sqlite+aiosqlite:///rel.db"),
        ("sqlite+aiosqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        (
            f"postgresql+asyncpg://u:{SECRET}@h:5432/db",
            f"postgresql+asyncpg://u:{SECRET}@h:5432/db",
        ),
        (f"postgresql://u:{SECRET}@h:5432/db", f"postgresql+asyncpg://u:{SECRET}@h:5432/db"),
        (f"postgres://u:{SECRET}@h/db", f"postgresql+asyncpg://u:{SECRET}@h/db"),
        ("postgresql://u:p%40ss@h/db", "postgresql+asyncpg://u:p%40ss@h/db"),
        ("postgresql:///db", "postgresql+asyncpg:///db"),
        ("  postgresql://h/db  ", "postgresql+asyncpg://h/db"),
    ],
)
def test_accepted_database_urls(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected
    assert resolve_database_url(given, Settings()) == expected


def test_bare_path_is_a_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = tmp_path / "dir" / "console.db"
    assert resolve_database_url(str(absolute), Settings()) == f"sqlite+aiosqlite:///{absolute}"
    monkeypatch.chdir(tmp_path)
    url = resolve_database_url("rel.db", Settings())
    assert make_url(url).drivername == "sqlite+aiosqlite"
    assert make_url(url).database == str(tmp_path / "rel.db")
    odd = tmp_path / "we?ird#name.db"
    assert make_url(resolve_database_url(str(odd), Settings())).database == str(odd)


def test_bare_path_expands_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    url = normalize_database_url("~/x.db")
    assert make_url(url).database == str(tmp_path / "x.db")


@pytest.mark.parametrize(
    "given",
    [
        f"mysql://u:{SECRET}@h/db",
        f"postgresql+psycopg2://u:{SECRET}@h/db",
        f"sqlite+pysqlite:///x.db?password={SECRET}",
        f"http://u:{SECRET}@h",
        f"postgresql://u:{SECRET}@h:notaport/db",  # unparseable: regex redaction
        f"postgresql://u:{SECRET}@x@h/db",  # unencoded "@" in the password
        f"postgresql:/u:{SECRET}@h/db",  # looks like a URL, is not a path
        "sqlite://x.db",  # two slashes: "x.db" would be a host
        "",
        "   ",
    ],
)
def test_rejected_database_urls(given: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_database_url(given, Settings())
    message = str(info.value)
    assert message.startswith("bad database URL ")
    assert SECRET not in message
    assert "\n" not in message
    assert info.value.__suppress_context__ or info.value.__context__ is None


def test_rejected_url_message_format() -> None:
    with pytest.raises(ConfigError) as info:
        normalize_database_url(f"mysql://u:{SECRET}@h/db")
    assert str(info.value) == (
        'bad database URL "mysql://u:***@h/db": supported are sqlite+aiosqlite:///PATH'
        " and postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DB"
    )


def test_database_url_precedence(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = resolve_database_url(None, Settings())
    assert default == config.default_database_url()
    assert default.startswith(f"sqlite+aiosqlite:///{home}/data/")

    write_config(home, 'database_url = "sqlite:////from/file.db"\n')
    assert resolve_database_url(None, load_settings()) == "sqlite+aiosqlite:////from/file.db"

    monkeypatch.setenv("AGENT_CONSOLE_DB", "postgres://h/envdb")
    assert resolve_database_url(None, load_settings()) == "postgresql+asyncpg://h/envdb"

    cli = resolve_database_url("sqlite:////from/cli.db", load_settings())
    assert cli == "sqlite+aiosqlite:////from/cli.db"


def test_bad_database_url_from_settings_is_redacted(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_CONSOLE_DB", f"oracle://scott:{SECRET}@h/db")
    with pytest.raises(ConfigError) as info:
        resolve_database_url(None, load_settings())
    assert SECRET not in str(info.value)
    assert "oracle://scott:***@h/db" in str(info.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"postgresql://u:{SECRET}@h:5432/db", "postgresql://u:***@h:5432/db"),
        (f"postgresql+asyncpg://u:{SECRET}@h/db", "postgresql+asyncpg://u:***@h/db"),
        (f"postgresql://u:{SECRET}@x@h/db", "postgresql://u:***@h/db"),
        (f"postgresql://u:{SECRET}@h:bad/db", "postgresql://u:***@h:bad/db"),
        (
            f"postgresql://u@h/db?password={SECRET}&ssl=on",
            "postgresql://u@h/db?password=***&ssl=on",
        ),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("sqlite+aiosqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
        ("not a url", "not a url"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_errors_about_database_url_values_are_redacted(home: Path) -> None:
    write_config(home, f'database_url = ["postgresql://u:{SECRET}@h/db"]\n')
    message = load_error()
    assert '"database_url"' in message
    assert SECRET not in message


def test_settings_repr_hides_the_password() -> None:
    settings = Settings(database_url=f"postgresql://u:{SECRET}@h/db")
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert settings.database_url == f"postgresql://u:{SECRET}@h/db"


# --------------------------------------------------------------------------- save_theme


def test_save_theme_creates_dir_and_file(home: Path) -> None:
    save_theme("nord")
    path = home / "config" / "config.toml"
    assert tomllib.loads(path.read_text()) == {"theme": "nord"}
    assert load_settings().theme == "nord"


def test_save_theme_round_trip_keeps_other_keys(home: Path) -> None:
    path = write_config(
        home,
        """# my settings
database_url = "postgresql://u:pw@h/db"
agent = "alice \\"the\\" agent\\\\x"
theme = "old"
busy_timeout_ms = 1234
log_level = "info"

[keymap]
end_chat = "ctrl+e"
"odd key.with dots" = "f2"
tricky = "tab\\there \\u0001 del\\u007f ünï"
""",
    )
    before = load_settings()
    save_theme("agent-light")
    after = load_settings()
    assert after.theme == "agent-light"
    assert after.replace(theme=before.theme) == before
    assert after.keymap["tricky"] == "tab\there \x01 del\x7f ünï"
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp files left


def test_save_theme_preserves_any_toml_value(home: Path) -> None:
    text = """
theme = "old"
unknown = [1, 2.5, true, "x", { a = 1 }]
when = 1979-05-27T07:32:00Z
day = 1979-05-27
big = 1e300
inf = -inf

[table]
k = "v"

[table.sub]
deep = 1
empty = {}
"""
    write_config(home, text)
    save_theme("nord")
    written = tomllib.loads((home / "config" / "config.toml").read_text())
    expected = tomllib.loads(text)
    expected["theme"] = "nord"
    assert written == expected


def test_save_theme_uses_config_env_and_keeps_mode(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = home / "custom.toml"
    path.write_text('agent = "bob"\n')
    path.chmod(0o600)
    monkeypatch.setenv("AGENT_CONSOLE_CONFIG", str(path))
    save_theme("nord")
    assert tomllib.loads(path.read_text()) == {"agent": "bob", "theme": "nord"}
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_save_theme_writes_through_a_symlink(home: Path) -> None:
    real = home / "dotfiles" / "config.toml"
    real.parent.mkdir()
    real.write_text('agent = "eve"\n')
    link = home / "config" / "config.toml"
    link.parent.mkdir()
    link.symlink_to(real)
    save_theme("nord")
    assert link.is_symlink()
    assert tomllib.loads(real.read_text()) == {"agent": "eve", "theme": "nord"}


@pytest.mark.parametrize("name", ["", "a/b", "x\x1b[2J"])
def test_save_theme_rejects_bad_names(home: Path, name: str) -> None:
    path = write_config(home, 'theme = "old"\n')
    with pytest.raises(ConfigError) as info:
        save_theme(name)
    assert "\x1b" not in str(info.value)
    assert path.read_text() == 'theme = "old"\n'


def test_save_theme_refuses_to_clobber_a_broken_file(home: Path) -> None:
    path = write_config(home, "theme = \n")
    with pytest.raises(ConfigError):
        save_theme("nord")
    assert path.read_text() == "theme = \n"


def test_save_theme_explicit_path(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "c.toml"
    save_theme("nord", path)
    assert load_settings(path).theme == "nord"
    assert not os.path.exists(tmp_path / "config")


# --------------------------------------------------------------------------- [keymap] (issue 11)


def keymap_error(home: Path, table: str) -> str:
    """The one-line error the console's keymap check gives for ``[keymap]`` ``table``."""
    from agent_console.tui.app import console_keymap

    write_config(home, f"[keymap]\n{table}\n")
    settings = load_settings()  # the file itself is fine: a table of strings
    with pytest.raises(ConfigError) as info:
        config.check_keymap(settings, console_keymap)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    assert message.startswith(f"config error in {home / 'config' / 'config.toml'}: key ")
    return message


def test_keymap_the_readmes_end_chat_is_the_end_chat_binding(home: Path) -> None:
    """Issue 11 defect 2: ``end_chat = "f8"`` (the README's example) moved nothing, as the
    binding's id is end-chat; both spellings now name it, and keys come out as Textual's."""
    from agent_console.tui.app import console_keymap

    write_config(home, '[keymap]\nend_chat = "f8"\nRun_Macro = "F9, ctrl+B"\nhelp = "f1,?"\n')
    settings = config.check_keymap(load_settings(), console_keymap)
    assert settings.keymap == {
        "end-chat": "f8",
        "run-macro": "f9,ctrl+b",
        "help": "f1,question_mark",
    }
    assert settings.theme == "agent-dark"  # the rest untouched


def test_keymap_unknown_id_names_the_file_key_value_and_the_closest_id(home: Path) -> None:
    message = keymap_error(home, 'end_chta = "f8"')
    assert 'key "keymap.end_chta": value "f8" is for "end-chta", which no binding has' in message
    assert 'did you mean "end-chat"?' in message


def test_keymap_unknown_id_far_from_every_id_lists_them(home: Path) -> None:
    message = keymap_error(home, 'banana = "f8"')
    assert 'key "keymap.banana": value "f8"' in message
    assert "the binding ids are " in message
    for binding_id in ("end-chat", "toggle-row", "presence-online", "send", "help"):
        assert binding_id in message


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('end_chat = "f99"', '"f99" is not a key name'),
        ('end_chat = "ctrl+ee"', '"ee" is not a key name'),
        ('end_chat = "hyperz+e"', '"hyperz" is not a modifier'),
        ('end_chat = "f8,"', "one of its keys is empty"),
        ('end_chat = ""', "one of its keys is empty"),
        ('end_chat = "ctrl++"', "has no key after its modifiers (write + as plus)"),
    ],
)
def test_keymap_a_key_textual_cannot_read_is_one_error(
    home: Path, table: str, problem: str
) -> None:
    key, value = (part.strip() for part in table.split("="))
    message = keymap_error(home, table)
    assert f'key "keymap.{key}": value {value} is not a key Textual can read: ' in message
    assert problem in message


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        # another binding's default key on the same screen
        ('end_chat = "f3"', '"sessions-list" (Sessions) already uses on the Console screen'),
        # Textual's own defaults that the console keeps
        ('end_chat = "ctrl+q"', "Quit already uses on the Console screen"),
        ('next_session = "tab"', "Focus Next already uses on the Console screen"),
        # a key of a widget of the screen: the composer's, the list table's
        ('end_chat = "enter"', '"send" (Send) already uses on the Console screen'),
        ('list_end_sessions = "space"', "on the Messaging Sessions screen"),
        # an app-wide binding: on every screen that is not a dialog (Textual stops there)
        ('help = "e"', "already uses on the"),
        # a dialog's
        ('presence_online = "b"', '"presence-busy" (Busy) already uses on the Presence menu'),
    ],
)
def test_keymap_a_key_taken_on_the_same_screen_is_one_error(
    home: Path, table: str, problem: str
) -> None:
    key, value = (part.strip() for part in table.split("="))
    message = keymap_error(home, table)
    assert f'key "keymap.{key}": value {value} gives ' in message
    assert problem in message


def test_keymap_two_entries_on_one_key_and_one_binding_twice(home: Path) -> None:
    message = keymap_error(home, 'ledger = "f7"\nrun-macro = "f8,f7"')
    assert 'value "f7" gives "ledger" the key f7, which "run-macro" (Macros)' in message
    message = keymap_error(home, 'end_chat = "f8"\nend-chat = "f9"')
    assert 'key "keymap.end-chat": value "f9" moves "end-chat" again' in message


def test_keymap_moving_two_bindings_onto_each_others_keys_is_fine(home: Path) -> None:
    from agent_console.tui.app import console_keymap

    write_config(home, '[keymap]\nledger = "ctrl+r"\nrun_macro = "ctrl+l"\nhelp-close = "f1"\n')
    settings = config.check_keymap(load_settings(), console_keymap)
    assert settings.keymap == {"ledger": "ctrl+r", "run-macro": "ctrl+l", "help-close": "f1"}


def test_keymap_hostile_entry_gives_one_clean_line(home: Path) -> None:
    message = keymap_error(home, f'"{HOSTILE}" = "{HOSTILE}"')
    assert "\x1b" not in message and "\x07" not in message and "\u202e" not in message
    assert "\u241b" in message


def test_keymap_error_stops_the_console_before_it_starts(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's normal config error path: one line on stderr, exit 2, no console."""
    from click.testing import CliRunner

    from agent_console.cli.main import cli
    from agent_console.tui import app as app_module

    started: list[object] = []
    monkeypatch.setattr(app_module, "run_console", lambda **kw: started.append(kw))
    path = write_config(home, '[keymap]\nend_chat = "f3"\n')
    result = CliRunner().invoke(cli, ["--config", str(path)], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f'agent-console: error: config error in {path}: key "keymap.end_chat": value "f3" '
    )
    assert started == []
    assert not (home / "data" / "agent-console.db").exists()  # checked before the database

    path.write_text('[keymap]\nend_chat = "f8"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    [call] = started
    assert call["settings"].keymap == {"end-chat": "f8"}  # type: ignore[index]


def test_save_theme_keeps_comments_and_key_order(home: Path) -> None:
    text = """# My console settings.
agent = "alice"  # who I am
theme = "old"    # changed by the console

# Keys I moved around on purpose.
[keymap]
run_macro = "ctrl+l"
end_chat = "ctrl+e"  # the one I use most
"""
    path = write_config(home, text)
    save_theme("nord")
    assert path.read_text() == text.replace('theme = "old"', 'theme = "nord"')
    assert load_settings().theme == "nord"


def test_save_theme_adds_the_key_and_keeps_the_rest(home: Path) -> None:
    text = '# mine\nagent = "alice"\n\n[keymap]\nend_chat = "ctrl+e"  # keep me\n'
    path = write_config(home, text)
    save_theme("nord")
    written = path.read_text()
    assert written.startswith("# mine\n") and "# keep me" in written
    assert tomllib.loads(written) == {
        "agent": "alice", "theme": "nord", "keymap": {"end_chat": "ctrl+e"}
    }  # fmt: skip


def test_save_theme_leaves_a_broken_file_alone(home: Path) -> None:
    path = write_config(home, 'theme = "old\n')
    with pytest.raises(ConfigError) as info:
        save_theme("nord")
    assert "TOML syntax error" in str(info.value)
    assert path.read_text() == 'theme = "old\n'

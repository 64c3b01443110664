"""Where files live: the config and data directories, the config file, the default database.

Paths come from platformdirs (app name ``agent-console``). ``AGENT_CONSOLE_HOME`` replaces
both roots (``$AGENT_CONSOLE_HOME/config`` and ``$AGENT_CONSOLE_HOME/data``) so tests and
throw-away setups never touch the user's real files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from ..store.url import DatabaseURL

__all__ = [
    "AGENT_ENV",
    "APP_NAME",
    "CONFIG_ENV",
    "DB_ENV",
    "HOME_ENV",
    "THEME_ENV",
    "config_dir",
    "config_path",
    "data_dir",
    "default_config_file",
    "default_database_url",
    "user_themes_dir",
]

APP_NAME = "agent-console"
HOME_ENV = "AGENT_CONSOLE_HOME"
CONFIG_ENV = "AGENT_CONSOLE_CONFIG"
DB_ENV = "AGENT_CONSOLE_DB"
AGENT_ENV = "AGENT_CONSOLE_AGENT"
THEME_ENV = "AGENT_CONSOLE_THEME"


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


def config_path(path: Path | None, env: Mapping[str, str]) -> tuple[Path, bool]:
    """The config file to use and whether it was named explicitly."""
    if path is not None:
        return Path(path).expanduser(), True
    named = env.get(CONFIG_ENV)
    if named:
        return Path(named).expanduser(), True
    return _config_dir(env) / "config.toml", False


def default_database_url() -> str:
    """The SQLite file in the user's data directory."""
    return str(DatabaseURL.for_sqlite_file(data_dir() / "agent-console.db"))

"""Configuration: where files live, the ``config.toml`` settings, and the database URL.

By concern: :mod:`.paths` (directories and files), :mod:`.settings` (the values and their
checks), :mod:`.loading` (file + environment -> settings, one-line errors), :mod:`.keymap`
(the ``[keymap]`` check), :mod:`.database` (which database to open; parsing and redacting is
:mod:`agent_console.store.url`), :mod:`.writing` (saving a key with tomlkit). Importing this
package imports neither SQLAlchemy nor tomlkit.
"""

from __future__ import annotations

from .database import normalize_database_url, redact_url, resolve_database_url
from .errors import ConfigError
from .keymap import KeymapCheck, KeymapEntryError, check_keymap
from .loading import ENV_OVERRIDES, load_settings
from .paths import (
    AGENT_ENV,
    APP_NAME,
    CONFIG_ENV,
    DB_ENV,
    HOME_ENV,
    THEME_ENV,
    config_dir,
    data_dir,
    default_config_file,
    default_database_url,
    user_themes_dir,
)
from .settings import Settings, SettingsError
from .writing import save_theme, set_key

__all__ = [
    "AGENT_ENV",
    "APP_NAME",
    "CONFIG_ENV",
    "DB_ENV",
    "ENV_OVERRIDES",
    "HOME_ENV",
    "THEME_ENV",
    "ConfigError",
    "KeymapCheck",
    "KeymapEntryError",
    "Settings",
    "SettingsError",
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
    "set_key",
    "user_themes_dir",
]

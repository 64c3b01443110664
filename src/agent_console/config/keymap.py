"""Checking the ``[keymap]`` table with the console's own knowledge of its bindings."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from ..domain.text import escape_log
from .errors import ConfigError
from .paths import config_path
from .settings import Settings
from .show import show_key, show_path, show_value

__all__ = ["KeymapCheck", "KeymapEntryError", "check_keymap"]


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
        file, _explicit = config_path(path, os.environ if env is None else env)
        key = f"keymap.{exc.key}"
        raise ConfigError(
            f"config error in {show_path(file)}: key {show_key(key)}: value "
            f"{show_value(exc.value)} {escape_log(exc.problem)}",
            source=str(file),
            key=key,
        ) from None
    return settings.replace(keymap=keymap)

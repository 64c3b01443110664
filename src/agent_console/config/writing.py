"""Changing ``config.toml``: tomlkit keeps the user's comments, layout and key order."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from .errors import ConfigError
from .loading import parse_toml, read_config_text
from .paths import config_path
from .settings import check_theme_name
from .show import show_path, show_value

__all__ = ["save_theme", "set_key"]


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


def set_key(key: str, value: str | int | bool, path: Path | None = None) -> None:
    """Set the top-level ``key = value`` in the config file, keeping everything else as written.

    ``path`` defaults like :func:`load_settings`. The directory is created if missing, and the
    file is replaced atomically (a symlinked config file is written through to its target).
    A file that does not parse is an error (and is left alone).
    """
    import tomlkit  # only when writing: not on the start path

    file, _explicit = config_path(path, os.environ)
    text = read_config_text(file, explicit=False) or ""
    parse_toml(text, file)  # a broken file: the same error as loading it, and no write
    doc = tomlkit.parse(text)
    doc[key] = value
    target = Path(os.path.realpath(file))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(target, tomlkit.dumps(doc))
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"config error in {show_path(file)}: cannot write file: {reason}", source=str(file)
        ) from None


def save_theme(name: str, path: Path | None = None) -> None:
    """Set ``theme = name`` in the config file, keeping its comments and other keys."""
    try:
        check_theme_name(name)
    except ValueError as exc:
        raise ConfigError(f"cannot save theme {show_value(name)}: {exc}", key="theme") from None
    set_key("theme", name, path)

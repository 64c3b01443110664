"""Theme files: one ``textual.theme.Theme`` per TOML file, shipped ones and the user's own.

A file holds the fields of :class:`textual.theme.Theme` plus a ``[variables]`` table. Loading
never raises: a bad file becomes one :class:`ThemeProblem` naming it (the app shows it as one
notification) and the other themes load as usual.

The console's own colours (``status-online``, ``status-active``, ``capacity-full``,
``msg-customer``, ``session-cursor`` ...) are theme variables; :func:`app_variable_defaults`
derives them from a theme's base colours so a user theme that leaves them out still looks
right.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.color import Color, ColorParseError
from textual.filter import LineFilter, Monochrome, NoColor
from textual.theme import Theme

from ..domain.text import escape_log

if TYPE_CHECKING:
    from textual.app import App

DEFAULT_THEME = "agent-dark"

#: The console's own theme variables and the base colour each defaults to.
APP_VARIABLES: Mapping[str, str] = {
    "status-online": "success",
    "status-busy": "warning",
    "status-offline": "foreground-muted",
    "status-active": "success",
    "status-inactive": "warning",
    "status-ended": "foreground-muted",
    "capacity-ok": "success",
    "capacity-full": "error",
    "msg-customer": "accent",
    "msg-agent": "primary",
    "msg-system": "foreground-muted",
    # The open session's entry in the list: a background its status colours stay readable on.
    "session-cursor": "block-cursor-blurred-background",
    "session-cursor-text": "foreground",
}

_COLOUR_FIELDS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_BOOL_FIELDS = ("dark", "ansi")
_FRACTION_FIELDS = ("luminosity_spread", "text_alpha")
_KNOWN_KEYS = frozenset({"name", "variables", *_COLOUR_FIELDS, *_BOOL_FIELDS, *_FRACTION_FIELDS})
#: A theme name shows in the command palette, which parses markup: keep it plain.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_VARIABLE_NAME = re.compile(r"[a-z][a-z0-9-]{0,63}")
_VARIABLE_VALUE = re.compile(r"[A-Za-z0-9_#%.,() -]{1,64}")
_MAX_FILE_BYTES = 64 * 1024


@dataclass(frozen=True)
class ThemeProblem:
    """A theme file that could not be used, and why (one line, safe to display)."""

    path: Path
    reason: str

    @property
    def message(self) -> str:
        return escape_log(f"theme file {self.path.name}: {self.reason}")


class ThemeFileError(ValueError):
    pass


def shipped_themes_dir() -> Path | None:
    """The themes inside the package, ``agent_console/_themes`` (in a source tree a link to
    ``themes/`` at its root, which a wheel holds as files); None if it is not on disk."""
    shipped = resources.files("agent_console") / "_themes"
    return shipped if isinstance(shipped, Path) and shipped.is_dir() else None


def user_themes_dir() -> Path | None:
    """The user's theme folder (``config.user_themes_dir``), or None when it cannot be known."""
    from ..config import user_themes_dir as configured

    try:
        return configured()
    except Exception:  # a broken environment must not stop the console
        return None


def _colour(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{key} must be a colour string, not {type(value).__name__}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{key} = {value!r} is not a colour") from None
    return value


def _variables(table: object) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ThemeFileError("[variables] must be a table")
    out: dict[str, str] = {}
    for key, value in table.items():
        if not _VARIABLE_NAME.fullmatch(key):
            raise ThemeFileError(f"bad variable name {key!r}")
        if key in APP_VARIABLES:
            out[key] = _colour(f"variables.{key}", value)
            continue
        if not isinstance(value, str) or not _VARIABLE_VALUE.fullmatch(value):
            raise ThemeFileError(f"variables.{key} = {value!r} is not a plain CSS value")
        out[key] = value
    return out


def theme_from_mapping(data: Mapping[str, Any], *, default_name: str) -> Theme:
    """A validated :class:`Theme` from a parsed TOML table (raises :class:`ThemeFileError`)."""
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise ThemeFileError(f"unknown key {unknown[0]!r}")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ThemeFileError(
            f"name {name!r} must be 1-64 letters, digits, '-', '_' or '.' (starting with one "
            "of the first two)"
        )
    if "primary" not in data:
        raise ThemeFileError("primary is required")
    fields: dict[str, Any] = {}
    for key in _COLOUR_FIELDS:
        if key in data:
            fields[key] = _colour(key, data[key])
    for key in _BOOL_FIELDS:
        if key in data:
            if not isinstance(data[key], bool):
                raise ThemeFileError(f"{key} must be true or false")
            fields[key] = data[key]
    for key in _FRACTION_FIELDS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ThemeFileError(f"{key} must be a number")
            if not 0.0 <= value <= 1.0:
                raise ThemeFileError(f"{key} must be between 0 and 1")
            fields[key] = float(value)
    theme = Theme(name=name, variables=_variables(data.get("variables", {})), **fields)
    try:
        theme.to_color_system().generate()
    except Exception as exc:  # Textual's own checks, whatever they raise
        raise ThemeFileError(f"not a usable theme: {exc}") from None
    return theme


def load_theme_file(path: Path) -> Theme:
    try:
        with path.open("rb") as fh:
            raw = fh.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ThemeFileError(f"cannot read: {exc.strerror or type(exc).__name__}") from None
    if len(raw) > _MAX_FILE_BYTES:
        raise ThemeFileError(f"larger than {_MAX_FILE_BYTES // 1024} KiB")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ThemeFileError("not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"TOML syntax error: {exc}") from None
    return theme_from_mapping(data, default_name=path.stem)


def load_themes(folders: Iterable[Path | None]) -> tuple[list[Theme], list[ThemeProblem]]:
    """Every ``*.toml`` theme in ``folders`` (later folders override earlier ones by name)."""
    themes: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    for folder in folders:
        if folder is None:
            continue
        try:
            files = sorted(p for p in folder.glob("*.toml") if p.is_file())
        except OSError as exc:
            problems.append(ThemeProblem(folder, exc.strerror or type(exc).__name__))
            continue
        for path in files:
            try:
                theme = load_theme_file(path)
            except ThemeFileError as exc:
                problems.append(ThemeProblem(path, str(exc)))
                continue
            themes[theme.name] = theme
    return list(themes.values()), problems


def app_variable_defaults(base: Mapping[str, str]) -> dict[str, str]:
    """The console's variables from a theme's generated colours (``base``)."""
    return {name: base[source] for name, source in APP_VARIABLES.items() if source in base}


def fit_no_color_filter(app: App[Any]) -> bool:
    """Under ``NO_COLOR``, use the colour-stripping filter that suits the current theme.

    Textual honours ``NO_COLOR`` with a line filter chosen once, in ``App.__init__``, for the
    theme of that moment: ``Monochrome`` (greys) for a truecolor theme, ``NoColor`` (the
    terminal's default colours) for an ANSI one. It never chooses again when the theme changes,
    and ``Monochrome`` turns the ANSI theme's "default" colours into black on black: an
    unreadable console. Called whenever the theme is set; returns whether it swapped a filter.
    """
    if not app.no_color:
        return False
    wanted: type[LineFilter] = NoColor if app.native_ansi_color else Monochrome
    filters = app._filters  # Textual keeps its line filters here (pinned version, see above)
    for index, line_filter in enumerate(filters):
        if isinstance(line_filter, NoColor | Monochrome) and type(line_filter) is not wanted:
            filters[index] = wanted()
            app.refresh_css(animate=False)
            return True
    return False

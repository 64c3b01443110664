"""Help: every key binding of the console's screens and what each screen does.

Generated from the screens' ``BINDINGS`` (with the user's keymap applied) and their ``HELP``
text or docstring, so it cannot drift from the keys that really work. The screens that are
open now come first; every other screen of ``agent_console.tui.screens`` follows.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label

if TYPE_CHECKING:
    from textual.app import App, ComposeResult

SCREENS_PACKAGE = "agent_console.tui.screens"


@dataclass(frozen=True)
class KeyHelp:
    keys: str
    description: str
    tooltip: str


@dataclass(frozen=True)
class ScreenHelp:
    title: str
    about: str
    keys: list[KeyHelp]


def first_paragraph(text: str | None) -> str:
    if not text:
        return ""
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())


def screen_title(cls: type) -> str:
    title = getattr(cls, "HELP_TITLE", None)
    if isinstance(title, str) and title:
        return title
    name = cls.__name__.removesuffix("Screen") or cls.__name__
    words = re.findall(r"[A-Z][a-z0-9]*", name) or [name]
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def screen_about(cls: type) -> str:
    about = getattr(cls, "HELP", None)
    if isinstance(about, str) and about:
        return about
    # A screen module's docstring says what the screen is for; a class docstring often says
    # how it is used from code ("Dismisses with ...").
    module = inspect.getmodule(cls)
    return first_paragraph(module.__doc__ if module else None) or first_paragraph(
        cls.__dict__.get("__doc__")
    )


def key_help(
    bindings: Iterable[BindingType],
    keymap: Mapping[str, str],
    display: Callable[[Binding], str],
) -> list[KeyHelp]:
    """One entry per action, with every key bound to it (after the keymap)."""
    grouped: dict[tuple[str, str], list[str]] = {}
    tooltips: dict[tuple[str, str], str] = {}
    for binding in Binding.make_bindings(bindings):
        if binding.system:
            continue
        group = (binding.action, binding.description)
        keys = grouped.setdefault(group, [])
        tooltips.setdefault(group, binding.tooltip)
        if binding.id is not None and binding.id in keymap:
            chosen = [k.strip() for k in keymap[binding.id].split(",") if k.strip()]
        else:
            chosen = [binding.key]
        for key in chosen:
            moved = key != binding.key
            shown = display(replace(binding, key=key, key_display=None) if moved else binding)
            if shown not in keys:
                keys.append(shown)
    return [
        KeyHelp(", ".join(keys), description or action, tooltips[(action, description)])
        for (action, description), keys in grouped.items()
    ]


def screen_classes() -> list[type[Screen[Any]]]:
    """Every screen class defined in the screens package (imported on demand)."""
    package = importlib.import_module(SCREENS_PACKAGE)
    found: list[type[Screen[Any]]] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{SCREENS_PACKAGE}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def own_bindings(cls: type) -> list[BindingType]:
    """The BINDINGS a class and its bases (below Textual's own) declare."""
    out: list[BindingType] = []
    for klass in reversed(cls.__mro__):
        if klass.__module__.startswith("textual."):
            continue
        out.extend(klass.__dict__.get("BINDINGS", []))
    return out


def app_bindings(app: App[Any]) -> list[BindingType]:
    out: list[BindingType] = []
    for klass in reversed(type(app).__mro__):
        out.extend(klass.__dict__.get("BINDINGS", []))
    if app.ENABLE_COMMAND_PALETTE:
        out.append(
            Binding(
                app.COMMAND_PALETTE_BINDING,
                "command_palette",
                "Command palette",
                tooltip="Search every action and screen, and open a session by id or customer",
            )
        )
    return out


def collect_help(app: App[Any], open_screens: Sequence[type] = ()) -> list[ScreenHelp]:
    """The help sections: "Everywhere", the open screens (top first), the others, and help."""
    keymap: Mapping[str, str] = getattr(app, "_keymap", {})  # Textual keeps it private
    display = app.get_key_display
    sections = [
        ScreenHelp(
            "Everywhere",
            "Keys that work on every screen.",
            key_help(app_bindings(app), keymap, display),
        )
    ]
    ordered: list[type] = []
    for cls in [*open_screens, *screen_classes()]:
        if cls not in ordered and cls is not HelpScreen:
            ordered.append(cls)
    ordered.append(HelpScreen)  # this page's own keys last
    for cls in ordered:
        bindings = own_bindings(cls)
        about = screen_about(cls)
        if not bindings and not getattr(cls, "HELP", None):
            continue
        sections.append(ScreenHelp(screen_title(cls), about, key_help(bindings, keymap, display)))
    return sections


class HelpScreen(Screen[None]):
    """Every key and every screen, generated from the bindings that really run."""

    CSS_PATH = "help.tcss"
    HELP = "This page: every key binding of every screen, and what each screen does."
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1", "close", "Close", id="help-close", tooltip="Back where you were"),
    ]

    def __init__(self) -> None:
        super().__init__(id="help")
        self.sections: list[ScreenHelp] = []

    def compose(self) -> ComposeResult:
        open_screens = [type(s) for s in reversed(self.app.screen_stack)]
        self.sections = collect_help(self.app, open_screens)
        with Vertical(id="help-box"):
            yield Label(
                Content.assemble(
                    ("Help", "bold"), ("  ·  escape closes  ·  ↑↓ scroll", "$foreground-muted")
                ),
                id="help-title",
            )
            with VerticalScroll(id="help-body"):
                for index, section in enumerate(self.sections):
                    yield Label(
                        Content.styled(section.title, "bold $text-accent"),
                        id=f"help-section-{index}",
                        classes="help-section",
                    )
                    if section.about:
                        yield Label(Content(section.about), classes="help-about")
                    for key in section.keys:
                        yield Label(
                            Content.assemble(
                                (key.keys.ljust(14), "bold"),
                                " ",
                                key.description,
                                (f" — {key.tooltip}" if key.tooltip else "", "$foreground-muted"),
                            ),
                            classes="help-key",
                        )

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    @property
    def text(self) -> str:
        return "\n".join(str(label.content) for label in self.query(Label).results(Label))

    def action_close(self) -> None:
        self.dismiss(None)

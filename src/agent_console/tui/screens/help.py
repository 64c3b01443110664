"""Help: every key binding of the console's screens and what each screen does.

Generated from the bindings catalogue of :mod:`agent_console.tui.keymap` (the app's, each
screen's and its widgets' ``BINDINGS``, with the user's keymap applied) and the screens'
``HELP`` text or docstring, so it cannot drift from the keys that really work. Each key shows
its binding id, the name a ``[keymap]`` entry moves it by. The screens that are open now come
first; every other screen follows.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Label

from ..keymap import catalogue, screen_classes, screen_scope, screen_title

if TYPE_CHECKING:
    from textual.app import App, ComposeResult

__all__ = ["HelpScreen", "KeyHelp", "ScreenHelp", "collect_help", "screen_classes"]

EVERYWHERE = (
    "Keys that work on every screen. The [name] after an action is its binding id: to move "
    "its key, write the id and the new key in the config file's [keymap] table, e.g. "
    'end_chat = "f8".'
)


@dataclass(frozen=True)
class KeyHelp:
    keys: str
    description: str
    tooltip: str
    #: The binding ids (one, or none for Textual's own keys), for ``[keymap]``.
    ids: tuple[str, ...] = ()
    #: The keys as Textual names them (after the keymap), e.g. ``question_mark``.
    key_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreenHelp:
    title: str
    about: str
    keys: list[KeyHelp]
    owner: type | None = None


def first_paragraph(text: str | None) -> str:
    if not text:
        return ""
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())


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
    """One entry per action, with every key bound to it (after the keymap) and its id."""
    grouped: dict[tuple[str, str], list[str]] = {}
    names: dict[tuple[str, str], list[str]] = {}
    tooltips: dict[tuple[str, str], str] = {}
    ids: dict[tuple[str, str], list[str]] = {}
    for binding in Binding.make_bindings(bindings):
        if binding.system:
            continue
        group = (binding.action, binding.description)
        keys = grouped.setdefault(group, [])
        key_names = names.setdefault(group, [])
        tooltips.setdefault(group, binding.tooltip)
        group_ids = ids.setdefault(group, [])
        if binding.id is not None and binding.id not in group_ids:
            group_ids.append(binding.id)
        if binding.id is not None and binding.id in keymap:
            chosen = [k.strip() for k in keymap[binding.id].split(",") if k.strip()]
        else:
            chosen = [binding.key]
        for key in chosen:
            moved = key != binding.key
            shown = display(replace(binding, key=key, key_display=None) if moved else binding)
            if shown not in keys:
                keys.append(shown)
            if key not in key_names:
                key_names.append(key)
    return [
        KeyHelp(
            ", ".join(keys),
            description or action,
            tooltips[(action, description)],
            tuple(ids[(action, description)]),
            tuple(names[(action, description)]),
        )
        for (action, description), keys in grouped.items()
    ]


def collect_help(app: App[Any], open_screens: Sequence[type] = ()) -> list[ScreenHelp]:
    """The help sections: "Everywhere", the open screens (top first), the others, and help.

    Each section lists the keys of :mod:`agent_console.tui.keymap`'s catalogue: the screen's
    own bindings and those of the console widgets it uses (the composer's enter, the list
    table's space and shift+up/down)."""
    keymap: Mapping[str, str] = getattr(app, "_keymap", {})  # Textual keeps it private
    display = app.get_key_display
    everywhere, screens = catalogue(type(app))
    scopes = {scope.owner: scope for scope in screens}
    sections = [
        ScreenHelp("Everywhere", EVERYWHERE, key_help(everywhere.shown, keymap, display), None)
    ]
    ordered: list[type] = []
    for cls in [*open_screens, *screen_classes()]:
        if cls not in ordered and cls is not HelpScreen:
            ordered.append(cls)
    ordered.append(HelpScreen)  # this page's own keys last
    for cls in ordered:
        scope = scopes.get(cls) or screen_scope(cls)
        about = screen_about(cls)
        if not scope.shown and not getattr(cls, "HELP", None):
            continue
        sections.append(
            ScreenHelp(screen_title(cls), about, key_help(scope.shown, keymap, display), cls)
        )
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
                        ids = ", ".join(key.ids)
                        yield Label(
                            Content.assemble(
                                (key.keys.ljust(14), "bold"),
                                " ",
                                key.description,
                                (f" [{ids}]" if ids else "", "$text-accent"),
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

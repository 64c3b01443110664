"""The console's bindings in one catalogue, and the check of the config file's ``[keymap]``.

Everything here is read from the ``BINDINGS`` the app, the screens and the console's widgets
declare -- the same bindings Help lists and the footer shows -- so there is no second list of
ids or keys to keep in step. A screen's keys are its own and those of the console widgets it
uses (the ``agent_console.tui.widgets`` classes its module names, and the ones theirs name):
the composer's enter on the console, the table's space and shift+up/down on the list.

:func:`check_keymap` turns the user's table into the keymap Textual applies -- ids normalised
(``end_chat`` is ``end-chat``), keys as Textual names them (``?`` is ``question_mark``) -- or
raises ``config.KeymapEntryError`` for the first entry the console cannot use: an id no binding
has, a key Textual cannot read, or a key another binding of the same screen already uses
(the defaults it would shadow included).

The catalogue imports every screen module; it is only built when asked for (Help, the check
at start-up), never when the app is imported.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from textual.binding import Binding, BindingType
from textual.content import Content
from textual.keys import REPLACED_KEYS, Keys, _character_to_key, key_to_character
from textual.screen import ModalScreen, Screen
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode

SCREENS_PACKAGE = "agent_console.tui.screens"
WIDGETS_PACKAGE = "agent_console.tui.widgets"

#: Modifiers as Textual writes them in a key (it sorts them alphabetically).
MODIFIERS = ("alt", "ctrl", "hyper", "meta", "shift", "super")
#: Key names without a modifier that Textual reports ("f8", "pageup", "escape", ...).
NAMED_KEYS = frozenset(
    key.value for key in Keys if "+" not in key.value and not key.value.startswith("<")
)
KEY_EXAMPLES = "f8, ctrl+e, shift+up, question_mark"


# --------------------------------------------------------------------------- the catalogue


def own_bindings(cls: type) -> list[BindingType]:
    """The BINDINGS a class and its bases (below Textual's own) declare."""
    out: list[BindingType] = []
    for klass in reversed(cls.__mro__):
        if klass.__module__.startswith("textual."):
            continue
        out.extend(klass.__dict__.get("BINDINGS", []))
    return out


def _textual_bindings(cls: type) -> list[BindingType]:
    """The BINDINGS Textual's own classes give ``cls`` (tab and shift+tab on a screen, ...)."""
    out: list[BindingType] = []
    for klass in reversed(cls.__mro__):
        if klass.__module__.startswith("textual."):
            out.extend(klass.__dict__.get("BINDINGS", []))
    return out


def _modules(package_name: str) -> list[Any]:
    package = importlib.import_module(package_name)
    return [
        importlib.import_module(f"{package_name}.{info.name}")
        for info in pkgutil.iter_modules(package.__path__)
    ]


def screen_classes() -> list[type[Screen[Any]]]:
    """Every screen class of the console: the screens package, then the widgets' own menus."""
    found: list[type[Screen[Any]]] = []
    for module in [*_modules(SCREENS_PACKAGE), *_modules(WIDGETS_PACKAGE)]:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def _widget_class(value: object) -> bool:
    return inspect.isclass(value) and issubclass(value, Widget) and not issubclass(value, Screen)


def key_widgets(cls: type) -> list[type[Widget]]:
    """The widget classes a screen uses: those its module names (the console's own and
    Textual's), and those the console widgets' modules name, and so on.

    Only for the screens of the screens package: a menu defined beside its widget (the
    filter's choice menu) does not contain the widget its module defines."""
    found: list[type[Widget]] = []
    if not cls.__module__.startswith(SCREENS_PACKAGE + "."):
        return found
    modules = [inspect.getmodule(cls)]
    seen_modules: set[str] = set()
    while modules:
        module = modules.pop(0)
        if module is None or module.__name__ in seen_modules:
            continue
        seen_modules.add(module.__name__)
        for value in vars(module).values():
            if not _widget_class(value) or value in found:
                continue
            if value.__module__.startswith(WIDGETS_PACKAGE + "."):
                found.append(value)
                modules.append(inspect.getmodule(value))
            elif value.__module__.startswith("textual."):
                found.append(value)
    return found


@dataclass(frozen=True)
class KeyScope:
    """The keys of one screen (or of the app, everywhere): what Help lists, and what else
    is bound there (navigation of its widgets, Textual's tab and shift+tab)."""

    title: str
    owner: type
    shown: tuple[Binding, ...]
    others: tuple[Binding, ...]
    modal: bool = False


def screen_title(cls: type) -> str:
    title = getattr(cls, "HELP_TITLE", None)
    if isinstance(title, str) and title:
        return title
    name = cls.__name__.removesuffix("Screen") or cls.__name__
    words = re.findall(r"[A-Z][a-z0-9]*", name) or [name]
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def palette_binding(app_class: type[App[Any]]) -> Binding:
    return Binding(
        app_class.COMMAND_PALETTE_BINDING,
        "command_palette",
        "Command palette",
        priority=True,
        tooltip="Search every action and screen, and open a session by id or customer",
    )


def app_scope(app_class: type[App[Any]]) -> KeyScope:
    """The keys that work on every screen: the app's, Textual's (ctrl+q) and the palette."""
    bindings = [
        *Binding.make_bindings(_textual_bindings(app_class)),
        *Binding.make_bindings(own_bindings(app_class)),
    ]
    if app_class.ENABLE_COMMAND_PALETTE:
        bindings.append(palette_binding(app_class))
    return KeyScope("Everywhere", app_class, tuple(b for b in bindings if not b.system), ())


def screen_scope(cls: type) -> KeyScope:
    """A screen's keys: its own, its widgets' (those with an id are shown), Textual's."""
    shown = list(Binding.make_bindings(own_bindings(cls)))
    others = list(Binding.make_bindings(_textual_bindings(cls)))
    for widget in key_widgets(cls):
        for binding in Binding.make_bindings(own_bindings(widget)):
            (shown if binding.id else others).append(binding)
        others.extend(Binding.make_bindings(_textual_bindings(widget)))
    return KeyScope(
        screen_title(cls),
        cls,
        tuple(shown),
        tuple(b for b in others if not b.system),
        modal=issubclass(cls, ModalScreen),
    )


@cache
def catalogue(app_class: type[App[Any]]) -> tuple[KeyScope, tuple[KeyScope, ...]]:
    """The app's scope and one scope per screen class."""
    return app_scope(app_class), tuple(screen_scope(cls) for cls in screen_classes())


def binding_ids(app_class: type[App[Any]]) -> list[str]:
    """Every binding id a keymap may name, sorted."""
    everywhere, screens = catalogue(app_class)
    ids = {b.id for scope in (everywhere, *screens) for b in scope.shown if b.id}
    return sorted(ids)


# --------------------------------------------------------------------------- keys


def normalise_id(binding_id: str) -> str:
    """``End_Chat`` and ``end-chat`` name the same binding (TOML users type underscores)."""
    return binding_id.strip().lower().replace("_", "-")


def normalise_keymap(keymap: Mapping[str, str]) -> dict[str, str]:
    """The keymap with its ids normalised (no check: see :func:`check_keymap`)."""
    return {normalise_id(binding_id): keys for binding_id, keys in keymap.items()}


def parse_key(text: str) -> str:
    """One key as Textual names it (``?`` -> ``question_mark``, ``Ctrl+F8`` -> ``ctrl+f8``);
    ValueError with the reason when Textual would never report it."""
    key = text.strip()
    if not key:
        raise ValueError("one of its keys is empty")
    if len(key) == 1:
        return _character_to_key(key)
    *modifiers, base = key.split("+")
    if not base.strip():  # "ctrl++": the plus key is written "plus"
        raise ValueError(f'"{key}" has no key after its modifiers (write + as plus)')
    mods = [m.strip().lower() for m in modifiers]
    for mod in mods:
        if mod not in MODIFIERS:
            raise ValueError(f'"{mod}" is not a modifier ({", ".join(MODIFIERS)})')
    if len(set(mods)) != len(mods):
        raise ValueError(f'"{key}" repeats a modifier')
    base = base.strip()
    if len(base) == 1:
        name = _character_to_key(base.lower() if mods else base)
    elif base.lower() in NAMED_KEYS or _names_a_character(base.lower()):
        name = base.lower()
    else:
        raise ValueError(f'"{base}" is not a key name (write keys as {KEY_EXAMPLES})')
    return "+".join([*sorted(mods), name])


def _names_a_character(name: str) -> bool:
    """``question_mark``, ``slash``, ``plus``: a key name Textual gives a character."""
    character = key_to_character(REPLACED_KEYS.get(name, name))
    return character is not None and _character_to_key(character) == name


def parse_keys(text: str) -> list[str]:
    """A comma-separated list of keys, each as Textual names it, without repeats."""
    keys: list[str] = []
    for part in text.split(","):
        key = parse_key(part)
        if key not in keys:
            keys.append(key)
    return keys


# --------------------------------------------------------------------------- the check


def _identity(binding: Binding, scope: KeyScope) -> tuple[str, ...]:
    return ("id", binding.id) if binding.id else (scope.owner.__qualname__, binding.action)


def _name(binding: Binding) -> str:
    described = binding.description or binding.action
    return f'"{binding.id}" ({described})' if binding.id else described


def _unknown(binding_id: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(binding_id, known, n=3, cutoff=0.6)
    if close:
        hint = "did you mean " + " or ".join(f'"{c}"' for c in close) + "?"
    else:
        hint = "the binding ids are " + ", ".join(known)
    return f'is for "{binding_id}", which no binding has; {hint} (Help, f1, shows each id)'


def _scope_bindings(everywhere: KeyScope, scope: KeyScope) -> Iterable[tuple[Binding, KeyScope]]:
    """Every binding that works on ``scope``'s screen: a modal sees only the app's priority
    keys (Textual stops there), any other screen all of them."""
    for binding in (*everywhere.shown, *everywhere.others):
        if binding.priority or not scope.modal:
            yield binding, everywhere
    for binding in (*scope.shown, *scope.others):
        yield binding, scope


def _holders(
    everywhere: KeyScope, scope: KeyScope, keymap: Mapping[str, str]
) -> dict[str, list[Binding]]:
    """The bindings that hold each key on ``scope``'s screen once ``keymap`` (checked) is
    applied: one entry per binding, however many keys it has."""
    pairs = (
        ((b, everywhere) for b in (*everywhere.shown, *everywhere.others))
        if scope is everywhere
        else _scope_bindings(everywhere, scope)
    )
    held: dict[str, list[Binding]] = {}
    seen: dict[str, set[tuple[str, ...]]] = {}
    moved: set[tuple[str, ...]] = set()
    for binding, owner in pairs:
        identity = _identity(binding, owner)
        if binding.id is not None and binding.id in keymap:
            if identity in moved:
                continue
            moved.add(identity)
            keys = keymap[binding.id].split(",")
        else:
            keys = [binding.key]
        for key in keys:
            if identity not in seen.setdefault(key, set()):
                seen[key].add(identity)
                held.setdefault(key, []).append(binding)
    return held


def check_keymap(keymap: Mapping[str, str], app_class: type[App[Any]]) -> dict[str, str]:
    """The keymap Textual should apply (ids normalised, keys as Textual names them), or
    ``config.KeymapEntryError`` naming the first entry (as written) the console cannot use."""
    from ..config import KeymapEntryError  # the check runs at start-up only

    everywhere, screens = catalogue(app_class)
    known = binding_ids(app_class)
    defaults: dict[str, set[str]] = {}
    for scope in (everywhere, *screens):
        for binding in scope.shown:
            if binding.id:
                defaults.setdefault(binding.id, set()).add(binding.key)
    checked: dict[str, str] = {}
    written: dict[str, tuple[str, str]] = {}  # normalised id -> (key, value) as written
    for raw_id, raw_keys in keymap.items():
        binding_id = normalise_id(raw_id)
        if binding_id not in known:
            raise KeymapEntryError(raw_id, raw_keys, _unknown(binding_id, known))
        if binding_id in checked:
            first = written[binding_id][0]
            raise KeymapEntryError(
                raw_id, raw_keys, f'moves "{binding_id}" again (it is also given as "{first}")'
            )
        try:
            keys = parse_keys(raw_keys)
        except ValueError as exc:
            raise KeymapEntryError(
                raw_id, raw_keys, f"is not a key Textual can read: {exc}"
            ) from None
        checked[binding_id] = ",".join(keys)
        written[binding_id] = (raw_id, raw_keys)

    for scope in (everywhere, *screens):
        held = _holders(everywhere, scope, checked)
        for binding_id, joined in checked.items():
            for key in joined.split(","):
                if key in defaults.get(binding_id, ()):
                    continue  # its own default key: nothing the keymap changed
                on_key = held.get(key, [])
                if not any(b.id == binding_id for b in on_key):
                    continue  # the binding does not work on this screen
                others = [b for b in on_key if b.id != binding_id]
                if others:
                    raw_id, raw_keys = written[binding_id]
                    where = "everywhere" if scope is everywhere else f"on the {scope.title} screen"
                    raise KeymapEntryError(
                        raw_id,
                        raw_keys,
                        f'gives "{binding_id}" the key {key}, which {_name(others[0])} already '
                        f"uses {where}; choose a free key (or move that binding too)",
                    )
    return checked


# --------------------------------------------------------------------------- for display


def bound_keys(node: DOMNode, binding_id: str) -> list[str]:
    """The keys of ``binding_id`` on ``node``'s class after the user's keymap, as the footer
    shows them ([] when the class has no such binding)."""
    app = node.app
    keymap: Mapping[str, str] = getattr(app, "_keymap", {})  # Textual keeps it private
    shown: list[str] = []
    moved = keymap.get(binding_id)
    for binding in Binding.make_bindings(own_bindings(type(node))):
        if binding.id != binding_id:
            continue
        if moved:
            return [
                app.get_key_display(replace(binding, key=key.strip(), key_display=None))
                for key in moved.split(",")
                if key.strip()
            ]
        shown.append(app.get_key_display(binding))
    return shown


def bound_key(node: DOMNode, binding_id: str) -> str:
    """The first key of ``binding_id`` on ``node`` (see :func:`bound_keys`), or ""."""
    keys = bound_keys(node, binding_id)
    return keys[0] if keys else ""


def with_key(label: str, key: str) -> Content:
    """A button's label with the key that does the same: ``Log out (y)``."""
    return Content(f"{label} ({key})" if key else label)

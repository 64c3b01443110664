"""Admin settings: R8 "Agents can end messaging sessions at any time", R9 CSAT on agent end,
the capacity model (deployment default and per channel), units per channel, capacity per agent.

Values and their descriptions come from ``settings.list_settings``; Save sends each changed
value to ``settings.set_setting`` / ``agents.set_agent``, which refuse a non-admin and invalid
values with their own message (shown beside the field). A non-admin sees the values and why
they cannot change them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Switch

from ...domain.channels import CHANNELS_BY_ID
from ...domain.errors import ConsoleError
from ...domain.policy import (
    AGENTS_CAN_END,
    AWAY_REASONS,
    CAPACITY_MODEL,
    CSAT_ON_AGENT_END,
    SettingError,
)
from ...domain.text import escape_log, one_line
from ...domain.vocab import CapacityModel
from ..keymap import bound_key, with_key
from ..screen_work import screen_work
from ..widgets.footer import Footer
from .quick_replies_admin import QuickRepliesScreen

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.app import ComposeResult

    from ...services.views import AgentView, SettingView
    from ..backend import ConsoleBackend

FieldKind = Literal["setting", "capacity"]
MODELS = [(model.value, model.value) for model in CapacityModel]
DEFAULT = "default"
#: Said under Capacity: a session keeps the model it was created with (sessions.capacity_model).
NEW_SESSIONS_ONLY = "A capacity-model change applies to new sessions only."
#: Said after saving several capacity models at once (each save's own note counts sessions).
NEW_SESSIONS_ONLY_MANY = (
    "The capacity models apply to new sessions only; ongoing sessions keep the model they "
    "started with."
)


def model_options(default_model: str) -> list[tuple[str, str]]:
    """A channel's choices: the deployment default (naming it), then each model."""
    return [(f"default ({default_model})", DEFAULT), *MODELS]


@dataclass
class Field:
    """One editable value: which service call saves it and what it was when loaded."""

    widget_id: str
    kind: FieldKind
    key: str  # the setting key, or the agent's name
    loaded: str
    label: str


def field_value(widget: Widget) -> str:
    if isinstance(widget, Switch):
        return "on" if widget.value else "off"
    if isinstance(widget, Select):
        return "" if widget.value is Select.BLANK else str(widget.value)
    if isinstance(widget, Input):
        return widget.value.strip()
    raise TypeError(f"not a settings field: {widget!r}")


class AdminSettingsScreen(Screen[None]):
    """The deployment's settings; only admins can save them."""

    CSS_PATH = "admin_settings.tcss"
    HELP = (
        "Admin settings: R8 (agents can end sessions), R9 (CSAT survey on agent end), the "
        "capacity model per channel and its default, units per channel, capacity per agent. "
        "Only admins can save; invalid values are refused with the reason."
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="settings-save", tooltip="Save every changed value"),
        Binding("escape", "back", "Back", id="settings-back", tooltip="Back to the console"),
        Binding(
            "f5", "reload", "Reload", id="settings-reload", show=False, tooltip="Reload the values"
        ),
        Binding(
            "f4",
            "quick_replies",
            "Quick replies",
            id="settings-quick-replies",
            tooltip="The quick replies agents insert: list, add, edit, delete",
        ),
    ]

    def __init__(self, backend: ConsoleBackend) -> None:
        super().__init__(id="admin-settings")
        self.backend = backend
        self.fields: dict[str, Field] = {}
        self.is_admin = False
        self.loaded = False
        self.status_text = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="settings-body"):
            yield Label(Content.styled("Admin settings", "bold"), id="settings-title")
            yield Label("", id="settings-access", markup=False)
            yield VerticalScroll(id="settings-form")
            with Horizontal(id="settings-buttons"):
                yield Button(
                    with_key("Save", bound_key(self, "settings-save")),
                    id="settings-save-button",
                    variant="primary",
                )
                yield Button(
                    with_key("Back", bound_key(self, "settings-back")), id="settings-back-button"
                )
                yield Label("", id="settings-status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#settings-form").loading = True
        self._load()

    # ------------------------------------------------------------------ loading

    @screen_work(exclusive=True, group="settings-load")
    async def _load(self) -> None:
        form = self.query_one("#settings-form", VerticalScroll)
        access = self.query_one("#settings-access", Label)
        save = self.query_one("#settings-save-button", Button)
        try:
            me = await self.backend.my_agent()
            views = await self.backend.list_settings()
            people = await self.backend.list_agents()
        except ConsoleError as exc:
            form.loading = False
            self._status(f"Cannot load the settings: {exc}", error=True)
            return
        if not self.is_attached:  # closed while the database answered
            return
        self.is_admin = me.is_admin
        access.set_class(not me.is_admin, "-refused")
        if me.is_admin:
            access.update(Content("Changes apply when you save (ctrl+s)."))
        else:
            access.update(
                Content.assemble(
                    ("Only admins can change settings: ", "bold"),
                    f"{one_line(me.name, 40)} is not an admin. You can read them here.",
                )
            )
        self.fields = {}
        await form.remove_children()
        await form.mount_all(self._form(views, people))
        form.loading = False
        for widget in form.query("Switch, Select, Input"):
            widget.disabled = not me.is_admin
        save.disabled = not me.is_admin
        self.loaded = True

    def _field(self, widget_id: str, kind: FieldKind, key: str, loaded: str, label: str) -> str:
        self.fields[widget_id] = Field(widget_id, kind, key, loaded, label)
        return widget_id

    def _form(self, views: list[SettingView], people: list[AgentView]) -> Iterable[Widget]:
        by_key = {view.key: view for view in views}
        yield Label(Content.styled("Ending", "bold"), classes="settings-section")
        for key in (AGENTS_CAN_END, CSAT_ON_AGENT_END):
            view = by_key[key]
            widget_id = self._field(f"setting-{key}", "setting", key, view.value, view.description)
            yield Horizontal(
                Switch(view.value == "on", id=widget_id),
                Label(
                    Content.assemble(
                        view.description, (f"  (default {view.default})", "$foreground-muted")
                    ),
                    classes="setting-label",
                ),
                classes="setting-row switch-row",
            )
            yield self._error_label(widget_id)

        yield Label(Content.styled("Capacity", "bold"), classes="settings-section")
        yield Label(Content(NEW_SESSIONS_ONLY), id="settings-model-note", classes="setting-note")
        view = by_key[CAPACITY_MODEL]
        widget_id = self._field("setting-capacity_model", "setting", CAPACITY_MODEL, view.value, "")
        yield Horizontal(
            Label(Content(view.description), classes="setting-name"),
            Select(
                MODELS,
                value=view.value,
                allow_blank=False,
                compact=True,
                id=widget_id,
                classes="setting-model",
            ),
            classes="setting-row",
        )
        yield self._error_label(widget_id)
        yield Horizontal(
            Label(Content.styled("Channel", "bold"), classes="setting-name"),
            Label(Content.styled("Capacity model", "bold"), classes="setting-model"),
            Label(Content.styled("Units", "bold"), classes="setting-units"),
            classes="setting-row setting-head",
        )
        for channel_id, channel in CHANNELS_BY_ID.items():
            model = by_key[f"channel.{channel_id}.capacity_model"]
            units = by_key[f"channel.{channel_id}.units"]
            model_value = model.value if model.explicit else DEFAULT
            model_id = self._field(
                f"model-{channel_id}", "setting", model.key, model_value, model.description
            )
            units_id = self._field(
                f"units-{channel_id}", "setting", units.key, units.value, units.description
            )
            yield Horizontal(
                Label(Content(channel.name), classes="setting-name"),
                Select(
                    model_options(self._default_model(by_key)),
                    value=model_value,
                    allow_blank=False,
                    compact=True,
                    id=model_id,
                    classes="setting-model",
                ),
                Input(units.value, compact=True, id=units_id, classes="setting-units"),
                classes="setting-row",
            )
            yield self._error_label(model_id)
            yield self._error_label(units_id)

        yield Label(Content.styled("Presence", "bold"), classes="settings-section")
        view = by_key[AWAY_REASONS]
        widget_id = self._field("setting-away_reasons", "setting", AWAY_REASONS, view.value, "")
        yield Horizontal(
            Label(Content("Away reasons (Busy)"), classes="setting-name"),
            Input(
                view.value,
                placeholder="none: Busy without a reason",
                compact=True,
                id=widget_id,
                classes="setting-text",
                tooltip=f"{view.description}; default: {view.default}",
            ),
            classes="setting-row",
        )
        yield self._error_label(widget_id)

        yield Label(Content.styled("Capacity per agent", "bold"), classes="settings-section")
        for person in people:
            widget_id = self._field(
                f"capacity-{person.id}",
                "capacity",
                person.name,
                str(person.capacity),
                f"capacity of {person.name}",
            )
            yield Horizontal(
                Label(
                    Content.assemble(
                        one_line(person.name, 30),
                        (f"  {person.used} in use", "$foreground-muted"),
                    ),
                    classes="setting-name",
                ),
                Input(str(person.capacity), compact=True, id=widget_id, classes="setting-units"),
                Label(Content("units"), classes="setting-model"),
                classes="setting-row",
            )
            yield self._error_label(widget_id)

    @staticmethod
    def _default_model(by_key: dict[str, SettingView]) -> str:
        return by_key[CAPACITY_MODEL].value

    @staticmethod
    def _error_label(widget_id: str) -> Label:
        label = Label("", id=f"error-{widget_id}", classes="setting-error", markup=False)
        label.display = False
        return label

    # ------------------------------------------------------------------ saving

    def changed(self) -> list[tuple[Field, str]]:
        """Every field whose value differs from what was loaded, with its new value."""
        out = []
        for field in self.fields.values():
            value = field_value(self.query_one(f"#{field.widget_id}"))
            if value != field.loaded:
                out.append((field, value))
        return out

    def action_save(self) -> None:
        if self.loaded:
            self._save()

    @screen_work(exclusive=True, group="settings-save")
    async def _save(self) -> None:
        pending = self.changed()
        changing = {field.widget_id for field, _ in pending}
        for field in self.fields.values():
            if field.widget_id not in changing:  # back to its stored value: nothing to report
                self.query_one(f"#error-{field.widget_id}", Label).display = False
        if not pending:
            self._status("Nothing changed.")
            return
        saved, refused = 0, 0
        notes: list[str] = []
        for field, value in pending:
            error = self.query_one(f"#error-{field.widget_id}", Label)
            try:
                shown, note = await self._save_one(field, value)
            except (ConsoleError, ValueError) as exc:
                if not self.is_attached:
                    return
                refused += 1
                error.update(Content(escape_log(str(exc))))
                error.display = True
                continue
            saved += 1
            field.loaded = shown
            error.display = False
            widget = self.query_one(f"#{field.widget_id}")
            if isinstance(widget, Input):
                widget.value = shown  # as stored: "Break,Lunch" reads "Break, Lunch"
            if field.key == CAPACITY_MODEL:
                self._show_default_model(shown)
            if note and note not in notes:
                notes.append(note)
        said = (notes[0] if len(notes) == 1 else NEW_SESSIONS_ONLY_MANY) if notes else ""
        if refused:
            self._status(
                f"Saved {saved} change{'s' if saved != 1 else ''}; {refused} refused (see the "
                f"messages under the fields). {said}".rstrip(),
                error=True,
            )
        else:
            self._status(f"Saved {saved} change{'s' if saved != 1 else ''}. {said}".rstrip())
            self.notify(
                f"Settings saved ({saved} change{'s' if saved != 1 else ''}). {said}".rstrip()
            )

    async def _save_one(self, field: Field, value: str) -> tuple[str, str]:
        """Save one value through its service; returns the value now stored, as shown, and
        what the service said of it beyond (a capacity model: new sessions only)."""
        if field.kind == "capacity":
            try:
                capacity = int(value)
            except ValueError:
                raise SettingError(
                    f"capacity of {field.key}: expected a whole number of units, got {value!r}"
                ) from None
            return str((await self.backend.set_agent_capacity(field.key, capacity)).capacity), ""
        view = await self.backend.set_setting(field.key, value)
        if field.widget_id.startswith("model-"):
            return (view.value if view.explicit else DEFAULT), view.note
        return view.value, view.note

    def _show_default_model(self, default_model: str) -> None:
        """Each channel's "default (...)" choice names the deployment default just saved
        (not the one loaded), keeping what each channel has chosen."""
        for select in self.query("#settings-form Select.setting-model").results(Select):
            if select.id is None or not select.id.startswith("model-"):
                continue
            chosen = select.value
            select.set_options(model_options(default_model))
            # set_options picks the first choice, "default": when that was the value already,
            # the label shown is not drawn again. Passing through another value redraws it.
            select.value = MODELS[0][1]
            select.value = chosen

    def _status(self, text: str, *, error: bool = False) -> None:
        self.status_text = text
        label = self.query_one("#settings-status", Label)
        label.set_class(error, "-refused")
        label.update(Content(escape_log(text)))

    def error_text(self, widget_id: str) -> str:
        label = self.query_one(f"#error-{widget_id}", Label)
        return str(label.content) if label.display else ""

    # ------------------------------------------------------------------ the rest

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "settings-save-button":
            self.action_save()
        elif event.button.id == "settings-back-button":
            self.action_back()

    def action_back(self) -> None:
        pending = self.changed() if self.loaded else []
        if pending:
            self.notify(
                f"{len(pending)} unsaved change{'s' if len(pending) != 1 else ''} discarded",
                severity="warning",
            )
        self.dismiss(None)

    def action_reload(self) -> None:
        self.loaded = False
        self.query_one("#settings-form").loading = True
        self._load()

    def action_quick_replies(self) -> None:
        self.app.push_screen(QuickRepliesScreen(self.backend))

    def palette_commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Save settings", "Save every changed value", self.action_save)
        yield SystemCommand(
            "Quick replies", "List, add, edit and delete quick replies", self.action_quick_replies
        )
        yield SystemCommand("Back to the console", "Leave the admin settings", self.action_back)

"""A one-line drop-down for the filter bar: a compact button that opens a list of choices.

Lighter than ``Select`` (no overlay widget per control until it is opened), which keeps the
Messaging Sessions list quick to open. Enter, space or a click opens the choices; up/down and
enter choose; escape closes without changing anything. Posts :class:`FilterChoice.Changed`.

A filter in use is marked with the ``-set`` class, never ``-active``: ``Button`` adds
``-active`` for a moment after a press and ignores presses while it is there, so a filter
marked ``-active`` could not be opened again once it had a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from textual.app import ComposeResult

Choices = Sequence[tuple[str, str]]


class ChoiceMenu(ModalScreen["str | None"]):
    """The open drop-down: the choices under the control; dismisses with the chosen value."""

    DEFAULT_CSS = """
    ChoiceMenu {
        align: left top;
        background: $background 0%;
    }
    ChoiceMenu > OptionList {
        width: auto;
        min-width: 16;
        max-width: 48;
        height: auto;
        max-height: 16;
        border: round $border;
        background: $surface;
        padding: 0;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="choice-menu-close"),
    ]

    def __init__(self, choices: Choices, value: str, *, x: int, y: int, menu_id: str) -> None:
        super().__init__(id=f"{menu_id}-menu")
        self.choices = list(choices)
        self.value = value
        self._at = (x, y)

    def compose(self) -> ComposeResult:
        yield OptionList(
            *[Option(Content(label), id=value) for label, value in self.choices],
            id="choice-options",
        )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        x, y = self._at
        height = min(len(self.choices) + 2, 16)
        y = max(0, min(y, self.app.size.height - height))
        options.styles.offset = (x, y)
        values = [value for _, value in self.choices]
        options.highlighted = values.index(self.value) if self.value in values else 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_click(self, event: events.Click) -> None:
        # A click beside the list closes it; clicks on the list choose an option.
        if event.widget is self:
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class FilterChoice(Button):
    """Shows the chosen choice (or only the title while the ``default`` choice is chosen, so
    the filters in use stand out, with the ``-set`` class); ``value`` is its value."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter,space", "press", "Open", id="filter-open", show=False, tooltip="Show the choices"
        ),
    ]

    class Changed(Message):
        def __init__(self, control: FilterChoice, value: str) -> None:
            super().__init__()
            self.filter_choice = control
            self.value = value

        @property
        def control(self) -> FilterChoice:
            return self.filter_choice

    def __init__(
        self, title: str, choices: Choices, value: str, *, default: str | None = None, id: str
    ) -> None:
        super().__init__(compact=True, id=id)
        # No press effect: the choices opening is the feedback, and Button ignores presses
        # while the effect's ``-active`` class is on, which made a quick reopen do nothing.
        self.active_effect_duration = 0
        self.title = title
        self.choices = list(choices)
        self.default = default
        self._value = value
        self._show()

    @property
    def value(self) -> str:
        return self._value

    @value.setter
    def value(self, value: str) -> None:
        if value == self._value:
            return
        if value not in {v for _, v in self.choices}:
            raise ValueError(f"{value!r} is not a choice of {self.id}")
        self._value = value
        self._show()
        self.post_message(self.Changed(self, value))

    def set_choices(self, choices: Choices) -> None:
        """New choices (the value stays if it is still one of them)."""
        self.choices = list(choices)
        self._show()

    @property
    def choice_label(self) -> str:
        return next((label for label, value in self.choices if value == self._value), "")

    def _show(self) -> None:
        if self.default is None:
            shown = f"{self.title}: {self.choice_label}"
        elif self._value == self.default:
            shown = self.title
        else:
            shown = self.choice_label
        self.label = Content(f"{shown} ▾")
        self.tooltip = f"{self.title}: {self.choice_label}"
        self.set_class(self.default is not None and self._value != self.default, "-set")
        if self.is_mounted:
            self.refresh(layout=True)  # the width follows the label

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.open_menu()

    def open_menu(self) -> None:
        region = self.region
        menu = ChoiceMenu(
            self.choices, self._value, x=region.x, y=region.bottom, menu_id=self.id or "choice"
        )
        self.app.push_screen(menu, callback=self._chosen)

    def _chosen(self, value: str | None) -> None:
        if value is not None:
            self.value = value
        self.focus()

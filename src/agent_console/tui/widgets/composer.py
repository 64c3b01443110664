"""The composer: the reply the agent is writing to the open session's customer.

A multi-line ``TextArea``: enter sends, shift+enter (or ctrl+j, for terminals that do not
report shift+enter) starts a new line. Both are bindings with an id, so Help lists them with
the console's keys and a ``[keymap]`` entry can move them like any other. They are priority
bindings: the text area would otherwise take enter as a new line itself.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea


class Composer(TextArea):
    """The reply box; enter posts :class:`Composer.Submitted`, every change
    :class:`Composer.Changed` (with the session it was typed for)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "submit",
            "Send",
            id="send",
            show=False,
            priority=True,
            tooltip="Send the reply in the composer (an unsent draft is kept in the database)",
        ),
        Binding(
            "shift+enter,ctrl+j",
            "newline",
            "New line",
            id="newline",
            show=False,
            priority=True,
            tooltip="Start a new line in the reply (ctrl+j where the terminal has no shift+enter)",
        ),
    ]

    class Changed(TextArea.Changed):
        """The text changed; ``text`` and ``owner`` (the session the composer was showing)
        are taken when the change happens, not when the message is handled."""

        def __init__(self, text_area: TextArea) -> None:
            super().__init__(text_area)
            self.text = text_area.text
            self.owner: int | None = getattr(text_area, "owner", None)

    class Submitted(Message):
        """Enter was pressed with ``text`` in the composer."""

        def __init__(self, composer: Composer, text: str) -> None:
            super().__init__()
            self.composer = composer
            self.text = text

        @property
        def control(self) -> Composer:
            return self.composer

    def __init__(self, *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(id=id, placeholder=placeholder, soft_wrap=True, tab_behavior="focus")
        #: The session whose reply this is (set by the conversation pane).
        self.owner: int | None = None

    @property
    def value(self) -> str:
        """The reply as typed (the text area's text)."""
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        self.set_text(text)

    def set_text(self, text: str) -> None:
        """Replace the text (a new undo history) and put the cursor at its end."""
        self.load_text(text)
        self.move_cursor(self.document.end)

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self, self.text))

    def action_newline(self) -> None:
        if not self.read_only:
            self.insert("\n")

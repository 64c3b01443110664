"""The composer: the reply the agent is writing to the open session's customer.

An ``Input`` whose enter (Input's own submit, which the conversation turns into a send) is a
binding with an id, so Help lists it with the console's keys and a ``[keymap]`` entry can
move it like any other.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input


class Composer(Input):
    """The reply box; enter sends (see :class:`~agent_console.tui.messages.ReplySubmitted`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "submit",
            "Send",
            id="send",
            show=False,
            tooltip="Send the reply in the composer (an unsent draft is kept in the database)",
        ),
    ]

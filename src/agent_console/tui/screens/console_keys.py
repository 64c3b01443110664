"""The console's keys: its bindings, which may run now, and its palette commands.

:class:`ConsoleKeys` is a part of :class:`.console.ConsoleScreen`: ``check_action`` answers
from the screen's state (what the service said of the open session), and a refresh tells the
footer only when one of those answers changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding, BindingType

from ...domain.vocab import Presence, session_label
from ...services.views import ActionId
from ..widgets.conversation import ConversationPane
from ..widgets.conversation_text import find_action

#: The console's footer: these first; below 100 columns, without the narrow-hidden ones.
FOOTER_FIRST = (
    "end_chat",
    "close_tab",
    "presence_menu",
    "sessions_list",
    "help",
    "next_session",
    "previous_session",
)
FOOTER_NARROW_HIDDEN = ("ledger", "run_macro")
#: The actions check_action answers from the screen's state: when none of its answers
#: changed, a refresh leaves the footer alone (``_refresh_keys``).
DYNAMIC_ACTIONS = (
    "end_chat",
    "undo_end",
    "copy_draft",
    "close_tab",
    "next_session",
    "previous_session",
    "presence_menu",
    "set_presence",
    "log_out",
    "ledger",
    "admin_settings",
    "floor_board",
    "run_macro",
    "quick_reply",
    "transfer",
)
PRESENCE_CYCLE = (Presence.ONLINE, Presence.BUSY, Presence.OFFLINE)

#: The console's bindings (the footer puts FOOTER_FIRST first; Help and the palette list all).
CONSOLE_BINDINGS: list[BindingType] = [
    # Priority: it must work while the composer (whose ctrl+e is "go to end") has focus.
    Binding(
        "ctrl+e",
        "end_chat",
        "End Chat",
        id="end-chat",
        priority=True,
        tooltip="End the open chat, after a few seconds of Undo (the customer sees a line)",
    ),
    # Priority, as End Chat: it must work while the agent is typing in the composer.
    Binding(
        "ctrl+z",
        "undo_end",
        "Undo end",
        id="undo-end",
        priority=True,
        tooltip="Undo End Chat during its few seconds (the open chat's, else the last one)",
    ),
    Binding(
        "ctrl+y",
        "copy_draft",
        "Copy draft",
        id="copy-draft",
        tooltip="Copy the draft of a chat that ended while you were writing",
    ),
    Binding(
        "ctrl+t",
        "close_tab",
        "Close tab",
        id="close-tab",
        tooltip="Close an ended session's tab; under tab-based capacity this frees its units",
    ),
    Binding(
        "ctrl+o",
        "presence_menu",
        "Presence",
        id="presence-menu",
        tooltip="Change presence: Online, Busy, Offline (previewed) or Log out (warned)",
    ),
    Binding(
        "ctrl+l",
        "ledger",
        "Ledger",
        id="ledger",
        tooltip="What uses your capacity, the rule that makes it count, and what frees it",
    ),
    Binding(
        "ctrl+r",
        "run_macro",
        "Macros",
        id="run-macro",
        tooltip="Run a macro (e.g. Escalate to Tier 2) on the open session",
    ),
    Binding(
        "f4",
        "quick_reply",
        "Quick reply",
        id="quick-reply",
        show=False,
        tooltip="Search the quick replies and insert one, placeholders filled, into the "
        "composer (enter still sends)",
    ),
    # Priority: the composer (a TextArea, which has the focus while typing) takes f6 as
    # "select line" otherwise.
    Binding(
        "f6",
        "transfer",
        "Transfer",
        id="transfer",
        priority=True,
        show=False,  # the footer is full at 80 columns; Help and the palette list it
        tooltip="Transfer the open session to another agent, or back to the queue",
    ),
    Binding(
        "f2",
        "admin_settings",
        "Settings",
        id="admin-settings",
        show=False,
        tooltip="Admin settings: ending (R8), CSAT (R9), capacity models, units, capacity",
    ),
    Binding(
        "f7",
        "floor_board",
        "Floor",
        id="floor-board",
        priority=True,  # as f6: the composer (a TextArea) has the focus while typing
        show=False,
        tooltip="Supervisor board: every agent's presence, load and waits, and the queues",
    ),
    Binding(
        "ctrl+down",
        "next_session",
        "Next",
        id="next-session",
        tooltip="Open the next session in the list",
    ),
    Binding(
        "ctrl+up",
        "previous_session",
        "Previous",
        id="previous-session",
        tooltip="Open the previous session in the list",
    ),
    Binding(
        "f5", "refresh", "Refresh", id="refresh", show=False, tooltip="Reload from the database"
    ),
    Binding(
        "f3",
        "sessions_list",
        "Sessions",
        id="sessions-list",
        tooltip="The Messaging Sessions list: filters, multi-select, End Sessions",
    ),
    Binding(
        "ctrl+g",
        "focus_composer",
        "Reply",
        id="focus-composer",
        show=False,
        tooltip="Jump to the composer of the open session, from anywhere in the console",
    ),
]


if TYPE_CHECKING:
    from .console_host import ConsoleHost as _Host
else:
    _Host = object


class ConsoleKeys(_Host):
    """The console's keys, by the screen's state (a part of ConsoleScreen)."""

    def key_for(self, action: str) -> str:
        """The key bound to ``action`` on this screen (after the user's keymap), for display."""
        for active in self.active_bindings.values():
            if active.node is self and active.binding.action == action:
                return self.app.get_key_display(active.binding)
        for bindings in self._bindings.key_to_bindings.values():
            for binding in bindings:
                if binding.action == action:
                    return self.app.get_key_display(binding)
        return ""

    def _refresh_keys(self) -> None:
        """Tell the footer the keys changed, when one did: each refresh_bindings rebuilds the
        footer's keys and restyles them (~10 ms), and a refresh mostly changes none."""
        keys = tuple(self.check_action(action, ()) for action in DYNAMIC_ACTIONS)
        if keys != self._keys_shown:
            self._keys_shown = keys
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Footer and keys follow the service's answers (None: shown, but disabled)."""
        detail = self.detail
        if action == "end_chat":
            if detail is None or detail.session.status == "Ended":
                return False
            if detail.session.id in self._pending_ends:
                return False  # already ending: the Undo bar stands where End Chat was
            end = find_action(detail, ActionId.END_CHAT)
            return True if end is not None and end.allowed else None
        if action == "undo_end":
            return bool(self._pending_ends)
        if action == "copy_draft":
            panes = self.query(ConversationPane)
            return detail is not None and bool(panes) and panes.first().draft_stranded
        if action == "close_tab":
            if detail is None or detail.session.status != "Ended":
                return False
            close = find_action(detail, ActionId.CLOSE_TAB)
            return True if close is not None and close.allowed else None
        if action in ("next_session", "previous_session"):
            return len(self.rows) > 1
        if action in ("presence_menu", "set_presence", "log_out", "ledger", "admin_settings"):
            return self.agent_view is not None
        if action == "floor_board":
            return self.agent_view is not None and self.agent_view.is_admin
        if action == "run_macro":
            return detail is not None
        if action == "quick_reply":
            return detail is not None and detail.session.status != "Ended"
        if action == "transfer":
            if detail is None or detail.session.status == "Ended":
                return False
            move = find_action(detail, ActionId.TRANSFER)
            return True if move is not None and move.allowed else None
        return True

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The screen's actions for the command palette (only those usable right now)."""
        label = session_label(self.detail.session.id) if self.detail is not None else ""
        if self.check_action("end_chat", ()):
            yield SystemCommand("End Chat", f"End {label}", self.action_end_chat)
        if self.check_action("undo_end", ()):
            yield SystemCommand(
                "Undo End Chat", "Keep the chat going: it is not ended yet", self.action_undo_end
            )
        if self.check_action("copy_draft", ()):
            yield SystemCommand(
                "Copy draft", f"Copy your unsent draft of {label}", self.action_copy_draft
            )
        if self.check_action("close_tab", ()):
            yield SystemCommand("Close tab", f"Close the tab of {label}", self.action_close_tab)
        if self.agent_view is not None:
            for target in PRESENCE_CYCLE:
                # Away (Busy with a reason) may still go plain Busy from here.
                now = (self.agent_view.presence, self.agent_view.away_reason)
                if now != (target.value, None):
                    yield SystemCommand(
                        f"Presence: {target.value}",
                        f"Set your presence to {target.value}",
                        lambda target=target: self.action_set_presence(target.value),
                    )
        if self.agent_view is not None:
            yield SystemCommand(
                "Presence…", "Online, Busy, Offline or Log out", self.action_presence_menu
            )
            yield SystemCommand(
                "Log out",
                "Log out of Omni (lists the sessions that will end first)",
                self.action_log_out,
            )
            yield SystemCommand(
                "Capacity ledger", "What uses your capacity and what frees it", self.action_ledger
            )
            yield SystemCommand(
                "Admin settings",
                "Ending (R8), CSAT (R9), capacity models, units, capacity per agent",
                self.action_admin_settings,
            )
        if self.check_action("floor_board", ()):
            yield SystemCommand(
                "Supervisor board",
                "Every agent's presence, capacity, sessions and waits; the queues (live)",
                self.action_floor_board,
            )
        if self.check_action("quick_reply", ()):
            yield SystemCommand(
                "Quick reply…",
                f"Insert a quick reply into the reply to {label}",
                self.action_quick_reply,
            )
        if self.check_action("run_macro", ()):
            yield SystemCommand("Run a macro…", f"Run a macro on {label}", self.action_run_macro)
        if self.check_action("transfer", ()):
            yield SystemCommand(
                "Transfer…",
                f"Transfer {label} to another agent, or back to the queue",
                self.action_transfer,
            )
        if self.check_action("next_session", ()):
            yield SystemCommand("Next session", "Open the next session", self.action_next_session)
            yield SystemCommand(
                "Previous session", "Open the previous session", self.action_previous_session
            )
        yield SystemCommand("Refresh", "Reload from the database", self.action_refresh)

"""What the console's parts may use of the console: for the type checker only.

The parts of :class:`.console.ConsoleScreen` (:mod:`.console_keys`, :mod:`.console_ending`,
:mod:`.console_presence`, :mod:`.console_modals`, :mod:`.console_drafts`) are plain classes
at runtime. For mypy each derives from :class:`ConsoleHost`: a Screen with the console's
state and the methods one part calls on another, declared here with their real signatures
(the screen and the parts define them; mypy checks that they match).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from datetime import tzinfo

    from textual.timer import Timer

    from ...services.deliveries import SessionDeliveries
    from ...services.views import AgentView, SessionDetail, SessionNeeds, SessionRow
    from ..backend import ConsoleBackend
    from ..pending_ends import PendingEnds


class ConsoleHost(Screen[None]):
    """The console as its parts see it (never instantiated, never imported at runtime)."""

    backend: ConsoleBackend
    _tz: tzinfo | None
    agent_view: AgentView | None
    rows: list[SessionRow]
    detail: SessionDetail | None
    deliveries: dict[int, SessionDeliveries]
    selected_id: int | None
    needs: dict[int, SessionNeeds]
    _keys_shown: tuple[bool | None, ...]
    _pending_drafts: dict[int, str]
    _draft_timer: Timer | None
    _acted_on: set[int]
    _pending_ends: PendingEnds
    _pending_timer: Timer | None

    # The screen's own (console.py).
    def request_refresh(self, *, detail: bool = True) -> None:
        raise NotImplementedError

    def open_session(self, session_id: int) -> None:
        raise NotImplementedError

    def _report_once(self, message: str) -> None:
        raise NotImplementedError

    def _show_sessions(self) -> None:
        raise NotImplementedError

    def action_next_session(self) -> None:
        raise NotImplementedError

    def action_previous_session(self) -> None:
        raise NotImplementedError

    def action_refresh(self) -> None:
        raise NotImplementedError

    # console_keys.py
    def key_for(self, action: str) -> str:
        raise NotImplementedError

    def _refresh_keys(self) -> None:
        raise NotImplementedError

    # console_ending.py
    async def end_pending_now(self) -> list[str]:
        raise NotImplementedError

    def action_end_chat(self) -> None:
        raise NotImplementedError

    def action_undo_end(self) -> None:
        raise NotImplementedError

    def action_copy_draft(self) -> None:
        raise NotImplementedError

    def action_close_tab(self) -> None:
        raise NotImplementedError

    # console_presence.py
    def action_presence_menu(self) -> None:
        raise NotImplementedError

    def action_set_presence(self, presence: str) -> None:
        raise NotImplementedError

    def action_log_out(self) -> None:
        raise NotImplementedError

    # console_modals.py
    def action_ledger(self) -> None:
        raise NotImplementedError

    def action_run_macro(self) -> None:
        raise NotImplementedError

    def action_quick_reply(self) -> None:
        raise NotImplementedError

    def action_floor_board(self) -> None: ...
    def action_admin_settings(self) -> None:
        raise NotImplementedError

    def action_transfer(self) -> None:
        raise NotImplementedError

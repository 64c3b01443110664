"""The tour's steps: a caption and the acts that show it, the captions that read what the
console shows, and :func:`default_tour` -- reply, End Chat, close the tab, bulk end from the
list, go Offline, log out.

A caption that speaks of the session on screen is a function of the player: it reads what the
console shows -- the open session's capacity model and units, the Offline preview's effects --
rather than assume the deployment's model, so it never says "tab-based" of a status-based chat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...domain.capacity import consumes
from ...domain.text import plural
from ...domain.vocab import CapacityModel, SessionStatus, session_label
from ...services.views import ActionId, ActionView, SessionDetail, SessionRow, find_action
from ...services.wording import REQUEUED, summarize_effects
from ...tui.screens.bulk_end import BulkEndScreen
from ...tui.screens.logout import LogoutScreen
from ...tui.screens.offline_preview import OfflinePreviewScreen
from ...tui.screens.presence_menu import PresenceMenu
from ...tui.screens.sessions_list import SessionsListScreen
from .acts import (
    Act,
    IfScreen,
    Pause,
    Press,
    Reveal,
    Run,
    Say,
    Seek,
    Type,
    WaitConsole,
    WaitScreen,
    WaitUntil,
)

if TYPE_CHECKING:
    from .player import TourPlayer

REPLY = "Thanks for waiting! I'm on it and will sort this out for you now."

#: A caption: fixed text, or what the player's console shows when the step starts.
Caption = str | Callable[["TourPlayer"], str]


@dataclass(frozen=True)
class Step:
    """A caption and what shows it. ``shows``: the widgets (selectors) the caption speaks of,
    which the caption bar must not cover."""

    name: str
    caption: Caption
    acts: tuple[Act, ...] = ()
    hold: float = 2.5  # seconds to read the caption before the acts start
    after: float = 1.5  # seconds to look at the result
    shows: tuple[str, ...] = ()

    def text(self, player: TourPlayer) -> str:
        return self.caption if isinstance(self.caption, str) else self.caption(player)


def _detail(player: TourPlayer) -> SessionDetail | None:
    console = player.console()
    return console.detail if console is not None else None


def _action(detail: SessionDetail, action: ActionId) -> ActionView | None:
    return find_action(detail.actions, action)


def _endable(detail: SessionDetail) -> bool:
    end = _action(detail, ActionId.END_CHAT)
    return detail.session.status == "Active" and end is not None and end.allowed


def _customer_waits(detail: SessionDetail) -> bool:
    """An Active chat the agent may end, whose customer wrote last: the one to answer."""
    last = detail.messages[-1] if detail.messages else None
    return _endable(detail) and last is not None and last.author_kind == "customer"


def _memo_session(player: TourPlayer) -> SessionDetail | None:
    detail = _detail(player)
    if detail is None or detail.session.id != player.memo.get("session"):
        return None
    return detail


def _replied(player: TourPlayer) -> bool:
    detail = _memo_session(player)
    return detail is not None and any(
        m.author_kind == "agent" and m.text == REPLY for m in detail.messages[-5:]
    )


def _ended(player: TourPlayer) -> bool:
    detail = _memo_session(player)
    return detail is not None and detail.session.status == "Ended"


def _model_words(row: SessionRow) -> tuple[str, str]:
    """The session's capacity model and its units held, as the console shows them."""
    units = plural(row.units_held, "unit")
    return row.capacity_model, units


def end_chat_caption(player: TourPlayer) -> str:
    """End Chat's caption, for the session the tour opened: what ending does to *its* units
    under *its* capacity model (the domain's rule), never the deployment's default."""
    said = (
        "End Chat (ctrl+e) ends it after 5 s, in which ctrl+z undoes it; then the customer "
        "sees a system line (R1)."
    )
    detail = _memo_session(player)
    if detail is None:
        return said
    row = detail.session
    model, units = _model_words(row)
    label = session_label(row.id)
    if not row.units_held:
        return f"{said} {label} is {model} and holds no units now."
    one = row.units_held == 1
    if consumes(CapacityModel(model), SessionStatus.ENDED, tab_open=True, owned=True):
        stay = "stays" if one else "stay"
        return f"{said} {label} is {model}: its {units} {stay} held until its tab is closed (R2)."
    free = "is" if one else "are"
    return f"{said} {label} is {model}: its {units} {free} freed the moment it ends (R2)."


def close_tab_caption(player: TourPlayer) -> str:
    """Close tab's caption: whether the ended session still holds units (the view says)."""
    detail = _memo_session(player)
    if detail is None:
        return "Close the tab (ctrl+t): the ended session leaves your sessions."
    row = detail.session
    model, units = _model_words(row)
    label = session_label(row.id)
    if row.units_held:
        them = "it" if row.units_held == 1 else "them"
        return (
            f"Close the tab (ctrl+t): {label} ({model}) still holds {units}; closing gives "
            f"{them} back (R2)."
        )
    return (
        f"Close the tab (ctrl+t): {label} is {model}, so its units came back when it ended; "
        "closing takes it off your sessions."
    )


OFFLINE_CAPTION = (
    "Go Offline from the presence menu (ctrl+o): first, what will happen to each session (R5)."
)


def offline_caption(player: TourPlayer) -> str:
    """The Offline step's caption once the preview shows: the preview's own effects (the
    service's dry run), naming the first session that goes back to the queue (and revealing
    it, see :class:`Reveal`), or saying that none does."""
    screen = player.app.screen
    effects = list(screen.effects) if isinstance(screen, OfflinePreviewScreen) else []
    player.memo["named"] = []
    if not effects:
        return f"{OFFLINE_CAPTION} You have no ongoing session: nothing moves."
    moved = [e for e in effects if e.effect == REQUEUED]
    if not moved:
        return f"{OFFLINE_CAPTION} Nothing goes back to the queue: {summarize_effects(effects)}."
    first = moved[0]
    player.memo["named"] = [f"offline-effect-{first.session_id}"]
    who = session_label(first.session_id)
    if len(moved) > 1:
        who += f" (and {plural(len(moved) - 1, 'other')})"
    stay = len(effects) - len(moved)
    rest = f"; {plural(stay, 'other')} stay{'s' if stay == 1 else ''} with you" if stay else ""
    return f"{OFFLINE_CAPTION} {who}: {REQUEUED}{rest}."


def _tab_closed(player: TourPlayer) -> bool:
    console = player.console()
    return console is not None and all(row.id != player.memo.get("session") for row in console.rows)


def _presence_is(value: str) -> Callable[[TourPlayer], bool]:
    def check(player: TourPlayer) -> bool:
        console = player.console()
        agent = console.agent_view if console is not None else None
        return agent is not None and agent.presence == value

    return check


def _preview_or_offline(player: TourPlayer) -> bool:
    """The Offline preview is up, or the console went Offline without one."""
    return isinstance(player.app.screen, OfflinePreviewScreen) or _presence_is("Offline")(player)


def _list_loaded(player: TourPlayer) -> bool:
    """The Messaging Sessions list is on top and has shown its first data."""
    screen = player.app.screen
    return isinstance(screen, SessionsListScreen) and screen.loaded


def _bulk_phase(phase: str, *, ready: bool = False) -> Callable[[TourPlayer], bool]:
    """The bulk End Sessions modal is in ``phase`` (``ready``: its preview has loaded)."""

    def check(player: TourPlayer) -> bool:
        screen = player.app.screen
        if not isinstance(screen, BulkEndScreen) or screen.phase != phase:
            return False
        return not ready or screen.summary is not None

    return check


def _logged_out(player: TourPlayer) -> bool:
    console = player.console()
    agent = console.agent_view if console is not None else None
    return agent is not None and not agent.logged_in


def default_tour() -> list[Step]:
    """Reply, End Chat, close the tab, bulk end from the list, go Offline, log out."""
    return [
        Step(
            "welcome",
            "This is dana's console: her sessions on the left, the open conversation on the "
            "right, presence and capacity on top. The customers are live.",
            (Pause(2.0),),
            hold=3.0,
            shows=("#status-bar", "#sessions", "#conversation"),
        ),
        Step(
            "reply",
            "Open a chat whose customer is waiting (ctrl+down) and reply: type, enter sends.",
            (
                Seek(_customer_waits, _endable, "no Active chat to reply to"),
                Pause(1.0),
                Type(REPLY),
                Pause(0.8),
                Press("enter"),
                WaitUntil(_replied, "the reply did not show in the transcript"),
            ),
            shows=("#composer", "#transcript"),
        ),
        Step(
            "end-chat",
            end_chat_caption,
            (
                Press("ctrl+e"),
                WaitUntil(_ended, "the chat did not end"),
            ),
            shows=("#end-bar", "#transcript", "#status-bar"),
        ),
        Step(
            "close-tab",
            close_tab_caption,
            (
                Press("ctrl+t"),
                WaitUntil(_tab_closed, "the tab did not close"),
            ),
            shows=("#tab-bar", "#status-bar", "#sessions"),
        ),
        Step(
            "list-bulk-end",
            "The Messaging Sessions list (f3): select sessions (space), End Sessions (e) "
            "previews what will end or be skipped and why, then ends them together (R3, R11).",
            (
                Press("f3"),
                WaitScreen(SessionsListScreen),
                WaitUntil(_list_loaded, "the list did not load"),
                Pause(1.5),
                Press("space", "down", "space"),
                Pause(1.0),
                Press("e"),
                WaitScreen(BulkEndScreen),
                WaitUntil(_bulk_phase("preview", ready=True), "the bulk preview did not load"),
                Pause(3.5),
                Press("y"),
                WaitUntil(_bulk_phase("results"), "the bulk end did not finish"),
                Pause(3.0),
                Press("n"),  # Close (escape is the tour's own key while it plays)
                WaitScreen(SessionsListScreen),
                Pause(1.0),
                Run("screen.close"),
                WaitConsole(),
            ),
        ),
        Step(
            "offline",
            OFFLINE_CAPTION,
            (
                Press("ctrl+o"),
                WaitScreen(PresenceMenu),
                Pause(1.5),
                Press("f"),
                # The preview opens only when a session would be affected; without one the
                # console goes Offline at once. Wait for whichever happens, not for a time.
                WaitUntil(_preview_or_offline, "neither the Offline preview nor Offline"),
                # What the preview shows, in the caption, and the session it names on screen.
                IfScreen(OfflinePreviewScreen, Say(offline_caption), Reveal()),
                Pause(3.5),
                IfScreen(OfflinePreviewScreen, Press("y")),
                WaitConsole(),
                WaitUntil(_presence_is("Offline"), "presence did not change to Offline"),
            ),
            shows=("#status-bar", "#offline-effects"),
        ),
        Step(
            "logout",
            "Log out of Omni: a warning lists every ongoing session that will end (R6).",
            (
                Press("ctrl+o"),
                WaitScreen(PresenceMenu),
                Pause(1.5),
                Press("l"),
                WaitScreen(LogoutScreen),
                Pause(4.0),
                Press("y"),
                WaitConsole(),
                WaitUntil(_logged_out, "the agent is still logged in"),
            ),
        ),
        Step(
            "outro",
            "That was the tour. Run agent-console demo to try it all yourself.",
            (Pause(3.0),),
            hold=1.0,
        ),
    ]

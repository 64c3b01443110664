"""Sessions, agents, messages, lists, ends, presence, bulk and settings: the plain data most
services return."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from ...domain.vocab import Presence, SessionStatus


class EndOutcome(StrEnum):
    """What an end did to one session (stored as these words in bulk items, written so in
    the CLI's output)."""

    ENDED = "ended"
    SKIPPED = "skipped"


class StepOutcome(StrEnum):
    """What a macro step did: not an end's outcome (a note or a transfer is "done" too)."""

    DONE = "done"
    SKIPPED = "skipped"


#: Characters of each message a session detail loads unless asked for more (the transcript's
#: first "Show more" still fits in it), and the characters loaded for the whole detail (the
#: newest messages; the one that crosses it included).
MESSAGE_TEXT_WINDOW = 16_000
DETAIL_TEXT_WINDOW = 160_000
#: Messages a session detail loads (the newest), unless asked for another number.
DETAIL_MESSAGES = 500
#: The most a caller may ask for: per message, and for a whole detail or one message slice.
#: What a screen shows of a message must never need more (the transcript checks its bounds).
MESSAGE_TEXT_CAP = 256_000
DETAIL_TEXT_CAP = 2_560_000


def to_json(value: Any) -> Any:
    """A JSON-ready copy of a view (datetimes as ISO 8601)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_json(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


@dataclass(frozen=True)
class AgentView:
    id: int
    name: str
    capacity: int
    used: int
    permissions: list[str]
    is_admin: bool
    presence: Presence
    logged_in: bool
    #: Why the agent is Busy ("Lunch"; None: no reason) and since when it is in its presence
    #: (None: not recorded, e.g. before migration 0008).
    away_reason: str | None = None
    presence_since: datetime | None = None
    #: The supervisor who set this presence (or logged the agent out) and their note; both
    #: None when the agent set it themself.
    presence_by: str | None = None
    presence_note: str | None = None


@dataclass(frozen=True)
class SessionRow:
    id: int
    label: str
    status: SessionStatus
    channel: str
    channel_name: str
    channel_kind: str
    family: str
    owner: str | None
    customer: str
    initiated_by: str
    capacity_model: str
    units: int
    units_held: int
    tab_open: bool
    created_at: datetime
    last_message_at: datetime | None
    ended_at: datetime | None
    auto_end_at: datetime | None


@dataclass(frozen=True)
class DeliveryView:
    """Whether one outbound event reached its channel's webhook.

    ``state``: pending (not tried yet), retrying (tried ``attempts`` times, next at
    ``next_attempt_at``; ``error`` says what the last try got), sent (at ``at``) or failed
    (gave up; ``error`` says why)."""

    event_id: str
    type: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    at: datetime | None
    error: str | None


@dataclass(frozen=True)
class MessageView:
    """One message. ``text`` may be only the start of what is stored (a session detail loads
    a bounded window of each message): ``length`` is then the stored text's full length."""

    id: int
    author_kind: str
    author: str
    text: str
    at: datetime
    visible_to_customer: bool
    #: Characters in the stored text (None: ``text`` is all of it).
    length: int | None = None
    #: Whether the line reached the channel (None: nothing was sent for it).
    delivery: DeliveryView | None = None

    @property
    def full_length(self) -> int:
        """Characters in the stored text, whether or not all of them were loaded."""
        return len(self.text) if self.length is None else self.length

    @property
    def truncated(self) -> bool:
        """Whether ``text`` is only the start of the stored text."""
        return self.full_length > len(self.text)


@dataclass(frozen=True)
class MessageSlice:
    """Part of one message's stored text: ``text`` starts at character ``start`` (0-based)
    and the whole text has ``length`` characters."""

    message_id: int
    start: int
    text: str
    length: int

    @property
    def rest(self) -> int:
        """Characters after this slice."""
        return max(0, self.length - self.start - len(self.text))


@dataclass(frozen=True)
class EndView:
    actor_kind: str
    actor: str
    surface: str
    at: datetime
    reason: str
    bulk_id: int | None


class ActionId(StrEnum):
    """The actions a session detail (and a list row's menu) offers: what the surfaces find an
    action by. What the screen shows is the view's ``label``, never looked up."""

    END_CHAT = "end_chat"
    #: End Session on the list row's menu (R3).
    END_ROW = "end_row"
    #: End Sessions on the list's selection (R4).
    END_LIST = "end_list"
    CLOSE_TAB = "close_tab"
    CSAT_ON_END = "csat_on_end"
    TRANSFER = "transfer"


@dataclass(frozen=True)
class ActionView:
    id: ActionId
    #: The action's name on screen (and in the CLI's output, JSON "name").
    label: str
    allowed: bool
    reason: str

    def json(self) -> dict[str, Any]:
        """The action as the CLI's JSON has always written it (the label as "name")."""
        return {"name": self.label, "allowed": self.allowed, "reason": self.reason}


def find_action(actions: list[ActionView], action: ActionId) -> ActionView | None:
    """The action ``action`` among ``actions`` (None: not offered)."""
    return next((a for a in actions if a.id is action), None)


@dataclass(frozen=True)
class CsatView:
    requested_at: datetime
    requested_by: str
    score: int | None = None
    answered_at: datetime | None = None
    delivery: DeliveryView | None = None


@dataclass(frozen=True)
class SessionDetail:
    session: SessionRow
    messages: list[MessageView]
    end: EndView | None
    csat_requests: list[CsatView]
    actions: list[ActionView]
    escalated_to: str | None
    messages_total: int
    #: Whether the session's channel is connected (its agent lines go out to it).
    channel_connected: bool = False
    #: When this was read (the services' clock): "today" for the times shown with it. Not
    #: part of what the session is: two reads of an unchanged session compare equal.
    as_of: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class EndResult:
    session_id: int
    result: EndOutcome
    reason: str


@dataclass(frozen=True)
class PageCursor:
    """Where a list page ends: its last row's sort value and id (keyset paging)."""

    value: Any
    id: int


@dataclass(frozen=True)
class Page:
    rows: list[SessionRow]
    next_after: int | None
    total: int | None = None
    next_cursor: PageCursor | None = None
    #: Pages taken from the end (``from_end``, ``before``): where the rows before this page end.
    prev_cursor: PageCursor | None = None


@dataclass(frozen=True)
class LedgerItem:
    session_id: int
    units: int
    why: str
    status: SessionStatus
    channel: str


@dataclass(frozen=True)
class Ledger:
    agent: str
    capacity: int
    used: int
    items: list[LedgerItem]


@dataclass(frozen=True)
class PresenceEffect:
    session_id: int
    effect: str


@dataclass(frozen=True)
class Assignment:
    session_id: int
    agent: str


@dataclass(frozen=True)
class PresenceResult:
    agent: str
    before: str
    after: str
    dry_run: bool
    effects: list[PresenceEffect]
    rerouted: list[Assignment] = field(default_factory=list)
    #: The away reason of ``before`` and of ``after`` (Busy only; None: no reason).
    reason_before: str | None = None
    reason_after: str | None = None
    #: The supervisor who set it and their note (None: the agent's own change).
    by: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class LogoutPreview:
    agent: str
    sessions: list[SessionRow]
    csat: str
    warning: str
    #: Ended sessions whose tab is still open: logging out closes them.
    tabs: list[SessionRow] = field(default_factory=list)


@dataclass(frozen=True)
class LogoutResult:
    agent: str
    results: list[EndResult]
    tabs_closed: int
    #: Every unit logging out freed: the ends' (status-based) and the closed tabs' (tab-based).
    units_freed: int
    used: int = 0
    capacity: int = 0
    #: The supervisor who logged the agent out and why (None: the agent's own logout).
    by: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class CloseTabResult:
    session_id: int
    units_freed: int
    used: int
    capacity: int


@dataclass(frozen=True)
class InboundResult:
    session_id: int
    new_session: bool
    status: SessionStatus
    note: str


@dataclass(frozen=True)
class BulkPreviewRow:
    session_id: int
    will: Literal["end", "skip"]
    reason: str


@dataclass(frozen=True)
class BulkPreview:
    total: int
    will_end: int
    will_skip: int
    rows: list[BulkPreviewRow]


@dataclass(frozen=True)
class BulkReport:
    bulk_id: int
    status: str
    total: int
    ended: int
    skipped: int
    pending: int
    results: list[EndResult]
    #: When the operation was started (set when read back from the database).
    started_at: datetime | None = None


@dataclass(frozen=True)
class StepResult:
    step: str
    result: StepOutcome
    reason: str


@dataclass(frozen=True)
class MacroResult:
    macro: str
    session_id: int
    steps: list[StepResult]
    triggers: list[EndResult]


@dataclass(frozen=True)
class SettingView:
    key: str
    value: str
    default: str
    explicit: bool
    description: str
    #: What saving it did beyond the value, e.g. that a capacity model applies to new
    #: sessions only (set by ``set_setting``).
    note: str = ""


@dataclass(frozen=True)
class Violation:
    invariant: str
    detail: str


@dataclass(frozen=True)
class ChangeView:
    seq: int
    at: datetime
    kind: str
    session_id: int | None
    agent_id: int | None


# -- the Messaging Sessions list: row menu, bulk preview and results windows -------------------


@dataclass(frozen=True)
class RowMenu:
    """A list row's action menu (R3, R4). ``end_session`` is None when the item does not
    exist for this row (it exists only on standard channels; ``absent_reason`` says so)."""

    session: SessionRow
    end_session: ActionView | None
    absent_reason: str
    end: EndView | None
    #: Transfer… (to another agent or back to the queue), allowed or not with the reason.
    transfer: ActionView | None = None


@dataclass(frozen=True)
class OutcomeCount:
    """How many rows share one outcome: ``will`` is end/skip (preview) or ended/skipped."""

    will: str
    reason: str
    count: int
    #: What the count's line says ("will end", "will skip: already ended", ...).
    text: str = ""


@dataclass(frozen=True)
class BulkPreviewSummary:
    """A bulk preview in counts; ``selection`` is what confirming it acts on (frozen)."""

    total: int
    will_end: int
    will_skip: int
    counts: list[OutcomeCount]
    selection: Any


@dataclass(frozen=True)
class OutcomeLine:
    """One row of a preview or results window, with the text to show ("will end",
    "will skip: reason", "ended", "skipped: reason")."""

    session_id: int
    label: str
    customer: str
    channel_name: str
    status: str
    owner: str | None
    outcome: str
    reason: str
    text: str


@dataclass(frozen=True)
class OutcomePage:
    lines: list[OutcomeLine]
    next_cursor: PageCursor | None


# -- what needs the agent: unread counts and last lines (issue 11) -----------------------------


@dataclass(frozen=True)
class SessionNeeds:
    """What one of the agent's sessions asks of them, as of one read.

    ``unread``: customer messages after the agent's read marker. ``last_customer_text``: the
    start of the newest customer message (raw: a screen makes it safe and one line).
    ``customer_waiting``: the newest customer-or-agent line is the customer's.
    ``ended_by_me``: the session ended and the end record names this agent;
    ``end_actor_kind`` / ``end_actor``: who ended it (None: not ended).
    """

    session_id: int
    unread: int = 0
    last_customer_message: int = 0
    last_customer_text: str | None = None
    last_customer_at: datetime | None = None
    customer_waiting: bool = False
    ended_by_me: bool = False
    end_actor_kind: str | None = None
    end_actor: str | None = None

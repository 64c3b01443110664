"""What the console screen shows at one moment (no database layer: the first screen is
drawn from the first read before SQLAlchemy has loaded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..services.deliveries import SessionDeliveries
    from ..services.views import AgentView, SessionDetail, SessionNeeds, SessionRow


@dataclass(frozen=True)
class Snapshot:
    """Everything the console screen shows at one moment."""

    agent: AgentView
    sessions: list[SessionRow]
    detail: SessionDetail | None
    #: The sessions (of ``sessions``) with a failed or retrying delivery, by id.
    deliveries: dict[int, SessionDeliveries] = field(default_factory=dict)
    #: What each of ``sessions`` asks of the agent: unread count, last line, waiting.
    needs: dict[int, SessionNeeds] = field(default_factory=dict)
    #: False for the first read's snapshot (``services.first_screen``): the agent, the tabs
    #: and their needs, shown while the database opens; no detail or deliveries yet.
    complete: bool = True

"""Quick replies, as the services list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# -- quick replies (issue 11) -------------------------------------------------------------------


@dataclass(frozen=True)
class QuickReplyView:
    """A quick reply as stored: ``text`` is the template (placeholders unfilled)."""

    id: int
    name: str
    text: str
    placeholders: list[str]
    updated_at: datetime
    updated_by: str

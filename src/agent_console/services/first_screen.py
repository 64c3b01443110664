"""What the console's first screen shows, read without SQLAlchemy on a SQLite file.

The agent, the deployment's policy, the agent's tabs and what each asks of the agent, as the
services return them (``agents.get_agent``, ``settings.get_policy``, ``tabs.agent_tabs``,
``reading.session_needs``), from the standard library's ``sqlite3``
(:mod:`..store.first_read`) and the services' own row mappings (:mod:`.row_views`). ``None``
means: take the usual path (it says what is wrong, if anything).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..domain.policy import Policy, policy_from_rows
from ..store.first_read import read_first_rows
from .row_views import agent_view, session_needs_from_rows, session_row
from .tab_windows import ENDED_TABS_WINDOW, LAST_LINE_CHARS, LIVE_WINDOW
from .views import AgentView, SessionNeeds, SessionRow


@dataclass(frozen=True)
class FirstScreen:
    agent: AgentView
    policy: Policy
    sessions: list[SessionRow]
    #: What each of ``sessions`` asks of the agent: unread count, last line, waiting.
    needs: dict[int, SessionNeeds]


def first_screen(
    path: Path,
    agent: str,
    *,
    live_window: int = LIVE_WINDOW,
    ended_window: int = ENDED_TABS_WINDOW,
) -> FirstScreen | None:
    """The first screen of ``agent``'s console on the SQLite file ``path`` (blocking: run it
    on a thread), or ``None``."""
    rows = read_first_rows(
        path,
        agent,
        live_window=live_window,
        ended_window=ended_window,
        line_chars=LAST_LINE_CHARS,
    )
    if rows is None:
        return None
    needs = rows.needs
    return FirstScreen(
        agent=agent_view(rows.agent),
        policy=policy_from_rows(rows.settings),
        sessions=[session_row(row) for row in rows.sessions],
        needs=session_needs_from_rows(
            [row.id for row in rows.sessions],
            rows.agent.id,
            needs.counts,
            needs.lines,
            needs.ends,
        ),
    )

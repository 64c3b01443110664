"""What a console is started with, besides its database and agent: one typed value.

The CLI builds it from the user's settings (``run_console``); tests build it through
``make_app``'s keywords, which default to the shipped themes only, so a test never reads the
user's files.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from .pending_ends import UNDO_SECONDS
from .themes import DEFAULT_THEME

if TYPE_CHECKING:
    from ..services.first_screen import FirstScreen
    from .extras import Companion, Tour

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ConsoleOptions:
    """The console's injected values. ``theme_dirs``: where themes are looked for (None
    entries are skipped); ``on_theme_change`` saves a theme the agent picks; ``demo`` runs
    beside the console and ``tour`` plays over it; ``end_undo_seconds`` is End Chat's Undo time
    (0 ends at once)."""

    clock: Clock | None = None
    poll_interval: float = 0.25
    theme: str = DEFAULT_THEME
    theme_dirs: Sequence[Path | None] = ()
    keymap: Mapping[str, str] = field(default_factory=dict)
    busy_timeout_ms: int = 5000
    timezone: tzinfo | None = None
    on_theme_change: Callable[[str], None] | None = None
    demo: Companion | None = None
    tour: Tour | None = None
    notice: str | None = None
    bell: bool = True
    end_undo_seconds: float = UNDO_SECONDS
    #: The first read of the agent's console (``services.first_screen``, done by the CLI
    #: without the database layer): drawn at once while the database opens behind it.
    first_screen: FirstScreen | None = None

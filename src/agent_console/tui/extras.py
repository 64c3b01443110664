"""What the composition root may attach to a console: something that lives beside it (the
living demo's world) and a tour that plays over it.

The console knows them only by these protocols, so the TUI never imports the demo package
(the demo package implements both; the CLI builds them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.app import App

    from .backend import ConsoleBackend


class Companion(Protocol):
    """Runs beside the console once its database is open (e.g. the demo world ticking)."""

    def start(self, app: App[Any], backend: ConsoleBackend) -> None:
        """Begin, on the console's app and backend (called once the console is open)."""

    def stop(self) -> None:
        """Stop before the console closes its database."""


class Tour(Protocol):
    """Plays over the console once it is open; escape stops it while it plays."""

    @property
    def playing(self) -> bool:
        """Started, and neither played to its end nor stopped."""

    def start(self, app: App[Any]) -> None:
        """Begin playing on ``app``."""

    def stop(self) -> None:
        """Stop where it is; the console stays."""

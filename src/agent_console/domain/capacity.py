"""Capacity accounting for both capacity models (R2, R5).

A session *holds* units from its owner while it consumes capacity:

* tab-based: from assignment until the agent closes its tab -- ending does not free them;
* status-based: only while the session is Active -- Inactive and Ended hold none.
"""

from __future__ import annotations

from dataclasses import dataclass

from .vocab import CapacityModel, SessionStatus


def consumes(model: CapacityModel, status: SessionStatus, tab_open: bool, owned: bool) -> bool:
    """Whether a session with these facts holds its units from its owner."""
    if not owned:
        return False
    if model is CapacityModel.TAB_BASED:
        return tab_open
    return status is SessionStatus.ACTIVE


def held_units(
    model: CapacityModel, status: SessionStatus, tab_open: bool, owned: bool, units: int
) -> int:
    return units if consumes(model, status, tab_open, owned) else 0


def why_consumes(model: CapacityModel, status: SessionStatus) -> str:
    """The rule that makes a consuming session count, and what frees it."""
    if model is CapacityModel.TAB_BASED:
        if status is SessionStatus.ENDED:
            return "tab-based: ended, but its tab is still open; close the tab to free capacity"
        return "tab-based: its tab is open; units are freed when the tab is closed"
    return "status-based: Active; units are freed when it ends or goes Inactive"


@dataclass(frozen=True)
class Load:
    capacity: int
    used: int

    @property
    def free(self) -> int:
        return self.capacity - self.used

    def fits(self, units: int) -> bool:
        return self.used + units <= self.capacity

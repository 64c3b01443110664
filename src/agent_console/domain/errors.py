"""Errors every layer may raise; the CLI maps them to exit codes (1 refused / not found)."""

from __future__ import annotations

from enum import Enum


class ConsoleError(Exception):
    """A problem a person can read in one line."""

    exit_code = 1


class NotFound(ConsoleError):
    pass


class Refused(ConsoleError):
    pass


class Fault(Enum):
    """Why the database could not be used, as the store told it apart (by the driver's
    exception types and codes, never by the words of its message)."""

    LOCKED = "locked"
    DISK_FULL = "disk full"
    READ_ONLY = "read-only"
    CORRUPT = "corrupt"
    CANNOT_OPEN = "cannot open"
    LOST = "lost the connection"
    UNREACHABLE = "cannot reach"
    LOGIN_REFUSED = "login refused"
    NO_DATABASE = "no such database"
    #: The database refused the statement for the connection's role (PostgreSQL's
    #: privileges and row-level security, issue 15).
    DENIED = "denied"


class StoreError(ConsoleError):
    """The database cannot be used (locked, unreachable, corrupt, read-only...).

    ``fault`` says why when the store knows (see ``store/faults.py``); None otherwise."""

    def __init__(self, message: str, *, fault: Fault | None = None) -> None:
        super().__init__(message)
        self.fault = fault

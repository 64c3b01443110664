"""Errors every layer may raise; the CLI maps them to exit codes (1 refused / not found)."""

from __future__ import annotations


class ConsoleError(Exception):
    """A problem a person can read in one line."""

    exit_code = 1


class NotFound(ConsoleError):
    pass


class Refused(ConsoleError):
    pass


class StoreError(ConsoleError):
    """The database cannot be used (locked, unreachable, corrupt, read-only...)."""

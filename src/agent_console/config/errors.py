"""The one exception of the config package."""

from __future__ import annotations

__all__ = ["ConfigError"]


class ConfigError(Exception):
    """A configuration problem; ``str()`` is a single line fit to show the user."""

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        super().__init__(" ".join(message.splitlines()))
        self.source = source
        self.key = key

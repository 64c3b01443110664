"""The database to open: ``--db``, the settings or the default file (see store.url)."""

from __future__ import annotations

from ..store.url import DatabaseURL, DatabaseURLError
from .errors import ConfigError
from .paths import default_database_url
from .settings import Settings

__all__ = ["normalize_database_url", "redact_url", "resolve_database_url"]


def redact_url(url: str) -> str:
    """``url`` with its password (also a ``?password=`` parameter) replaced by ``***``."""
    return DatabaseURL(url).redacted()


def normalize_database_url(raw: str) -> str:
    """Validate ``raw`` and return it with an async driver (:meth:`DatabaseURL.normalize`);
    a URL the console does not accept is a :class:`ConfigError`."""
    try:
        return str(DatabaseURL.normalize(raw))
    except DatabaseURLError as exc:
        raise ConfigError(str(exc), key="database_url") from None


def resolve_database_url(cli_url: str | None, settings: Settings) -> str:
    """The database to open: CLI ``--db`` > ``settings.database_url`` > the default file."""
    if cli_url is not None:
        return normalize_database_url(cli_url)
    if settings.database_url is not None:
        return normalize_database_url(settings.database_url)
    return default_database_url()

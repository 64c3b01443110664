"""The console's log: one record per line, with nothing in it a terminal would obey.

Records come from the ``agent_console`` loggers (ends, macro runs, customer messages at debug,
database errors). They carry customer-controlled text -- names, messages, a driver's error
detail -- so :class:`OneLineFormatter` passes the whole formatted record, traceback included,
through :func:`~agent_console.domain.text.escape_log`: line breaks, ESC, C1 controls and bidi
overrides become visible markers, so ``tail -f`` or ``cat`` of the log can neither be steered
nor forged into extra records.

``setup_logging`` is called by the CLI and the console with the ``log_level`` setting; the
file is ``agent-console.log`` in the data directory (``agent-console locate`` prints it).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Any

from .domain.text import escape_log

ROOT = "agent_console"
LOG_FILE = "agent-console.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class OneLineFormatter(logging.Formatter):
    """Every record on exactly one line, escaped for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return escape_log(super().format(record))


class QuietFileHandler(logging.FileHandler):
    """A file handler that never prints its own failures (it may run under the console's
    full-screen display, where a traceback on stderr would corrupt the screen)."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass

    def _open(self) -> Any:
        # The directory is made with the first record, not when the console starts.
        # Both the user's alone (it may name agents, customers and sessions).
        Path(self.baseFilename).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(self.baseFilename, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
        return super()._open()


def setup_logging(level: str, path: Path) -> logging.Handler | None:
    """Send the console's records at ``level`` and above to ``path`` -- one log file per
    process: a handler to another file is replaced. The file (and its directory) is made with
    the first record; a file that cannot be written drops records silently."""
    logger = logging.getLogger(ROOT)
    logger.setLevel(level.upper())
    logger.propagate = False
    for handler in logger.handlers:
        if isinstance(handler, QuietFileHandler) and Path(handler.baseFilename) == path.absolute():
            return handler
    stop_logging()
    try:
        handler = QuietFileHandler(path, encoding="utf-8", delay=True)
    except OSError:
        return None
    handler.setFormatter(OneLineFormatter(FORMAT))
    logger.addHandler(handler)
    return handler


def stop_logging() -> None:
    """Close and remove the handlers :func:`setup_logging` added (tests, and at exit)."""
    logger = logging.getLogger(ROOT)
    for handler in list(logger.handlers):
        if isinstance(handler, QuietFileHandler):
            logger.removeHandler(handler)
            with contextlib.suppress(OSError):
                handler.close()

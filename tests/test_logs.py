"""The console's log file is its user's alone: it names agents, customers and sessions."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from agent_console.logs import LOG_FILE, setup_logging, stop_logging


def test_the_log_and_its_directory_are_made_for_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / LOG_FILE
    old_umask = os.umask(0o022)  # the usual umask: open() alone would make the file 0644
    try:
        setup_logging("warning", path)
        logging.getLogger("agent_console").warning("a record")
    finally:
        stop_logging()
        os.umask(old_umask)
    assert "a record" in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

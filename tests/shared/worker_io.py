"""A worker process's side of :mod:`shared.processes`: wait for the "go", print JSON lines.

Worker scripts import this as ``shared.worker_io``: :func:`shared.processes.worker_env`
puts the tests folder on their PYTHONPATH (run one by hand with ``PYTHONPATH=src:tests``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from agent_console.services.views import to_json


def emit(value: Any) -> None:
    """One JSON line on stdout, flushed (the test reads them as they come)."""
    print(json.dumps(to_json(value)), flush=True)


def load_list(path: str) -> list[Any]:
    """The JSON list in file ``path`` (session ids, customer names)."""
    return list(json.loads(Path(path).read_text()))


def wait_for_go(args: argparse.Namespace, within: float) -> None:
    """With ``--ready R --go G``: create R, then wait (at most ``within`` s) for G."""
    if args.ready:
        Path(args.ready).touch()
    if args.go:
        deadline = time.monotonic() + within
        while not Path(args.go).exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"worker: no go signal within {within:g} s")
            time.sleep(0.001)

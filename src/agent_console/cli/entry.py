"""The ``agent-console`` script (``[project.scripts]``): the CLI, with the garbage collector
paused from the first import on.

Starting the console imports and builds hundreds of thousands of objects that live as long as
it does; every full collection on the way walks all of them again. The pause ends when a
command other than the console start is chosen (``ConsoleGroup.get_command``), or, for the
console, once the agent's sessions are on screen (``tui/app.py``); it always ends when the
CLI returns. ``python -m agent_console.cli.main`` runs the same CLI without the early pause.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    try:
        from .main import main as cli_main

        cli_main()
    finally:
        gc.enable()

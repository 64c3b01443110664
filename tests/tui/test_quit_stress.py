"""Start and quit the console many times at random moments: nothing hangs, nothing is left.

Issue 12's acceptance: 200 starts and quits (``run_test`` and a real terminal both). The
moments are drawn from a seeded ``random.Random``, so a failure names a start that can be
replayed (``STRESS_SEED``). The waits before ctrl+q are the random moments themselves, not
waits for something to happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import random
import select
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agent_console.demo.driver import DemoDriver
from agent_console.services.first_screen import FirstScreen, first_screen
from agent_console.store.url import DatabaseURL

from .conftest import SIZE, Seeded, console_ready, press_to_quit, until
from .test_quit import driver_threads, left_behind, other_tasks

pytestmark = [
    pytest.mark.slow,
    pytest.mark.stress,
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]

STRESS_SEED = 12
#: Starts under ``run_test``, and in a real pseudo-terminal (a process each).
RUN_TEST_STARTS = 200
PTY_STARTS = 200
#: The issue's bound: from the app closing (the terminal restored) to the process gone.
EXIT_WITHIN = 1.0
#: Keys that open a screen over the console (a modal, the list, a focused text area).
OVER_THE_CONSOLE = {
    "help": ("f1",),
    "presence menu": ("ctrl+o",),
    "macro picker": ("ctrl+r",),
    "quick replies": ("f4",),
    "ledger": ("ctrl+l",),
    "sessions list": ("f3",),
    "admin settings": ("f2",),
    "typing a reply": ("ctrl+g", *"half a reply"),
}
MOMENTS = ("loading", "console", "demo", *OVER_THE_CONSOLE)


@dataclass
class Quit:
    """One start and quit: what was asked, and what went wrong (nothing, if all went well)."""

    number: int
    moment: str
    problems: list[str]


async def start_and_quit(number: int, rng: random.Random, url: str, app_factory: Any) -> Quit:
    moment = rng.choice(MOMENTS)
    pause = rng.uniform(0, 0.3)
    demo = DemoDriver(rng.randrange(1000), interval=0.05) if moment == "demo" else None
    # Half the starts draw the first read's sessions first (the CLI's start on SQLite): their
    # "loading" moment is the database opening behind those sessions.
    first = first_read(url) if rng.random() < 0.5 else None
    problems: list[str] = []
    before = driver_threads()
    tasks_before = frozenset(asyncio.all_tasks())
    app = app_factory(url, poll_interval=0.05, demo=demo, first_screen=first)
    async with app.run_test(size=SIZE) as pilot:
        if moment != "loading":
            await console_ready(pilot)
            await pilot.press(*OVER_THE_CONSOLE.get(moment, ()))
        await asyncio.sleep(pause)  # the random moment
        await press_to_quit(pilot, "ctrl+q")
        try:
            await until(pilot, lambda: not app.is_running, what="the app to close")
        except AssertionError:
            problems.append(f"ctrl+q did not close the app on {type(app.screen).__name__}")
    if app.return_code != 0:
        problems.append(f"return code {app.return_code}")
    tasks = other_tasks(tasks_before)
    if tasks:
        problems.append(f"tasks outlived the app: {[t.get_coro() for t in tasks]}")
    threads = left_behind(before)
    if threads:
        problems.append(f"driver threads outlived the app: {threads}")
    return Quit(number, moment, problems)


def first_read(url: str) -> FirstScreen:
    path = DatabaseURL(url).sqlite_path
    assert path is not None
    first = first_screen(path, "dana")
    assert first is not None
    return first


async def test_200_starts_and_quits_at_random_moments_under_run_test(
    seeded: Seeded, app_factory: Any
) -> None:
    rng = random.Random(STRESS_SEED)
    failed: list[Quit] = []
    for number in range(RUN_TEST_STARTS):
        try:
            done = await asyncio.wait_for(
                start_and_quit(number, rng, seeded.url, app_factory), timeout=60
            )
        except TimeoutError:
            pytest.fail(f"start {number} hung (over 60 s); seed {STRESS_SEED}")
        if done.problems:
            failed.append(done)
    assert not failed, failed


# -- a real terminal -------------------------------------------------------------------------

ALT_SCREEN_ON, ALT_SCREEN_OFF = b"\x1b[?1049h", b"\x1b[?1049l"


@dataclass
class Run:
    number: int
    returncode: int | None
    #: From the terminal restored (the app closed) to the process gone; None: never restored.
    restored_to_exit: float | None
    hung: bool
    #: Processes of the console's session still there once it had exited (none, ever).
    left: bool


def console_in_a_pty(number: int, url: str, home: Path, pause: float) -> Run:
    """``agent-console --db URL --as dana`` on a pseudo-terminal; ctrl+q ``pause`` seconds
    after its first frame (before that the terminal is not raw yet and eats ctrl+q as XON)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", AGENT_CONSOLE_HOME=str(home))
    env.pop("AGENT_CONSOLE_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent_console.cli.main", "--db", url, "--as", "dana"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    seen = b""
    started = time.monotonic()
    first_frame = sent = restored = None
    hung = False
    try:
        while proc.poll() is None:
            now = time.monotonic()
            if first_frame is None and ALT_SCREEN_ON in seen:
                first_frame = now
            if first_frame is not None and sent is None and now - first_frame >= pause:
                os.write(master, b"\x11")  # ctrl+q
                sent = now
            if restored is None and ALT_SCREEN_OFF in seen:
                restored = now
            if now - started > 60 or (sent is not None and now - sent > 15):
                hung = True
                break
            if select.select([master], [], [], 0.01)[0]:
                with contextlib.suppress(OSError):  # the child closed its end
                    seen += os.read(master, 65536)
        gone = time.monotonic()
        left = not hung and session_alive(proc.pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
            proc.wait()
        os.close(master)
    if restored is None and ALT_SCREEN_OFF in seen:  # restored and gone in the same read
        restored = gone
    return Run(
        number,
        None if hung else proc.returncode,
        None if restored is None or hung else gone - restored,
        hung,
        left,
    )


def session_alive(leader: int) -> bool:
    """Whether a process of the group ``leader`` started is still there (the console's
    children, had it any: it was started as a session and group of its own)."""
    try:
        os.killpg(leader, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.timeout(1200)  # 200 processes: 252 s beside a busy core; each has its own 60 s
def test_starts_and_quits_at_random_moments_in_a_real_terminal(
    seeded: Seeded, tmp_path: Path
) -> None:
    rng = random.Random(STRESS_SEED)
    runs = [
        console_in_a_pty(number, seeded.url, tmp_path / "home", rng.uniform(0, 1.5))
        for number in range(PTY_STARTS)
    ]
    assert [r for r in runs if r.hung] == []
    assert [r for r in runs if r.left] == []
    assert [r for r in runs if r.returncode != 0] == []
    assert [r for r in runs if r.restored_to_exit is None or r.restored_to_exit > EXIT_WITHIN] == []

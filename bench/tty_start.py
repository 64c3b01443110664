"""Start a program in a pseudo-terminal and time it to a text on its screen (bench only).

The program runs as it would for a person: its stdin, stdout and stderr are the slave side of
a pty of a fixed size (``TIOCSWINSZ``), ``TERM=xterm-256color``. The clock runs from just before
the process is spawned to the moment the expected text has been written to the terminal (the
output read so far, escape sequences removed, contains it). Then ctrl+q is typed and the
process must exit within ``quit_within`` seconds; a process that shows nothing in time, or
does not exit, is killed (its whole process group) and reported as such -- never waited on
forever.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: CSI (``ESC [ ... final``), OSC (``ESC ] ... BEL|ST``), DCS/APC/PM strings, two-byte escapes.
ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    rb"|\x1b[P_^][^\x1b]*\x1b\\"
    rb"|\x1b[@-Z\\-_]"
)
CTRL_Q = b"\x11"


def plain(output: bytes) -> str:
    """The text a terminal would show pieces of: escape sequences removed."""
    return ESCAPES.sub(b"", output).decode("utf-8", "replace")


@dataclass
class TtyRun:
    """One start: seconds to the text (None: never shown) and how the process ended."""

    shown_s: float | None
    exited_s: float | None  # seconds from ctrl+q to exit (None: killed)
    returncode: int | None
    failure: str | None  # None when the text showed and the process quit in time
    tail: str  # the end of the plain output, for a failure's report

    def row(self) -> dict[str, object]:
        return {
            "shown_s": None if self.shown_s is None else round(self.shown_s, 3),
            "quit_s": None if self.exited_s is None else round(self.exited_s, 3),
            "returncode": self.returncode,
            "failure": self.failure,
        }


def _set_size(fd: int, columns: int, lines: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))


def run_to_text(
    argv: Sequence[str],
    expect: Sequence[str],
    *,
    env: Mapping[str, str],
    size: tuple[int, int] = (120, 40),
    timeout: float = 60.0,
    quit_within: float = 10.0,
) -> TtyRun:
    """Spawn ``argv`` in a pty, time it to every text of ``expect`` on screen, then quit it
    with ctrl+q."""
    master, slave = os.openpty()
    _set_size(slave, *size)
    child_env = dict(env)
    child_env["TERM"] = "xterm-256color"
    child_env["COLUMNS"], child_env["LINES"] = str(size[0]), str(size[1])
    started = time.perf_counter()
    proc = subprocess.Popen(
        list(argv),
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=child_env,
        start_new_session=True,  # its own session: the pty becomes its controlling terminal
        close_fds=True,
    )
    os.close(slave)
    output = bytearray()
    shown: float | None = None
    failure: str | None = None
    exited: float | None = None
    try:
        deadline = started + timeout
        while shown is None:
            left = deadline - time.perf_counter()
            if left <= 0:
                failure = f"{expect!r} not on screen within {timeout:g} s"
                break
            if not _read(master, output, left):
                failure = f"exited (code {proc.poll()}) before {expect!r} was on screen"
                break
            text = plain(bytes(output))
            if all(part in text for part in expect):
                shown = time.perf_counter() - started
        if shown is not None:
            asked = time.perf_counter()
            os.write(master, CTRL_Q)
            deadline = asked + quit_within
            while proc.poll() is None and time.perf_counter() < deadline:
                _read(master, output, min(0.05, max(0.0, deadline - time.perf_counter())))
            if proc.poll() is None:
                failure = f"still running {quit_within:g} s after ctrl+q"
            else:
                exited = time.perf_counter() - asked
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        os.close(master)
    return TtyRun(shown, exited, proc.returncode, failure, plain(bytes(output))[-600:])


def _read(fd: int, into: bytearray, wait: float) -> bool:
    """Read what the program wrote (waiting up to ``wait`` s); False once it closed the pty."""
    ready, _, _ = select.select([fd], [], [], wait)
    if not ready:
        return True
    try:
        chunk = os.read(fd, 65536)
    except OSError:  # EIO: every slave descriptor is closed (the process ended)
        return False
    if not chunk:
        return False
    into += chunk
    return True

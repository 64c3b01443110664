#!/usr/bin/env python3
"""Start and stop a throw-away PostgreSQL server for tests (standard library only).

As a module::

    cluster = start()            # or start("/tmp/somewhere-empty")
    try:
        ...  # use cluster.url (postgresql+asyncpg://...) or cluster.dsn (postgresql://...)
    finally:
        cluster.stop()           # stops the server and deletes its directory

From the shell (CI does this, see ``.ci/run``)::

    DIR=$(python3 scripts/pg_throwaway.py scratch)               # /dev/shm/... if it has room
    url=$(python3 scripts/pg_throwaway.py start --dir "$DIR")   # prints only the URL
    python3 scripts/pg_throwaway.py stop --dir "$DIR"

The server listens on 127.0.0.1 only, on a free port, with scram-sha-256 password auth for
user ``agent`` and a random password, and has a database ``agent_console_test``. Durability is
switched off (fsync, synchronous_commit, full_page_writes): it is meant to be thrown away.

initdb refuses to run as root, so as root the server runs as the system user
``agentconsole-pg`` (created on first use) via ``runuser``.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

__all__ = ["Cluster", "PgError", "PgUnavailable", "find_bindir", "start"]

DB_NAME = "agent_console_test"
DB_USER = "agent"
RUN_AS = "agentconsole-pg"
STATE_FILE = "cluster.json"
START_TIMEOUT_S = 60
# sockaddr_un.sun_path is 108 bytes on Linux, including the terminating NUL.
_MAX_SOCKET_PATH = 107


class PgError(RuntimeError):
    """Starting or stopping the throw-away server failed."""


class PgUnavailable(PgError):
    """No PostgreSQL server binaries were found."""


@dataclass
class Cluster:
    """A running throw-away server. ``stop()`` stops it and removes ``base_dir``."""

    base_dir: str
    data_dir: str
    port: int
    bindir: str
    password: str = field(default="", repr=False)
    run_as: str | None = None
    #: The server's ``max_connections`` (``bench/floor.py`` raises it for 1,000 consoles).
    max_connections: int = 200

    @property
    def dsn(self) -> str:
        return (
            f"postgresql://{DB_USER}:{quote(self.password, safe='')}"
            f"@127.0.0.1:{self.port}/{DB_NAME}"
        )

    @property
    def url(self) -> str:
        return self.dsn.replace("postgresql://", "postgresql+asyncpg://", 1)

    @property
    def log_file(self) -> str:
        return os.path.join(self.base_dir, "postgres.log")

    def stop(self) -> None:
        """Stop the server immediately (no checkpoint) and delete the whole directory."""
        if os.path.isfile(os.path.join(self.data_dir, "postmaster.pid")):
            res = _run(
                [
                    _bin(self.bindir, "pg_ctl"),
                    "-D",
                    self.data_dir,
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    str(START_TIMEOUT_S),
                    "stop",
                ],
                run_as=self.run_as,
                cwd=self.base_dir,
                check=False,
            )
            if res.returncode != 0 and _is_running(self):
                raise PgError(f"pg_ctl stop failed: {_last_line(res.stdout)}")
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def to_json(self) -> dict[str, object]:
        """What ``stop --dir`` needs (the password is deliberately not written)."""
        return {
            "base_dir": self.base_dir,
            "data_dir": self.data_dir,
            "port": self.port,
            "bindir": self.bindir,
            "run_as": self.run_as,
        }


# --- finding the binaries -------------------------------------------------------------------


def _has_server(bindir: str) -> bool:
    names = ("initdb", "pg_ctl", "postgres")
    return all(os.access(os.path.join(bindir, n), os.X_OK) for n in names)


def _version_key(bindir: str) -> tuple[int, ...]:
    ver = os.path.basename(os.path.dirname(bindir))
    return tuple(int(p) for p in re.findall(r"\d+", ver)) or (0,)


def find_bindir() -> str:
    """``pg_config --bindir`` if it has the server, else the newest /usr/lib/postgresql/*/bin."""
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            if out and _has_server(out):
                return out
    candidates = [d for d in glob.glob("/usr/lib/postgresql/*/bin") if _has_server(d)]
    if candidates:
        return max(candidates, key=_version_key)
    raise PgUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found via pg_config or "
        "/usr/lib/postgresql/*/bin; install them: apt-get install postgresql"
    )


def _bin(bindir: str, name: str) -> str:
    return os.path.join(bindir, name)


# --- running things -------------------------------------------------------------------------


def _clean_env() -> dict[str, str]:
    """The caller's environment minus PG* variables (PGHOST, PGDATABASE, ... would interfere)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env.pop("LANG", None)
    env.pop("LANGUAGE", None)
    return env


def _run(
    argv: list[str],
    *,
    run_as: str | None,
    cwd: str,
    check: bool = True,
    env: dict[str, str] | None = None,
    timeout: float = START_TIMEOUT_S + 30,
) -> subprocess.CompletedProcess[str]:
    if run_as is not None:
        argv = ["runuser", "-u", run_as, "--", *argv]
    try:
        res = subprocess.run(
            argv,
            cwd=cwd,
            env=env if env is not None else _clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as e:
        raise PgError(f"cannot run {argv[0]}: {e}") from e
    except subprocess.TimeoutExpired as e:
        raise PgError(f"{os.path.basename(argv[0])} timed out after {timeout:.0f}s") from e
    if check and res.returncode != 0:
        name = os.path.basename(argv[argv.index("--") + 1] if run_as else argv[0])
        raise PgError(f"{name} failed (exit {res.returncode}): {_last_line(res.stdout)}")
    return res


def _last_line(text: str | None) -> str:
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    # The first line that names a problem is usually the cause; later ones are consequences.
    for ln in lines:
        if re.search(r"\b(FATAL|ERROR|PANIC|error|failed|could not)\b", ln):
            return ln
    return lines[-1] if lines else "(no output)"


def _read_log(path: str, start: int = 0) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            f.seek(start)
            return f.read()
    except OSError:
        return ""


def _is_running(c: Cluster) -> bool:
    res = _run(
        [_bin(c.bindir, "pg_ctl"), "-D", c.data_dir, "status"],
        run_as=c.run_as,
        cwd=c.base_dir,
        check=False,
        timeout=30,
    )
    return res.returncode == 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- root: a system user to run the server as -----------------------------------------------


def _ensure_system_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(RUN_AS)
    except KeyError:
        pass
    useradd = shutil.which("useradd") or "/usr/sbin/useradd"
    res = subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    # Exit 9: the name is taken -- someone created it concurrently; fine.
    if res.returncode not in (0, 9):
        raise PgError(
            f"useradd {RUN_AS} failed (exit {res.returncode}): "
            f"{_last_line(res.stderr or res.stdout)}"
        )
    try:
        return pwd.getpwnam(RUN_AS)
    except KeyError as e:
        raise PgError(f"useradd {RUN_AS} reported success but the user does not exist") from e


def _check_searchable(path: Path, pw: pwd.struct_passwd) -> None:
    """The server user must be able to reach ``path`` through all its parents."""
    for p in path.parents:
        st = p.stat()
        ok = (
            st.st_mode & stat.S_IXOTH
            or (st.st_uid == pw.pw_uid and st.st_mode & stat.S_IXUSR)
            or (st.st_gid == pw.pw_gid and st.st_mode & stat.S_IXGRP)
        )
        if not ok:
            raise PgError(
                f"{p} is not searchable by user {RUN_AS}, so the server cannot reach {path}; "
                "use a directory under /tmp"
            )


# --- start ----------------------------------------------------------------------------------


#: Where a throw-away server's files go by default: memory (tmpfs), when it has room.
MEMORY_DIR = "/dev/shm"
#: The room a throw-away server needs there: a test run makes and drops thousands of
#: databases (about 9 MB each), a handful at a time.
MEMORY_DIR_ROOM = 1 << 30


def scratch_dir(prefix: str = "pg_throwaway-") -> str:
    """A new empty directory for a throw-away server: in memory (``/dev/shm``) when it is
    there, writable and has ``MEMORY_DIR_ROOM`` free, else in the system's temporary one.

    On disk, a server that creates and drops a database per test spends most of its CPU in
    the file system, not in PostgreSQL: ext4 makes each new file search past the inodes of
    the files just deleted (``ext4_create`` → ``recently_deleted`` was about 40 % of the
    machine's samples under ``perf`` while the services' PostgreSQL tests ran; they took
    121 s there against 69 s in memory). Nothing is lost by it: the server is thrown away."""
    try:
        st = os.statvfs(MEMORY_DIR)
        roomy = st.f_bavail * st.f_frsize >= MEMORY_DIR_ROOM
    except OSError:
        roomy = False
    if roomy and os.access(MEMORY_DIR, os.W_OK | os.X_OK):
        return tempfile.mkdtemp(prefix=prefix, dir=MEMORY_DIR)
    return tempfile.mkdtemp(prefix=prefix)


def _prepare_base_dir(base_dir: str | None) -> tuple[Path, bool]:
    """Return (absolute base dir, whether we created it). Refuses a non-empty directory."""
    if base_dir is None:
        return Path(scratch_dir()).resolve(), True
    p = Path(base_dir).resolve()
    if p.exists():
        if not p.is_dir():
            raise PgError(f"{p} exists and is not a directory")
        if any(p.iterdir()):
            # stop() deletes the directory, so never adopt one that already has content.
            raise PgError(f"{p} is not empty; give a new or empty directory")
        return p, False
    p.mkdir(parents=True, mode=0o700)
    return p, True


def start(base_dir: str | None = None, *, max_connections: int = 200) -> Cluster:
    """Create, configure and start a throw-away server; return it with the database created.

    ``base_dir`` must be missing or empty (it is deleted by ``stop()``); by default a new
    temporary directory is used. On failure everything is cleaned up and ``PgError`` (or
    ``PgUnavailable`` when PostgreSQL is not installed) is raised.
    """
    bindir = find_bindir()
    root = os.geteuid() == 0
    pw = _ensure_system_user() if root else None
    run_as = RUN_AS if root else None

    base, created = _prepare_base_dir(base_dir)
    data = base / "data"
    cluster = Cluster(
        base_dir=str(base),
        data_dir=str(data),
        port=0,
        bindir=bindir,
        password=secrets.token_urlsafe(24),
        run_as=run_as,
        max_connections=max_connections,
    )
    sock_len = len(str(data)) + len("/.s.PGSQL.65535.lock")
    try:
        if sock_len > _MAX_SOCKET_PATH:
            raise PgError(f"{data} is too long for a unix socket path; use a shorter directory")
        if pw is not None:
            _check_searchable(base, pw)
            os.chown(base, pw.pw_uid, pw.pw_gid)
        os.chmod(base, 0o700)

        pwfile = base / "pwfile"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(cluster.password + "\n")
        if pw is not None:
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        try:
            _run(
                [
                    _bin(bindir, "initdb"),
                    "-D",
                    str(data),
                    "--auth=scram-sha-256",
                    f"--username={DB_USER}",
                    f"--pwfile={pwfile}",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-sync",
                ],
                run_as=run_as,
                cwd=str(base),
            )
        finally:
            pwfile.unlink(missing_ok=True)

        _start_server(cluster)
        env = _clean_env()
        env["PGPASSWORD"] = cluster.password
        env["PGCONNECT_TIMEOUT"] = "10"
        _run(
            [
                _bin(bindir, "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(cluster.port),
                "-U",
                DB_USER,
                DB_NAME,
            ],
            run_as=None,
            cwd=str(base),
            env=env,
            timeout=60,
        )
        return cluster
    except BaseException:
        with contextlib.suppress(Exception):
            cluster.stop()
        if not created:
            # stop() removed the caller's (empty) directory; give it back.
            with contextlib.suppress(OSError):
                base.mkdir(mode=0o700, exist_ok=True)
        raise


@contextlib.contextmanager
def given_or_started(url: str | None, *, prefix: str, max_connections: int = 200) -> Iterator[str]:
    """``url`` when one is given, else a throw-away server's for the block (stopped after):
    the benches' ``--url`` or their own PostgreSQL."""
    if url is not None:
        yield url
        return
    cluster = start(scratch_dir(prefix), max_connections=max_connections)
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _write_settings(c: Cluster) -> None:
    sock_dir = c.data_dir.replace("'", "''")
    settings = (
        "\n# --- pg_throwaway ---\n"
        "listen_addresses = '127.0.0.1'\n"
        f"port = {c.port}\n"
        f"unix_socket_directories = '{sock_dir}'\n"
        "fsync = off\n"
        "synchronous_commit = off\n"
        "full_page_writes = off\n"
        f"max_connections = {c.max_connections}\n"
    )
    # Appended: later lines win. As root this keeps the file's owner (the server user).
    with open(os.path.join(c.data_dir, "postgresql.conf"), "a", encoding="utf-8") as f:
        f.write(settings)


def _start_server(c: Cluster, attempts: int = 3) -> None:
    """Pick a free port and start; retry on a port taken between choosing and binding."""
    for attempt in range(1, attempts + 1):
        c.port = _free_port()
        _write_settings(c)
        log_start = os.path.getsize(c.log_file) if os.path.exists(c.log_file) else 0
        res = _run(
            [
                _bin(c.bindir, "pg_ctl"),
                "-D",
                c.data_dir,
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "-l",
                c.log_file,
                "start",
            ],
            run_as=c.run_as,
            cwd=c.base_dir,
            check=False,
        )
        if res.returncode == 0:
            return
        log = _read_log(c.log_file, log_start)
        if attempt < attempts and "could not bind" in log:
            continue
        why = _last_line(log) if log.strip() else _last_line(res.stdout)
        raise PgError(f"pg_ctl start failed (exit {res.returncode}): {why}")


# --- command line ---------------------------------------------------------------------------


def _cmd_start(d: str, max_connections: int = 200) -> int:
    t0 = time.monotonic()
    cluster = start(d, max_connections=max_connections)
    try:
        state = Path(cluster.base_dir) / STATE_FILE
        state.write_text(json.dumps(cluster.to_json(), indent=2) + "\n", encoding="utf-8")
    except BaseException:
        cluster.stop()
        raise
    print(cluster.url, flush=True)
    if os.environ.get("PG_THROWAWAY_VERBOSE"):
        print(f"pg_throwaway: started in {time.monotonic() - t0:.1f}s", file=sys.stderr)
    return 0


def _cmd_stop(d: str) -> int:
    base = Path(d).resolve()
    state = base / STATE_FILE
    try:
        info = json.loads(state.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise PgError(f"no {STATE_FILE} in {base}; nothing started there") from e
    except (OSError, ValueError) as e:
        raise PgError(f"cannot read {state}: {e}") from e
    Cluster(
        base_dir=str(base),
        data_dir=str(info["data_dir"]),
        port=int(info["port"]),
        bindir=str(info["bindir"]),
        run_as=info.get("run_as"),
    ).stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Throw-away PostgreSQL server for tests.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p_start = sub.add_parser("start", help="start a server; print its SQLAlchemy URL")
    p_start.add_argument("--dir", required=True, help="new or empty directory to hold it")
    p_start.add_argument("--max-connections", type=int, default=200)
    p_stop = sub.add_parser("stop", help="stop the server in --dir and delete the directory")
    p_stop.add_argument("--dir", required=True)
    sub.add_parser(
        "scratch", help="make a new empty directory for --dir (in memory when there is room)"
    )
    args = ap.parse_args(argv)
    try:
        if args.cmd == "scratch":
            print(scratch_dir(), flush=True)
            return 0
        if args.cmd == "start":
            return _cmd_start(args.dir, args.max_connections)
        return _cmd_stop(args.dir)
    except (PgError, OSError) as e:
        msg = " ".join(str(e).split())
        print(f"pg_throwaway {args.cmd}: {msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

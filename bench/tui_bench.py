"""The console's own numbers, measured side by side in one run on a 100,000-session database.

    .venv/bin/python bench/tui_bench.py [--sessions 100000] [--repeats 5] [--bulk 10000]
                                        [--bulk-repeats 3] [--demo-minutes 30]
                                        [--only cold|list|find|bulk|demo ...] [--out results.json]

The cold start runs both programs for real in a pseudo-terminal (``bench/tty_start.py``):
``agent-console --db URL --as dana`` and a bare Textual app (Header, Static, Footer), from the
spawn to their text on screen -- the agent's first session (label and customer), the bare
app's Static -- then ctrl+q; each ``--repeats`` times, alternating, the median counts (target:
<= 2x the bare app). Every other in-app figure is measured in a fresh process
(``bench/tui_child.py``) running the real app headless (``App.run_test``), from an event to the
first *frame* that shows its result (the moment Textual hands the rendered update to its
driver); the headless cold starts are printed as references. Every child has a timeout: a hang
is a FAIL in the table, never an endless wait.

* opening the Messaging Sessions list (f3 on the console) on 100,000 sessions: key press to
  the frame with the first page (target: <= 0.5 s);
* a filter change or a sort: the choice to the frame with the new rows; a page move: the key to
  the frame (within the loaded rows, and into the next keyset page) (target: <= 100 ms);
* select all matching (``A``) + End Sessions (``e``) + confirm (``y``) of ``--bulk`` sessions:
  from the first key to the frame with the per-row results, through the preview and the
  progress bar, on a fresh copy each time (target: <= 3 s);
* the list's search, by a customer's full name and by the surname alone (enter in the search
  box to the frame with the rows), and the jump to the last page (ctrl+end: one keyset page
  from the end) (target: <= 100 ms);
* resident memory of the process with the list open, after paging through 1,000 rows
  (target: <= 150 MB);
* the living demo (``agent-console demo``'s database, world and console) on a fake clock
  that moves 3 s (one world tick) per tick, the world ticking back to back: the resident set
  over ``--demo-minutes`` simulated minutes, after ``--demo-warmup`` minutes in which
  Textual's render caches fill (target: grows by <= 5 MB); the growth from the console showing
  its sessions is reported too.

It prints a table and the details, the machine load (``uptime``) before and after, and with
``--out`` writes the results as JSON. The exit status is 0 only when every target passed.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from run import T0, FixedClock, Result, calibrate, copy_db, print_table
from tty_start import TtyRun, run_to_text
from tui_child import BARE_TEXT

from agent_console.demo.seed import seed
from agent_console.services.runtime import open_ctx

HERE = Path(__file__).resolve().parent
CHILD = HERE / "tui_child.py"
#: Seconds a cold start may take before it counts as a hang (the child is killed).
CHILD_TIMEOUT = 60.0
#: The measures --only can choose.
PARTS = ("cold", "list", "find", "bulk", "demo")


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"load average {os.getloadavg()}"


class ChildFailed(Exception):
    """A measurement's process failed or hung (killed at its timeout): a FAIL in the table."""


def child(*args: str, timeout: float = 300) -> tuple[dict[str, Any], float]:
    """Run one measurement; returns its JSON and the wall-clock time it was started at.
    A child still running after ``timeout`` s is killed and raises :class:`ChildFailed`."""
    env = dict(os.environ)
    src = str(HERE.parent / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    started = time.time()
    try:
        proc = subprocess.run(
            [sys.executable, str(CHILD), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        said = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else ""
        printed = " (after printing its figures)" if said.strip() else ""
        raise ChildFailed(f"{args[0]} hung{printed}: killed after {timeout:g} s") from None
    if proc.returncode != 0:
        raise ChildFailed(f"{args[0]} failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), started


def url_of(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def make_database(path: Path, sessions: int) -> float:
    ctx = await open_ctx(url_of(path), clock=FixedClock(T0))
    try:
        started = time.perf_counter()
        await seed(ctx, sessions=sessions)
        return time.perf_counter() - started
    finally:
        await ctx.db.dispose()


def keep_waiting(path: Path, count: int) -> int:
    """Leave exactly ``count`` sessions Waiting (the rest of the queue becomes New, which is
    just as consistent), so "status Waiting" matches the bulk end's size."""
    con = sqlite3.connect(path)
    try:
        with con:
            con.execute(
                "UPDATE sessions SET status = 'New' WHERE status = 'Waiting' AND id NOT IN "
                "(SELECT id FROM sessions WHERE status = 'Waiting' ORDER BY id LIMIT ?)",
                (count,),
            )
        (waiting,) = con.execute(
            "SELECT count(*) FROM sessions WHERE status = 'Waiting'"
        ).fetchone()
    finally:
        con.close()
    return int(waiting)


def ms(values: list[float]) -> list[float]:
    return [round(v * 1000, 1) for v in values]


def first_tab(db: Path, agent: str) -> tuple[str, str]:
    """The label and customer of the agent's first tab (the console lists tabs by id)."""
    con = sqlite3.connect(db)
    try:
        row = con.execute(
            "SELECT s.id, c.name FROM sessions s JOIN agents a ON a.id = s.owner_id "
            "JOIN customers c ON c.id = s.customer_id "
            "WHERE a.name = ? AND (s.status != 'Ended' OR s.tab_open) ORDER BY s.id LIMIT 1",
            (agent,),
        ).fetchone()
    finally:
        con.close()
    if row is None:
        raise SystemExit(f"{agent} has no session to show")
    return f"S-{row[0]}", str(row[1])


def compile_sources() -> None:
    """Write the package's bytecode caches before anything is measured.

    An installed console starts from compiled modules (pip compiles a wheel's at install;
    an editable checkout writes them on the first import). Where ``PYTHONDONTWRITEBYTECODE``
    is set, as on this machine, a module edited since its cache was written is compiled
    again by every child: measured here at ~70-100 ms of a console start, which the bare
    app (its modules compiled in site-packages) never pays."""
    compileall.compile_dir(HERE.parent / "src" / "agent_console", quiet=1)


def tty_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HERE.parent / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env["AGENT_CONSOLE_HOME"] = str(home)  # no user config, theme or keymap
    for var in ("AGENT_CONSOLE_DB", "AGENT_CONSOLE_CONFIG", "AGENT_CONSOLE_AGENT", "NO_COLOR"):
        env.pop(var, None)
    return env


#: The console as the ``agent-console`` script starts it.
CONSOLE_SCRIPT = "from agent_console.cli.entry import main; main()"


def tty_result(name: str, runs: list[TtyRun], target: str, bare: float | None) -> Result:
    shown = [r.shown_s for r in runs if r.shown_s is not None]
    failures = [r.failure for r in runs if r.failure is not None]
    value = statistics.median(shown) if shown else float("nan")
    detail: dict[str, Any] = {
        "runs_s": [None if r.shown_s is None else round(r.shown_s, 3) for r in runs],
        "quit_after_ctrl_q_s": [None if r.exited_s is None else round(r.exited_s, 3) for r in runs],
    }
    if bare is not None and shown:
        detail["ratio_to_bare"] = round(value / bare, 2)
    if failures:
        detail["failures"] = failures
        detail["last_failure_screen_tail"] = next(r.tail for r in runs if r.failure)[-300:]
    passed = not failures and (bare is None or (bool(shown) and value <= 2 * bare))
    return Result(name, value, "s", target, passed, detail)


def cold_start(db: Path, repeats: int, work: Path) -> list[Result]:
    label, customer = first_tab(db, "dana")
    env = tty_env(work / "home")
    bare_argv = [sys.executable, str(CHILD), "bare-tty"]
    console_argv = [sys.executable, "-c", CONSOLE_SCRIPT, "--db", url_of(db), "--as", "dana"]
    tty_bare: list[TtyRun] = []
    tty_console: list[TtyRun] = []
    bare: list[float] = []
    first: list[float] = []
    shown: list[float] = []
    ready: list[float] = []
    for _ in range(repeats):
        tty_bare.append(run_to_text(bare_argv, (BARE_TEXT,), env=env, timeout=CHILD_TIMEOUT))
        tty_console.append(
            run_to_text(console_argv, (label, customer), env=env, timeout=CHILD_TIMEOUT)
        )
    headless_failures: list[str] = []
    for _ in range(repeats):  # the headless figures, for reference
        try:
            out, started = child("bare", timeout=CHILD_TIMEOUT)
            bare.append(out["first_frame"] - started)
            out, started = child("console", url_of(db), timeout=CHILD_TIMEOUT)
            first.append(out["first_frame"] - started)
            shown.append(out["sessions_shown"] - started)
            ready.append(out["console_ready"] - started)
        except ChildFailed as exc:
            headless_failures.append(str(exc))
    bare_results = tty_result(
        f"cold start in a pty, bare app to its text (median of {repeats})",
        tty_bare,
        "(reference)",
        None,
    )
    b_tty = bare_results.value if bare_results.passed else None
    console_result = tty_result(
        "cold start in a pty, console to the agent's sessions (100k db)",
        tty_console,
        "<= 2x bare",
        b_tty,
    )
    console_result.detail["waited_for"] = [label, customer]
    console_result.detail["command"] = "agent-console --db URL --as dana"
    ratio = console_result.value / bare_results.value if bare_results.value else float("nan")
    results = [
        bare_results,
        console_result,
        Result("  ratio sessions on screen / bare (pty)", ratio, "x", "<= 2x", ratio <= 2.0),
    ]
    if headless_failures:
        results.append(
            Result(
                "headless cold starts",
                len(headless_failures),
                "failed",
                "0",
                False,
                {"failures": headless_failures},
            )
        )
    if not (bare and first and shown and ready):
        return results
    b, f, r = statistics.median(bare), statistics.median(first), statistics.median(ready)
    s = statistics.median(shown)
    return [
        *results,
        Result(
            f"headless: bare app, first frame (median of {repeats})",
            b,
            "s",
            "(reference)",
            True,
            {"runs_s": [round(v, 3) for v in bare]},
        ),
        Result(
            "headless: console, first frame",
            f,
            "s",
            "(reference)",
            True,
            {"runs_s": [round(v, 3) for v in first], "ratio_to_bare": round(f / b, 2)},
        ),
        Result(
            "headless: console, sessions on screen (first read, 100k db)",
            s,
            "s",
            "(reference)",
            True,
            {"runs_s": [round(v, 3) for v in shown], "ratio_to_bare": round(s / b, 2)},
        ),
        Result(
            "headless: console, database open and first session drawn",
            r,
            "s",
            "(reference)",
            True,
            {"runs_s": [round(v, 3) for v in ready], "ratio_to_bare": round(r / b, 2)},
        ),
    ]


def in_app(db: Path, repeats: int) -> list[Result]:
    out, _ = child("inapp", url_of(db), str(repeats))
    opens = out["open_s"]
    filters = [(name, seconds, total) for name, seconds, total in out["filters"]]
    filter_times = [seconds for _, seconds, _ in filters]
    pages = out["page_move_s"][1:]  # the first includes the focus change's own repaint
    fetches = out["next_page_s"]
    open_median = statistics.median(opens)
    worst_filter = max(filters, key=lambda f: f[1])
    within = [f for f in filters if f[1] <= 0.1]
    return [
        Result(
            f"open the list on 100k sessions (median of {repeats})",
            open_median,
            "s",
            "<= 0.5 s",
            open_median <= 0.5,
            {
                "runs_s": [round(v, 3) for v in opens],
                "rows_loaded": out["rows_loaded"],
                "rows_on_screen": out["rows_on_screen"],
                "noop_key_ms": ms(out["noop_key_s"]),
            },
        ),
        Result(
            f"filter change or sort (median of {len(filters)})",
            statistics.median(filter_times) * 1000,
            "ms",
            "<= 100 ms",
            statistics.median(filter_times) <= 0.1,
            {
                "each_ms": {name: (round(s * 1000, 1), total) for name, s, total in filters},
                "within_100_ms": f"{len(within)} of {len(filters)}",
            },
        ),
        Result(
            "  slowest filter change or sort",
            worst_filter[1] * 1000,
            "ms",
            "<= 100 ms",
            worst_filter[1] <= 0.1,
            {"which": worst_filter[0], "matching": worst_filter[2]},
        ),
        Result(
            f"page move within loaded rows (median of {len(pages)})",
            statistics.median(pages) * 1000,
            "ms",
            "<= 100 ms",
            statistics.median(pages) <= 0.1,
            {"each_ms": ms(out["page_move_s"])},
        ),
        Result(
            f"page move into the next keyset page (median of {len(fetches)})",
            statistics.median(fetches) * 1000,
            "ms",
            "<= 100 ms",
            statistics.median(fetches) <= 0.1,
            {"each_ms": ms(fetches), "rows_loaded_after": out["rows_loaded_after_paging"]},
        ),
        Result(
            "resident memory with the list open",
            round(out["rss_mb"], 1),
            "MB",
            "<= 150 MB",
            out["rss_mb"] <= 150,
            {"peak_rss_mb": round(out["peak_rss_mb"], 1)},
        ),
    ]


def find(db: Path, repeats: int) -> list[Result]:
    out, _ = child("find", url_of(db), str(repeats))
    searches = [(text, seconds, total) for text, seconds, total in out["searches"]]
    times = [seconds for _, seconds, _ in searches]
    worst = max(searches, key=lambda s: s[1])
    lasts, firsts = out["last_page_s"], out["first_page_s"]
    return [
        Result(
            f"search by customer (median of {len(searches)}: full names and surnames)",
            statistics.median(times) * 1000,
            "ms",
            "<= 100 ms",
            statistics.median(times) <= 0.1,
            {
                "each_ms": {text: (round(s * 1000, 1), total) for text, s, total in searches},
                "within_100_ms": f"{sum(1 for t in times if t <= 0.1)} of {len(times)}",
            },
        ),
        Result(
            "  slowest search",
            worst[1] * 1000,
            "ms",
            "<= 100 ms",
            worst[1] <= 0.1,
            {"which": worst[0], "matching": worst[2]},
        ),
        Result(
            f"jump to the last page (median of {len(lasts)})",
            statistics.median(lasts) * 1000,
            "ms",
            "<= 100 ms",
            statistics.median(lasts) <= 0.1,
            {
                "each_ms": ms(lasts),
                "back_to_the_first_page_ms": ms(firsts),
                "rows_loaded": out["rows_after_last"],
            },
        ),
    ]


def bulk_end(prepared: Path, work: Path, count: int, repeats: int) -> list[Result]:
    runs: list[dict[str, Any]] = []
    for i in range(repeats):
        db = work / f"bulk-{i}.db"
        copy_db(prepared, db)
        out, _ = child("bulk", url_of(db), timeout=600)
        runs.append(out)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    totals = [r["total_s"] for r in runs]
    median = statistics.median(totals)
    ok = all(r["ended"] == count and r["matching"] == count for r in runs)
    return [
        Result(
            f"select all matching + End Sessions of {count:,} (median of {repeats})",
            median,
            "s",
            "<= 3 s",
            median <= 3.0 and ok,
            {
                "runs_s": [round(t, 3) for t in totals],
                "preview_s": [round(r["preview_s"], 3) for r in runs],
                "run_and_results_s": [round(r["run_and_results_s"], 3) for r in runs],
                "ended": [r["ended"] for r in runs],
                "skipped": [r["skipped"] for r in runs],
                "progress_updates": runs[0]["progress_updates"],
                "rss_after_mb": [round(r["rss_mb"], 1) for r in runs],
            },
        )
    ]


def demo_memory(work: Path, minutes: float, warmup: float) -> list[Result]:
    out, _ = child("demo", str(work / "demo.db"), str(warmup + minutes), timeout=3600)
    rss = {minute: value for minute, value in out["samples"]}
    start, settled, end = rss[0.0], rss[float(warmup)], rss[max(rss)]
    return [
        Result(
            f"living demo: resident memory growth over {minutes:g} simulated minutes "
            f"(after {warmup:g})",
            round(end - settled, 1),
            "MB",
            "<= 5 MB",
            end - settled <= 5.0,
            {
                "rss_at_console_ready_mb": round(start, 1),
                f"rss_at_minute_{warmup:g}_mb": round(settled, 1),
                f"rss_at_minute_{max(rss):g}_mb": round(end, 1),
                "growth_from_console_ready_mb": round(end - start, 1),
                "peak_rss_mb": round(out["peak_rss_mb"], 1),
                "ticks": out["ticks"],
                "wall_s": round(out["wall_s"], 1),
                "rss_by_minute_mb": {f"{m:g}": round(r, 1) for m, r in sorted(rss.items())},
                "widgets_on_screen": out["widgets_on_screen"],
            },
        ),
        Result(
            "  growth from the console ready (warm-up included)",
            round(end - start, 1),
            "MB",
            "(reference)",
            True,
        ),
    ]


def measured(name: str, measure: Callable[[], list[Result]]) -> list[Result]:
    """The measure's results, or one FAIL saying which child failed or hung."""
    try:
        return measure()
    except ChildFailed as exc:
        return [
            Result(
                f"{name}: a measurement failed",
                float("nan"),
                "",
                "no failure",
                False,
                {"error": str(exc)},
            )
        ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=5, help="cold starts and in-app repeats")
    ap.add_argument("--bulk", type=int, default=10_000, help="sessions to end from the list")
    ap.add_argument("--bulk-repeats", type=int, default=3)
    ap.add_argument(
        "--demo-minutes", type=float, default=30, help="simulated minutes of the living demo"
    )
    ap.add_argument(
        "--demo-warmup",
        type=float,
        default=10,
        help="simulated minutes of the living demo before the measured ones (caches fill)",
    )
    ap.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only these measures (repeatable; default: all)",
    )
    ap.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    args = ap.parse_args()

    compile_sources()
    load_before = uptime()
    speed_before = calibrate()
    print(
        f"agent-console TUI bench: Python {platform.python_version()} on {os.cpu_count()} CPUs; "
        f"calibration loop {speed_before * 1000:.0f} ms (0.12 s on a quiet machine)\n"
        f"  {load_before}",
        flush=True,
    )
    parts = set(args.only or PARTS)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="agent-console-tui-bench-") as tmp:
        work = Path(tmp)
        if parts & {"cold", "list", "find", "bulk"}:
            db = work / "sessions.db"
            print(f"seeding {args.sessions:,} sessions ...", flush=True)
            seeded_in = asyncio.run(make_database(db, args.sessions))
            print(f"  {seeded_in:.1f} s", flush=True)
        if "bulk" in parts:
            prepared = work / "bulk.db"
            copy_db(db, prepared)
            waiting = keep_waiting(prepared, args.bulk)
            if waiting != args.bulk:
                raise SystemExit(f"only {waiting} Waiting sessions to end; seed more")
        if "cold" in parts:
            print(f"cold starts x{args.repeats} ...", flush=True)
            results.extend(measured("cold_start", lambda: cold_start(db, args.repeats, work)))
        if "list" in parts:
            print("the list in the app ...", flush=True)
            results.extend(measured("in_app", lambda: in_app(db, args.repeats)))
        if "find" in parts:
            print("search and the last page ...", flush=True)
            results.extend(measured("find", lambda: find(db, args.repeats)))
        if "bulk" in parts:
            print(f"bulk end of {args.bulk:,} from the list x{args.bulk_repeats} ...", flush=True)
            results.extend(
                measured("bulk_end", lambda: bulk_end(prepared, work, args.bulk, args.bulk_repeats))
            )
        if "demo" in parts:
            print(
                f"the living demo, {args.demo_warmup:g} + {args.demo_minutes:g} simulated "
                "minutes ...",
                flush=True,
            )
            results.extend(
                measured(
                    "demo_memory", lambda: demo_memory(work, args.demo_minutes, args.demo_warmup)
                )
            )

    load_after = uptime()
    speed_after = calibrate()
    print_table(results)
    for r in results:
        if r.detail:
            print(f"\n{r.name.strip()}:")
            for k, v in r.detail.items():
                print(f"  {k}: {v}")
    print(
        f"\nmachine load before: {load_before}\nmachine load after:  {load_after}\n"
        f"calibration loop before {speed_before * 1000:.0f} ms, after {speed_after * 1000:.0f} ms"
    )
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {
                    "when": datetime.now(UTC).isoformat(timespec="seconds"),
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "uptime": {"before": load_before, "after": load_after},
                    "calibration_s": {"before": speed_before, "after": speed_after},
                    "args": {k: str(v) for k, v in vars(args).items()},
                    "results": [asdict(r) for r in results],
                    "all_passed": all(r.passed for r in results),
                },
                indent=2,
                default=str,
            )
            + "\n"
        )
        print(f"results written to {args.out}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Gateway benchmark (issue 10): inbound requests/s and outbound events/s, gateways as processes.

    .venv/bin/python bench/gateway.py            # everything, about 2-3 minutes
    .venv/bin/python bench/gateway.py --quick    # shorter runs, under a minute
    AGENT_CONSOLE_TEST_PG_URL=postgresql+asyncpg://U:P@HOST/DB .venv/bin/python bench/gateway.py

Each gateway is its own process (``python -m agent_console.cli.main --db URL gateway ...``), set
up the way an operator would: ``agents add ... --admin`` then ``channels connect standard_sms
--webhook-url ... --json`` (the secret is printed once and signs the bench's traffic).

* inbound, SQLite, one gateway: signed ``POST /v1/channels/standard_sms/messages``, from 2,000
  customers writing several messages each (a customer's first message starts a session, the
  next ones join it; a customer's messages never overlap in time). Two measures: a closed loop
  (``--concurrency`` connections, as fast as answers come: the saturation rate, a reference)
  and an open loop at the target rate (requests sent on a fixed schedule; latency counted from
  the scheduled time, so a stalled gateway cannot hide its queue; when more than a second of
  requests is queued the gateway is overloaded: sending stops and the verdict is FAIL).
  Target: >= 500/s with p99 <= 100 ms, every answer 202. Afterwards the database is checked:
  one receipt and one message per accepted request, one session per customer.
* inbound, PostgreSQL, two gateways on one database (the connections alternate between them):
  the same two measures. Target: >= 1,000/s, p99 <= 100 ms. Skipped without a PostgreSQL URL
  (``AGENT_CONSOLE_TEST_PG_URL`` or ``--pg-url``); the bench makes its own database there and
  drops it afterwards.
* outbound, SQLite: ``--events`` agent replies across ``--sessions`` sessions, with the channel
  connected to a receiver on 127.0.0.1 in this process. The sessions come from the services
  (``inbound``, ``route``), the first reply of each session from ``conversations.send``, the
  next ones are written in bulk (the message row and ``outbox.enqueue_message``, what ``send``
  writes for the outbox: seeding 5,000 replies one ``send`` at a time would take most of the
  run). Then a gateway with one delivery worker starts, and the clock runs from the receiver's
  first POST to its last. The receiver checks each signature, counts duplicates and checks
  per-session order. Target: >= 500 events/s.

Gateways run as the CLI starts them (one delivery worker and the router on; ``--workers 0``
for inbound-only gateways). The load generator is raw asyncio streams with keep-alive and
pre-signed requests (unique ``message_id`` and ``webhook-id`` each, timestamps signed just
before each measure); its own CPU time is printed next to the gateways' (CPU ms per request,
from /proc) so a reader can tell which side was the bottleneck. Each measure prints the load
average before it and how many of the machine's CPUs were busy during it.

``--profile`` adds a run of one SQLite gateway under cProfile with every SQL statement and
transaction counted (``--serve-profiled``, below), and prints where a request's time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import cProfile
import hashlib
import hmac
import io
import json
import os
import platform
import pstats
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "gateway.json"
CHANNEL = "standard_sms"
ADMIN = "bench-admin"
PERMS = ("enhanced_chat_user", "enhanced_chat_rep", "messaging_agent", "end_messaging_session")
CLI = [sys.executable, "-m", "agent_console.cli.main"]


# -- small helpers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_ticks(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far, children included when reaped."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    hz = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / hz


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + parts[4]
    total = sum(parts[:8])
    return total - idle, total


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (5 min {five:.2f})"


def pct(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def cli(url: str, *args: str) -> str:
    out = subprocess.run([*CLI, "--db", url, *args], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise SystemExit(f"agent-console {' '.join(args[:3])} failed: {out.stderr.strip()[-500:]}")
    return out.stdout


def setup_db(url: str, webhook_url: str) -> str:
    """An admin, and standard_sms connected to ``webhook_url``: returns the secret."""
    perms = [a for p in PERMS for a in ("--perm", p)]
    cli(url, "agents", "add", ADMIN, "--admin", "--capacity", "5", *perms)
    shown = json.loads(
        cli(
            url,
            "channels",
            "connect",
            CHANNEL,
            "--webhook-url",
            webhook_url,
            "--as",
            ADMIN,
            "--json",
        )
    )
    secret = find_secret(shown)
    if not secret:
        raise SystemExit(f"channels connect printed no secret: {shown}")
    return secret


def find_secret(obj: Any) -> str | None:
    if isinstance(obj, str) and obj.startswith("whsec_"):
        return obj
    if isinstance(obj, dict):
        obj = list(obj.values())
    if isinstance(obj, list):
        for v in obj:
            if (s := find_secret(v)) is not None:
                return s
    return None


# -- signing (the Standard Webhooks scheme, as domain.webhooks does it) ------------------------


def signer(secret: str) -> Any:
    key = base64.b64decode(secret.removeprefix("whsec_"))

    def sign(webhook_id: str, stamp: int, body: bytes) -> str:
        mac = hmac.new(key, f"{webhook_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
        return "v1," + base64.b64encode(mac).decode()

    return sign


# -- gateways as processes ---------------------------------------------------------------------


@dataclass
class Gateway:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid


def start_gateway(
    url: str, work: Path, *, workers: int, tag: str, profiled: Path | None = None
) -> Gateway:
    port = free_port()
    log = work / f"gateway-{tag}-{port}.log"
    if profiled is None:
        cmd = [
            *CLI,
            "--db",
            url,
            "gateway",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(workers),
        ]
    else:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--serve-profiled",
            url,
            str(port),
            str(profiled),
        ]
    with log.open("wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
    return Gateway(proc, port, log)


def wait_healthy(gws: Sequence[Gateway], within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    for gw in gws:
        while True:
            if gw.proc.poll() is not None:
                raise SystemExit(
                    f"gateway exited ({gw.proc.returncode}): {gw.log.read_text()[-800:]}"
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{gw.port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gateway did not start: {gw.log.read_text()[-800:]}")
            time.sleep(0.1)


def stop_gateways(gws: Sequence[Gateway]) -> None:
    for gw in gws:
        if gw.proc.poll() is None:
            gw.proc.send_signal(signal.SIGINT)
    for gw in gws:
        try:
            gw.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            gw.proc.kill()
            gw.proc.wait()


# -- the load generator ------------------------------------------------------------------------


def build_requests(
    secret: str, prefix: str, customers: int, per_customer: int, spacing: int, seed: int
) -> list[bytes]:
    """Signed HTTP/1.1 requests: customer c's message j sits at position ~c + j*spacing, so
    new customers keep arriving while earlier ones write again (new and joined sessions mixed
    all along), and a customer's two messages are ``spacing`` requests apart (never in
    flight together)."""
    rnd = random.Random(seed)
    sign = signer(secret)
    stamp = int(time.time())
    keyed = []
    for c in range(customers):
        for j in range(per_customer):
            keyed.append((c + j * spacing + rnd.random() * 0.5, c, j))
    keyed.sort()
    out = []
    for _, c, j in keyed:
        body = json.dumps(
            {
                "message_id": f"{prefix}-{c}-{j}-{uuid.uuid4().hex[:8]}",
                "customer": {"id": f"+1555{prefix}{c:06d}", "name": f"Bench {prefix} {c}"},
                "text": f"message {j + 1} from customer {c}: " + "lorem ipsum " * rnd.randint(1, 8),
            }
        ).encode()
        wid = "msg_" + uuid.uuid4().hex
        head = (
            f"POST /v1/channels/{CHANNEL}/messages HTTP/1.1\r\n"
            "host: 127.0.0.1\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n"
            f"webhook-id: {wid}\r\n"
            f"webhook-timestamp: {stamp}\r\n"
            f"webhook-signature: {sign(wid, stamp, body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


class Conn:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def request(self, data: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        low = head.lower()
        i = low.find(b"content-length:")
        length = int(low[i + 15 : low.find(b"\r\n", i)]) if i >= 0 else 0
        body = await self.reader.readexactly(length) if length else b""
        if b"connection: close" in low:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class LoadResult:
    mode: str
    sent: int
    ok: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    errors: dict[str, int]
    sessions: set[int] = field(repr=False)
    client_cpu_s: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


async def _one(conn: Conn, data: bytes, errors: dict[str, int], sessions: set[int]) -> bool:
    """True when the gateway accepted the message (202); the answer's session is noted."""
    try:
        status, body = await asyncio.wait_for(conn.request(data), 30)
    except Exception as exc:  # counted and reported, never raised
        conn.close()
        errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
        return False
    if status != 202:
        key = f"HTTP {status}: {body[:120].decode(errors='replace')}"
        errors[key] = errors.get(key, 0) + 1
        return False
    sessions.add(json.loads(body)["session_id"])
    return True


async def closed_loop(
    ports: Sequence[int], requests: list[bytes], concurrency: int, seconds: float | None = None
) -> LoadResult:
    """``concurrency`` connections, each sending its next request when the answer came, for
    ``seconds`` (or until ``requests`` run out)."""
    conns = [Conn(ports[i % len(ports)]) for i in range(concurrency)]
    await asyncio.gather(*(c.open() for c in conns))
    lat: list[float] = []
    errors: dict[str, int] = {}
    sessions: set[int] = set()
    ok = sent = 0
    it = iter(requests)
    t0 = time.perf_counter()
    stop = t0 + seconds if seconds else float("inf")

    async def worker(conn: Conn) -> None:
        nonlocal ok, sent
        for data in it:
            t = time.perf_counter()
            if t >= stop:
                return
            sent += 1
            good = await _one(conn, data, errors, sessions)  # (not `ok += await`: a race)
            ok += good
            lat.append((time.perf_counter() - t) * 1000)

    cpu0 = time.process_time()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    for c in conns:
        c.close()
    note = "" if sent < len(requests) or not seconds else "ran out of requests before the time"
    return LoadResult(
        f"closed loop, {concurrency} connections",
        sent,
        ok,
        elapsed,
        lat,
        errors,
        sessions,
        cpu,
        note,
    )


async def open_loop(
    ports: Sequence[int], requests: list[bytes], rate: float, pool: int
) -> LoadResult:
    """Request i is due at t0 + i/rate; its latency counts from then (a request waiting for a
    free connection is waiting on the gateway). When more than a second of requests is
    queued the gateway is not keeping up: sending stops, the queued requests are dropped
    (reported as not sent) and the ones in flight are awaited."""
    free: asyncio.Queue[Conn] = asyncio.Queue()
    conns = [Conn(ports[i % len(ports)]) for i in range(pool)]
    await asyncio.gather(*(c.open() for c in conns))
    for c in conns:  # alternating gateways: consecutive requests go to different ones
        free.put_nowait(c)
    lat: list[float] = []
    errors: dict[str, int] = {}
    sessions: set[int] = set()
    ok = done = dropped = 0
    abandon = False
    tasks: list[asyncio.Task[None]] = []

    async def fire(data: bytes, due: float) -> None:
        nonlocal ok, done, dropped
        conn = await free.get()
        try:
            if abandon:
                dropped += 1
                return
            good = await _one(conn, data, errors, sessions)
            ok += good
            lat.append((time.perf_counter() - due) * 1000)
        finally:
            free.put_nowait(conn)
            done += 1

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    interval = 1.0 / rate
    i = 0
    n = len(requests)
    note = ""
    while i < n:
        now = time.perf_counter()
        while i < n and t0 + i * interval <= now:
            tasks.append(asyncio.create_task(fire(requests[i], t0 + i * interval)))
            i += 1
        if i - done > max(rate, 200):
            note = f"overloaded: {i - done:,} requests queued after {now - t0:.1f} s"
            abandon = True
            break
        if i < n:
            await asyncio.sleep(max(0.0, t0 + i * interval - time.perf_counter()))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    if not abandon:
        # The rate the gateway kept up with is the schedule's: i requests over i / rate
        # seconds (timing from t0 to the last answer would add one request's latency to the
        # span and always show a little less than the offered rate). Latency has its own p99.
        elapsed = i * interval
    cpu = time.process_time() - cpu0
    for c in conns:
        c.close()
    if dropped:
        note += f"; {dropped:,} queued requests dropped unsent"
    return LoadResult(
        f"open loop at {rate:,.0f}/s", i - dropped, ok, elapsed, lat, errors, sessions, cpu, note
    )


# -- measures ----------------------------------------------------------------------------------


@dataclass
class Measure:
    name: str
    value: float
    unit: str
    target: str
    passed: bool | None  # None: a reference figure, no target
    detail: dict[str, Any] = field(default_factory=dict)


async def measure_load(
    label: str,
    gws: Sequence[Gateway],
    requests: list[bytes],
    *,
    rate: float | None,
    concurrency: int,
    target_rate: float,
    target_p99: float,
    seconds: float | None = None,
) -> tuple[Measure, LoadResult]:
    ports = [g.port for g in gws]
    print(f"  {label}: {load()}", flush=True)
    load_before = os.getloadavg()[0]
    cpu0 = [cpu_ticks(g.pid) for g in gws]
    busy0, total0 = machine_busy()
    if rate is None:
        res = await closed_loop(ports, requests, concurrency, seconds)
    else:
        res = await open_loop(ports, requests, rate, pool=max(concurrency, int(rate * 0.2)))
    busy1, total1 = machine_busy()
    gw_cpu = [cpu_ticks(g.pid) - c for g, c in zip(gws, cpu0, strict=True)]
    machine = (busy1 - busy0) / max(1, total1 - total0) * (os.cpu_count() or 1)
    p50, p99 = pct(res.latencies_ms, 50), pct(res.latencies_ms, 99)
    passed: bool | None = res.rate >= target_rate and p99 <= target_p99 and not res.errors
    if rate is None:
        passed = None  # the saturation rate is a reference; the open loop is the verdict
    detail = {
        "mode": res.mode,
        "requests": res.sent,
        "accepted_202": res.ok,
        "sessions_answered": len(res.sessions),
        "errors": res.errors,
        "seconds": round(res.seconds, 2),
        "p50_ms": round(p50, 1),
        "p90_ms": round(pct(res.latencies_ms, 90), 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(max(res.latencies_ms, default=0), 1),
        "gateway_cpu_s": [round(c, 2) for c in gw_cpu],
        "gateway_cpu_ms_per_request": round(sum(gw_cpu) * 1000 / max(1, res.sent), 2),
        "client_cpu_s": round(res.client_cpu_s, 2),
        "machine_cpus_busy": round(machine, 2),
        "load_before": round(load_before, 2),
    }
    if res.note:
        detail["note"] = res.note
        passed = False if passed is not None else None
    print(
        f"    {res.rate:,.0f}/s accepted, p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
        f"errors {sum(res.errors.values())}, gateway CPU {detail['gateway_cpu_ms_per_request']} "
        f"ms/request, client CPU {res.client_cpu_s:.1f} s, machine {machine:.2f} of "
        f"{os.cpu_count()} CPUs busy",
        flush=True,
    )
    m = Measure(
        f"{label}",
        res.rate,
        "req/s",
        f">= {target_rate:,.0f}/s, p99 <= {target_p99:.0f} ms"
        if rate is not None
        else "(reference)",
        passed,
        detail,
    )
    return m, res


async def db_counts(url: str, prefix: str) -> dict[str, int]:
    """What the gateways stored for the customers of ``prefix``."""
    from sqlalchemy import func, select

    from agent_console.services.runtime import open_ctx
    from agent_console.store.models import (
        Customer,
        CustomerHandle,
        InboundReceipt,
        Message,
        Session,
    )

    ctx = await open_ctx(url)
    try:
        async with ctx.db.read() as conn:
            mine = select(CustomerHandle.customer_id).where(
                CustomerHandle.external_id.startswith(f"+1555{prefix}")
            )
            handles = await conn.scalar(select(func.count()).select_from(mine.subquery()))
            sessions = await conn.scalar(
                select(func.count()).select_from(Session).where(Session.customer_id.in_(mine))
            )
            messages = await conn.scalar(
                select(func.count())
                .select_from(Message)
                .join(Session, Session.id == Message.session_id)
                .where(Session.customer_id.in_(mine))
            )
            receipts = await conn.scalar(
                select(func.count())
                .select_from(InboundReceipt)
                .where(InboundReceipt.message_id.startswith(f"{prefix}-"))
            )
            customers = await conn.scalar(
                select(func.count()).select_from(Customer).where(Customer.id.in_(mine))
            )
    finally:
        await ctx.db.dispose()
    return {
        "customers": int(customers or 0),
        "handles": int(handles or 0),
        "sessions": int(sessions or 0),
        "messages": int(messages or 0),
        "receipts": int(receipts or 0),
    }


async def inbound_suite(
    label: str,
    url: str,
    work: Path,
    gateways: int,
    target_rate: float,
    args: argparse.Namespace,
    tag: str,
) -> list[Measure]:
    secret = await asyncio.to_thread(setup_db, url, f"http://127.0.0.1:{free_port()}/hook")
    gws = [start_gateway(url, work, workers=args.workers, tag=f"{tag}{i}") for i in range(gateways)]
    out: list[Measure] = []
    try:
        await asyncio.to_thread(wait_healthy, gws)
        # Warm-up: imports, pools, statement caches (its own customers, not counted).
        warm = build_requests(secret, f"{tag}w", 50, 2, 25, 1)
        await closed_loop([g.port for g in gws], warm, 8)
        checks: list[tuple[str, int]] = []
        for i, (rate, seconds) in enumerate(
            ((None, args.saturation_s), (target_rate, args.open_s))
        ):
            # Closed loop: enough requests for twice the target rate (it stops on time).
            total = int((rate or target_rate * 2) * seconds)
            per = max(2, -(-total // args.customers))
            customers = -(-total // per)
            prefix = f"{tag}{i}"
            spacing = max(args.concurrency * 8, customers // 2)
            reqs = build_requests(secret, prefix, customers, per, spacing, seed=i)
            if rate is None:
                name = f"{label}: closed loop, {args.concurrency} conns"
            else:
                name = f"{label}: open loop at {rate:,.0f}/s"
            m, res = await measure_load(
                name,
                gws,
                reqs,
                rate=rate,
                concurrency=args.concurrency,
                target_rate=target_rate,
                target_p99=100.0,
                seconds=seconds,
            )
            m.detail["customers"] = customers
            m.detail["messages_per_customer"] = per
            out.append(m)
            checks.append((prefix, res.ok))
    finally:
        stop_gateways(gws)
    for (prefix, accepted), m in zip(checks, out, strict=True):
        counts = await db_counts(url, prefix)
        m.detail["stored"] = counts
        # Every accepted message stored once; one session per customer (all stay live).
        if (
            counts["receipts"] != accepted
            or counts["messages"] != accepted
            or (counts["sessions"] != counts["customers"])
        ):
            m.detail["store_check"] = "MISMATCH"
            m.passed = False
        else:
            m.detail["store_check"] = "ok"
    return out


# -- outbound ----------------------------------------------------------------------------------


class Receiver:
    """A webhook endpoint on 127.0.0.1: HTTP/1.1 keep-alive, checks each signature, records
    (session, event) in arrival order."""

    def __init__(self) -> None:
        self.secret: str | None = None
        self.key = b""
        self.seen: dict[str, int] = {}
        self.per_session: dict[int, list[int]] = defaultdict(list)
        self.bad_signatures = 0
        self.first: float | None = None
        self.last: float | None = None
        self.arrived = asyncio.Event()
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0, backlog=1024)
        self.port = self.server.sockets[0].getsockname()[1]

    def set_secret(self, secret: str) -> None:
        self.secret = secret
        self.key = base64.b64decode(secret.removeprefix("whsec_"))

    @property
    def count(self) -> int:
        return len(self.seen)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    k, sep, v = line.partition(":")
                    if sep:
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.record(headers, body)
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b'content-length: 11\r\n\r\n{"ok":true}'
                )
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the gateway closed the connection (or the bench is shutting down)
        finally:
            writer.close()

    def record(self, headers: dict[str, str], body: bytes) -> None:
        now = time.perf_counter()
        self.first = self.first or now
        self.last = now
        wid, stamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
        mac = hmac.new(self.key, f"{wid}.{stamp}.".encode() + body, hashlib.sha256).digest()
        given = [s.partition(",")[2] for s in headers.get("webhook-signature", "").split(" ")]
        if base64.b64encode(mac).decode() not in given:
            self.bad_signatures += 1
        event = json.loads(body)
        eid = event["event_id"]
        self.seen[eid] = self.seen.get(eid, 0) + 1
        if self.seen[eid] == 1:
            self.per_session[int(event["session_id"])].append(int(eid.removeprefix("evt_")))
        self.arrived.set()


async def seed_outbound(url: str, sessions: int, events: int) -> tuple[float, int]:
    """``sessions`` sessions owned by agents (``inbound``, ``route``), then ``events`` agent
    replies round-robin across them: the first round through ``conversations.send``, the
    next rounds written in bulk (the message row plus ``outbox.enqueue_message``, what
    ``send`` writes for the outbox), one transaction per round. Returns (seconds, pending)."""
    from sqlalchemy import func, insert, select

    from agent_console.domain.vocab import Presence
    from agent_console.services import agents, conversations, outbox, presence, routing
    from agent_console.services.runtime import open_ctx
    from agent_console.store.models import Agent, Message, OutboxEvent, Session

    t0 = time.perf_counter()
    ctx = await open_ctx(url)
    try:
        per_agent = 25
        for i in range(-(-sessions // per_agent)):
            name = f"bench-agent-{i:03d}"
            await agents.add_agent(ctx, name, capacity=per_agent, permissions=PERMS)
            await presence.set_presence(ctx, name, Presence.ONLINE)
        for i in range(sessions):
            await conversations.inbound(ctx, f"Outbound Customer {i}", CHANNEL, "hello, anyone?")
        await routing.route(ctx)
        async with ctx.db.read() as conn:
            owned = (
                await conn.execute(
                    select(Session.id, Agent.name)
                    .join(Agent, Agent.id == Session.owner_id)
                    .order_by(Session.id)
                )
            ).all()
        if len(owned) < sessions:
            raise SystemExit(f"routing assigned {len(owned)} of {sessions} sessions")
        for sid, agent in owned[:events]:
            await conversations.send(ctx, agent, sid, f"reply 1 to S-{sid}: hello, I am {agent}")
        left = events - min(events, len(owned))
        round_no = 1
        while left > 0:
            round_no += 1
            async with ctx.db.write() as conn:
                now = ctx.now()
                for sid, agent in owned[:left]:
                    mid = (
                        await conn.execute(
                            insert(Message)
                            .values(
                                session_id=sid,
                                author_kind="agent",
                                author=agent,
                                text=f"reply {round_no} to S-{sid}",
                                created_at=now,
                                visible_to_customer=True,
                            )
                            .returning(Message.id)
                        )
                    ).scalar_one()
                    await outbox.enqueue_message(conn, sid, CHANNEL, mid, now)
            left -= min(left, len(owned))
        async with ctx.db.read() as conn:
            pending = int(
                await conn.scalar(
                    select(func.count())
                    .select_from(OutboxEvent)
                    .where(OutboxEvent.state == "pending")
                )
                or 0
            )
    finally:
        await ctx.db.dispose()
    return time.perf_counter() - t0, pending


async def outbox_states(url: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from agent_console.services.runtime import open_ctx
    from agent_console.store.models import OutboxEvent

    ctx = await open_ctx(url)
    try:
        async with ctx.db.read() as conn:
            rows = (
                await conn.execute(
                    select(OutboxEvent.state, func.count()).group_by(OutboxEvent.state)
                )
            ).all()
    finally:
        await ctx.db.dispose()
    return {str(s): int(n) for s, n in rows}


async def outbound_suite(
    label: str, url: str, work: Path, args: argparse.Namespace, tag: str
) -> list[Measure]:
    rec = Receiver()
    await rec.start()
    try:
        secret = await asyncio.to_thread(setup_db, url, f"http://127.0.0.1:{rec.port}/hook")
        rec.set_secret(secret)
        print(f"  seeding {args.events:,} events across {args.sessions:,} sessions ...", flush=True)
        seed_s, pending = await seed_outbound(url, args.sessions, args.events)
        print(f"    {seed_s:.1f} s, {pending:,} pending; {load()}", flush=True)
        busy0, total0 = machine_busy()
        started = time.perf_counter()
        gw = start_gateway(url, work, workers=1, tag=tag)
        cpu0 = 0.0
        try:
            deadline = started + args.outbound_timeout
            while rec.count < pending and time.perf_counter() < deadline:
                if gw.proc.poll() is not None:
                    raise SystemExit(f"gateway exited: {gw.log.read_text()[-800:]}")
                rec.arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(rec.arrived.wait(), 1.0)
            finished = time.perf_counter()
            gw_cpu = cpu_ticks(gw.pid) - cpu0
            busy1, total1 = machine_busy()
            await asyncio.sleep(1.0)  # the last batch's complete() lands
        finally:
            stop_gateways([gw])
    finally:
        assert rec.server is not None
        rec.server.close()
    states = await outbox_states(url)
    duplicates = sum(n - 1 for n in rec.seen.values() if n > 1)
    out_of_order = sum(1 for ids in rec.per_session.values() if ids != sorted(ids))
    first, last = rec.first or finished, rec.last or finished
    window = max(1e-9, last - first)
    rate = rec.count / window
    machine = (busy1 - busy0) / max(1, total1 - total0) * (os.cpu_count() or 1)
    ok = (
        rec.count == pending
        and duplicates == 0
        and out_of_order == 0
        and rec.bad_signatures == 0
        and rate >= 500
    )
    detail = {
        "pending_seeded": pending,
        "seed_seconds": round(seed_s, 1),
        "received_unique": rec.count,
        "duplicates": duplicates,
        "sessions_out_of_order": out_of_order,
        "bad_signatures": rec.bad_signatures,
        "first_to_last_delivery_s": round(window, 2),
        "process_start_to_last_s": round(last - started, 2),
        "start_to_first_delivery_s": round(first - started, 2),
        "outbox_states_after": states,
        "gateway_cpu_s": round(gw_cpu, 2),
        "gateway_cpu_ms_per_event": round(gw_cpu * 1000 / max(1, rec.count), 2),
        "machine_cpus_busy": round(machine, 2),
    }
    print(
        f"    {rate:,.0f} events/s (first to last delivery, {window:.2f} s), duplicates "
        f"{duplicates}, out of order {out_of_order}, bad signatures {rec.bad_signatures}, "
        f"gateway CPU {detail['gateway_cpu_ms_per_event']} ms/event",
        flush=True,
    )
    return [
        Measure(f"{label}: deliver {pending:,} events", rate, "events/s", ">= 500/s", ok, detail)
    ]


# -- profiling (a gateway in this file's process, under cProfile, statements counted) ----------


def serve_profiled(url: str, port: int, out: Path) -> None:
    """``agent-console gateway`` (no delivery worker) under cProfile, counting SQL statements
    and transactions; writes the profile and the counts to ``out`` when interrupted."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from agent_console.gateway.app import GatewayOptions
    from agent_console.gateway.server import run

    counts: dict[str, int] = defaultdict(int)
    verbs: dict[str, int] = defaultdict(int)

    @event.listens_for(Engine, "before_cursor_execute")
    def _stmt(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        counts["statements"] += 1
        verbs[" ".join(statement.split()[:3])[:60]] += 1

    @event.listens_for(Engine, "begin")
    def _begin(conn: Any) -> None:
        counts["transactions"] += 1

    @event.listens_for(Engine, "commit")
    def _commit(conn: Any) -> None:
        counts["commits"] += 1

    @event.listens_for(Engine, "rollback")
    def _rollback(conn: Any) -> None:
        counts["rollbacks"] += 1

    import agent_console.gateway.api as api

    real = api.post_message

    async def counted(request: Any) -> Any:
        counts["requests"] += 1
        return await real(request)

    api.post_message = counted
    prof = cProfile.Profile()
    prof.enable()
    try:
        run(url, "127.0.0.1", port, GatewayOptions(workers=0))
    finally:
        prof.disable()
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(45)
        out.write_text(json.dumps({"counts": counts, "verbs": verbs, "profile": buf.getvalue()}))


async def profile_suite(work: Path, args: argparse.Namespace) -> list[str]:
    url = f"sqlite+aiosqlite:///{work / 'profiled.db'}"
    secret = await asyncio.to_thread(setup_db, url, f"http://127.0.0.1:{free_port()}/hook")
    out = work / "profile.json"
    gw = start_gateway(url, work, workers=0, tag="prof", profiled=out)
    try:
        await asyncio.to_thread(wait_healthy, [gw])
        reqs = build_requests(secret, "p", args.customers, 2, args.concurrency * 4, seed=9)
        print(f"  profiled gateway: {len(reqs):,} requests, closed loop, {load()}", flush=True)
        res = await closed_loop([gw.port], reqs, args.concurrency)
        print(f"    {res.rate:,.0f}/s under cProfile, errors {res.errors}", flush=True)
    finally:
        stop_gateways([gw])
    data = json.loads(out.read_text())
    counts = data["counts"]
    n = max(1, counts.get("requests", 1))
    lines = [
        f"--- profiled SQLite gateway: {counts.get('requests', 0)} requests (healthz included "
        "in statements) ---",
        f"per request: {counts.get('statements', 0) / n:.2f} SQL statements, "
        f"{counts.get('transactions', 0) / n:.2f} transactions "
        f"({counts.get('commits', 0) / n:.2f} commits, {counts.get('rollbacks', 0) / n:.2f} "
        "rollbacks)",
        "statements by kind (first words), per request:",
        *(
            f"  {v / n:6.2f}  {k}"
            for k, v in sorted(data["verbs"].items(), key=lambda kv: -kv[1])[:20]
        ),
        data["profile"],
    ]
    return lines


# -- the run -----------------------------------------------------------------------------------


async def pg_database(pg_url: str, name: str, create: bool) -> str:
    import asyncpg  # type: ignore[import-untyped]

    from agent_console.store.url import DatabaseURL

    dsn = DatabaseURL(pg_url).asyncpg_dsn()
    conn = await asyncpg.connect(dsn)
    try:
        if create:
            await conn.execute(f"CREATE DATABASE {name}")
        else:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()
    return str(DatabaseURL(pg_url).replace(database=name))


def fmt(m: Measure) -> str:
    if m.unit == "req/s" or m.unit == "events/s":
        extra = ""
        if "p99_ms" in m.detail:
            extra = f", p50 {m.detail['p50_ms']:.0f} / p99 {m.detail['p99_ms']:.0f} ms"
        return f"{m.value:,.0f}/s{extra}"
    return f"{m.value:g} {m.unit}"


def print_table(results: list[Measure]) -> None:
    width = max(len(r.name) for r in results) + 2
    vals = [fmt(r) for r in results]
    vw = max(len(v) for v in vals) + 2
    print(f"\n{'measure':{width}} {'measured':>{vw}}  {'target':<30} result")
    print("-" * (width + vw + 40))
    for r, v in zip(results, vals, strict=True):
        verdict = "" if r.passed is None else ("PASS" if r.passed else "FAIL")
        print(f"{r.name:{width}} {v:>{vw}}  {r.target:<30} {verdict}")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter measures (under a minute)")
    ap.add_argument("--concurrency", type=int, default=32, help="closed-loop connections")
    ap.add_argument("--customers", type=int, default=2000, help="distinct customers per measure")
    ap.add_argument("--saturation-s", type=float, default=None, help="closed-loop length (s)")
    ap.add_argument("--open-s", type=float, default=None, help="open-loop length (s)")
    ap.add_argument("--sessions", type=int, default=None, help="outbound: sessions")
    ap.add_argument("--events", type=int, default=None, help="outbound: events to deliver")
    ap.add_argument("--outbound-timeout", type=float, default=60.0)
    ap.add_argument(
        "--workers",
        type=int,
        default=1,
        help="delivery workers in each inbound gateway (1: the CLI's default)",
    )
    ap.add_argument("--pg-url", default=os.environ.get("AGENT_CONSOLE_TEST_PG_URL"))
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--no-outbound", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile one SQLite gateway too")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument(
        "--serve-profiled", nargs=3, metavar=("URL", "PORT", "OUT"), help=argparse.SUPPRESS
    )
    return ap.parse_args()


async def main(args: argparse.Namespace) -> int:
    quick = args.quick
    args.saturation_s = args.saturation_s or (5.0 if quick else 10.0)
    args.open_s = args.open_s or (6.0 if quick else 15.0)
    args.sessions = args.sessions or (200 if quick else 500)
    args.events = args.events or (2000 if quick else 5000)

    results: list[Measure] = []
    notes: list[str] = []
    started = time.perf_counter()
    print(
        f"gateway bench: Python {platform.python_version()} on {os.cpu_count()} CPUs, {load()}"
        f"{', quick' if quick else ''}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="agent-console-gwbench-", dir=args_tmp()) as tmp:
        work = Path(tmp)
        if not args.no_sqlite:
            print("inbound, SQLite, one gateway", flush=True)
            url = f"sqlite+aiosqlite:///{work / 'inbound.db'}"
            results += await inbound_suite(
                "inbound SQLite, 1 gateway", url, work, 1, 500.0, args, "s"
            )
        if args.pg_url and not args.no_pg:
            print("inbound, PostgreSQL, two gateways", flush=True)
            name = "gwbench_" + uuid.uuid4().hex[:10]
            url = await pg_database(args.pg_url, name, create=True)
            try:
                results += await inbound_suite(
                    "inbound PostgreSQL, 2 gateways", url, work, 2, 1000.0, args, "p"
                )
            finally:
                await pg_database(args.pg_url, name, create=False)
        elif not args.no_pg:
            print("inbound, PostgreSQL: skipped (set AGENT_CONSOLE_TEST_PG_URL or --pg-url)")
        if not args.no_outbound:
            print("outbound, SQLite, one gateway with one delivery worker", flush=True)
            url = f"sqlite+aiosqlite:///{work / 'outbound.db'}"
            results += await outbound_suite("outbound SQLite", url, work, args, "o")
        if args.profile:
            print("profile", flush=True)
            notes.append("\n".join(await profile_suite(work, args)))
    elapsed = time.perf_counter() - started
    if not results:
        print("nothing measured")
        return 1
    print_table(results)
    for r in results:
        print(f"\n{r.name}:")
        for k, v in r.detail.items():
            print(f"  {k}: {v}")
    for note in notes:
        print("\n" + note)
    print(f"\nbench took {elapsed:.0f} s; {load()}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "quick": quick,
                "results": [asdict(r) for r in results],
                "all_passed": all(r.passed is not False for r in results),
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    print(f"results written to {args.out}")
    return 0 if all(r.passed is not False for r in results) else 1


def args_tmp() -> str | None:
    """The temporary directory (on the real disk: SQLite's fsyncs must cost what they cost)."""
    return os.environ.get("AGENT_CONSOLE_BENCH_TMP")


if __name__ == "__main__":
    ARGS = parse_args()
    if ARGS.serve_profiled:  # a gateway under cProfile (its own event loop, run by uvicorn)
        url, port, out = ARGS.serve_profiled
        serve_profiled(url, int(port), Path(out))
        sys.exit(0)
    sys.exit(asyncio.run(main(ARGS)))

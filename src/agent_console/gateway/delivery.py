"""The delivery worker: claims outbox events, POSTs each to its channel's webhook, records it.

It runs in the gateway process. One loop: claim a batch (``services.outbox.claim`` leases, per
session, a run of its oldest undelivered events), deliver each session's run in order (the
sessions side by side, up to ``concurrency`` at once), stop a session's run at its first
failure (its later events are released untried, so order holds), then record every attempt in
one transaction. The POST is signed like inbound traffic, with the event id as ``webhook-id``.

It wakes when the database changed (the same cheap probe as the console's) or every
``idle_wait`` seconds for retries that came due.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import groupby

import aiohttp

from ..domain.outbox import DEFAULT_LEASE, DEFAULT_TIMEOUT
from ..domain.webhooks import sign
from ..services import outbox
from ..services.changes import ChangeProbe, prune_changes
from ..services.context import Ctx
from ..services.outbox import Attempt, Delivery

log = logging.getLogger(__name__)
USER_AGENT = "agent-console-gateway"
#: How often a worker records what it delivered while a batch is under way (seconds).
RECORD_EVERY = 0.1
#: The least a worker that found nothing to deliver waits before it looks again (seconds).
IDLE_GAP = 0.2
#: How often a worker marks failed the day-old events of channels no longer connected.
SWEEP_EVERY = 60.0


def worker_name(index: int = 0) -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{index}"


class DeliveryWorker:
    def __init__(
        self,
        ctx: Ctx,
        *,
        name: str | None = None,
        batch: int = 200,
        concurrency: int = 64,
        timeout: timedelta = DEFAULT_TIMEOUT,
        lease: timedelta = DEFAULT_LEASE,
        idle_wait: float = 0.5,
        wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if lease <= timeout:
            raise ValueError("the lease must outlast the POST timeout")
        self.ctx = ctx
        self.name = name or worker_name()
        self.batch = batch
        self.concurrency = concurrency
        self.timeout = timeout
        self.lease = lease
        self.idle_wait = idle_wait
        self.wall_clock = wall_clock
        self.delivered = 0
        self.failed_attempts = 0
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Finish the batch in hand, record it, and return from :meth:`run`."""
        self._stop.set()

    async def run(self) -> None:
        # aiohttp rather than httpx: per POST it costs about a seventh of the CPU (httpx's pool
        # checks every pooled connection on each request), and delivery is CPU-bound.
        seconds = self.timeout.total_seconds()
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.concurrency),
            timeout=aiohttp.ClientTimeout(total=seconds),
            headers={"user-agent": USER_AGENT},
            trust_env=False,
        ) as client:
            probe = ChangeProbe(self.ctx)
            loop = asyncio.get_running_loop()
            sweep_at = loop.time()
            try:
                while not self._stop.is_set():
                    if loop.time() >= sweep_at:
                        sweep_at = loop.time() + SWEEP_EVERY
                        await self._give_up_stale()
                    worked = await self._round(client)
                    if not worked:
                        await self._idle(probe)
            finally:
                await probe.close()

    async def _give_up_stale(self) -> None:
        """The worker's minute chores: events of disconnected channels, the change feed's
        old rows (``prune_changes``)."""
        try:
            gone = await outbox.give_up_stale(self.ctx)
            pruned = await prune_changes(self.ctx)
        except Exception as exc:
            log.warning("delivery: cannot mark stale events or prune changes: %s", exc)
            return
        if gone:
            log.warning("delivery: %d event(s) of disconnected channels marked failed", gone)
        if pruned:
            log.info("delivery: %d old change(s) pruned from the change feed", pruned)

    async def _idle(self, probe: ChangeProbe) -> None:
        """Until the database changes, a retry may be due, or we are told to stop; at least
        ``IDLE_GAP`` (a busy database changes all the time, and most changes are not events
        for this worker: claiming after each would be a write transaction each)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), IDLE_GAP)
        waited = IDLE_GAP
        step = 0.05
        while waited < self.idle_wait and not self._stop.is_set():
            if await probe.changed():
                return
            try:
                await asyncio.wait_for(self._stop.wait(), step)
            except TimeoutError:
                waited += step

    async def _round(self, client: aiohttp.ClientSession) -> bool:
        try:
            batch = await outbox.claim(self.ctx, self.name, limit=self.batch, lease=self.lease)
        except Exception as exc:  # the database is away: try again later, never crash
            log.warning("delivery: cannot claim events: %s", exc)
            await asyncio.sleep(1)
            return False
        if not batch:
            return False
        attempts: list[Attempt] = []
        released: list[int] = []
        gate = asyncio.Semaphore(self.concurrency)
        done = asyncio.Event()

        async def run_session(events: list[Delivery]) -> None:
            async with gate:
                for i, event in enumerate(events):
                    attempt = await self._post(client, event)
                    attempts.append(attempt)
                    if not attempt.ok:
                        released.extend(e.outbox_id for e in events[i + 1 :])
                        return

        async def record_as_we_go() -> None:
            # What was delivered is recorded every RECORD_EVERY seconds, not only when the
            # whole batch is done: a worker killed mid-batch sends again only the last few.
            while not done.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), RECORD_EVERY)
                await self._record(attempts, released)
            # The batch may have finished while the last record was being written.
            await self._record(attempts, released)

        runs = [list(g) for _, g in groupby(sorted(batch, key=_order), key=lambda d: d.session_id)]
        recorder = asyncio.create_task(record_as_we_go())
        try:
            await asyncio.gather(*(run_session(r) for r in runs))
        finally:
            done.set()
            await recorder
        return True

    async def _record(self, attempts: list[Attempt], released: list[int]) -> None:
        """Record (and take out of the lists) the attempts made so far."""
        if not attempts and not released:
            return
        taken, freed = attempts[:], released[:]
        del attempts[: len(taken)]
        del released[: len(freed)]
        try:
            await outbox.complete(self.ctx, self.name, taken, freed)
        except Exception as exc:  # the leases run out and the events are tried again
            log.warning("delivery: cannot record %d attempts: %s", len(taken), exc)
            return
        ok = sum(1 for a in taken if a.ok)
        self.delivered += ok
        self.failed_attempts += len(taken) - ok

    async def _post(self, client: aiohttp.ClientSession, event: Delivery) -> Attempt:
        body = json.dumps(event.payload(), ensure_ascii=False).encode("utf-8")
        headers = sign(event.secret, event.event_id, body, self.wall_clock()).as_dict()
        headers["content-type"] = "application/json"
        try:
            async with client.post(
                event.webhook_url, data=body, headers=headers, allow_redirects=False
            ) as answer:
                await answer.read()  # the connection is kept for the next POST
                status = answer.status
        except TimeoutError:
            seconds = self.timeout.total_seconds()
            return Attempt(event.outbox_id, False, None, f"timed out after {seconds:g} s")
        except aiohttp.ClientError as exc:
            return Attempt(event.outbox_id, False, None, _one_line(exc))
        except Exception as exc:  # whatever else: a failed attempt, never a dead worker
            log.exception("delivery: POST of %s failed unexpectedly", event.event_id)
            return Attempt(event.outbox_id, False, None, f"{type(exc).__name__}: {_one_line(exc)}")
        if 200 <= status < 300:
            return Attempt(event.outbox_id, True, status)
        return Attempt(event.outbox_id, False, status, None)


def _order(d: Delivery) -> tuple[int, int]:
    return (d.session_id, d.outbox_id)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]

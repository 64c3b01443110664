"""Group commit for inbound channel messages: what arrives while one batch is being written is
written together in the next one.

A gateway receives many messages at once. Storing each in its own transaction costs a commit
(an fsync on SQLite), a dozen statements and a turn at SQLite's single write lock per message.
:class:`InboundBatcher` queues the messages of concurrent requests and hands them to
:func:`channels.receive_many` together: one transaction, a handful of statements, one commit
for the lot. There is no waiting for a batch to fill: a message that finds the writer idle is
written at once, alone; under load the batches grow by themselves, up to ``max_batch``.

Each request still gets its own answer. If a batch fails on the database (a constraint, a
lost connection) it is written again one message at a time, so one bad message never blocks
the others; a database that cannot be reached fails each of them with the same error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from ..domain.errors import Fault, StoreError
from . import channels
from .channels import ChannelMessage, Outcome
from .context import Ctx

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    message: ChannelMessage
    answer: asyncio.Future[Outcome]


class InboundBatcher:
    def __init__(self, ctx: Ctx, *, max_batch: int = 200) -> None:
        self.ctx = ctx
        self.max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        #: Batches written and messages in them (for logs and benchmarks).
        self.batches = 0
        self.messages = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="inbound-batcher")

    async def stop(self) -> None:
        """Write what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def submit(self, message: ChannelMessage) -> Outcome:
        """Store ``message`` with whatever else is arriving; its own outcome."""
        self.start()
        answer: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(message, answer))
        return await answer

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            try:
                outcomes = await channels.receive_many(self.ctx, [p.message for p in batch])
            except StoreError as exc:
                if not _lost(exc):
                    raise
                # A pooled connection the server closed: nothing was stored; once more, on a
                # fresh one (the pool dropped the dead one).
                outcomes = await channels.receive_many(self.ctx, [p.message for p in batch])
        except Exception as exc:
            if len(batch) == 1 or (isinstance(exc, StoreError) and _unreachable(exc)):
                _answer(batch, [_as_error(exc)] * len(batch))
                return
            log.warning("inbound batch of %d failed (%s); storing one by one", len(batch), exc)
            outcomes = [await self._one(p.message) for p in batch]
        self.batches += 1
        self.messages += len(batch)
        _answer(batch, outcomes)

    async def _one(self, message: ChannelMessage) -> Outcome:
        try:
            [outcome] = await channels.receive_many(self.ctx, [message])
        except Exception as exc:
            return _as_error(exc)
        return outcome


def _as_error(exc: Exception) -> Outcome:
    if isinstance(exc, StoreError):
        return exc
    log.error("an inbound message could not be stored: %r", exc)
    return StoreError(f"the message could not be stored ({type(exc).__name__})")


def _lost(exc: StoreError) -> bool:
    return exc.fault is Fault.LOST


#: The store's faults where the database itself cannot take writes (engine.translate): every
#: message of a batch would fail the same way alone.
_DATABASE_AWAY = frozenset(
    {
        Fault.LOCKED,
        Fault.UNREACHABLE,
        Fault.LOST,
        Fault.LOGIN_REFUSED,
        Fault.DISK_FULL,
        Fault.READ_ONLY,
    }
)


def _unreachable(exc: StoreError) -> bool:
    return exc.fault in _DATABASE_AWAY


def _answer(batch: list[_Pending], outcomes: list[Outcome]) -> None:
    for p, outcome in zip(batch, outcomes, strict=True):
        if not p.answer.done():
            p.answer.set_result(outcome)

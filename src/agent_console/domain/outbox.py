"""What goes out to a channel, and when a failed delivery is tried again.

Every agent reply, R12 end line and R9 CSAT request on a connected channel becomes one outbox
event, written in the same transaction as what it reports. A delivery worker POSTs it to the
channel's webhook; a non-2xx answer or a timeout is tried again after an exponentially growing,
jittered delay (about 1 s, 2 s, 4 s ... capped at :data:`MAX_DELAY`), for up to
:data:`GIVE_UP_AFTER`, then the event is marked failed. Events of one session go out in order:
a later one waits while an earlier one is being retried.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class EventType(StrEnum):
    MESSAGE_CREATED = "message.created"
    SESSION_ENDED = "session.ended"
    CSAT_REQUESTED = "csat.requested"


class DeliveryState(StrEnum):
    PENDING = "pending"  # not tried yet, or being tried
    RETRYING = "retrying"  # tried and failed; tried again at next_attempt_at
    SENT = "sent"  # the channel answered 2xx
    FAILED = "failed"  # gave up (GIVE_UP_AFTER passed) or the channel was disconnected


#: The first retry waits about this long; each next one twice as long ...
FIRST_DELAY = timedelta(seconds=1)
#: ... up to this.
MAX_DELAY = timedelta(minutes=15)
#: An event still not delivered this long after it was written is marked failed.
GIVE_UP_AFTER = timedelta(hours=24)
#: How long one POST may take before it counts as a failure.
DEFAULT_TIMEOUT = timedelta(seconds=10)
#: How long a worker's claim on an event lasts. Longer than the POST timeout, so an event is
#: never in two workers' hands at once; a killed worker's events are claimable again after it.
DEFAULT_LEASE = timedelta(seconds=30)
#: The question a CSAT request asks (R9); the customer answers 1 to 5.
CSAT_QUESTION = "How would you rate this conversation? Answer 1 (poor) to 5 (excellent)."
CSAT_SCORES = range(1, 6)


def retry_delay(attempts: int, rand: Callable[[], float] = random.random) -> timedelta:
    """The wait before attempt ``attempts + 1``, after ``attempts`` failures (>= 1).

    "Equal jitter": half of the exponential step, plus a random part of the other half, so
    retries of many events that failed together spread out but none comes back too soon.
    """
    if attempts < 1:
        raise ValueError("a retry follows at least one failed attempt")
    step: timedelta = min(MAX_DELAY, FIRST_DELAY * (2 ** min(attempts - 1, 30)))
    half = step / 2
    return half + half * rand()


@dataclass(frozen=True)
class Outcome:
    """What a failed attempt leads to: another attempt at ``next_at``, or giving up."""

    give_up: bool
    next_at: datetime | None


def after_failure(
    created_at: datetime,
    attempts: int,
    now: datetime,
    rand: Callable[[], float] = random.random,
) -> Outcome:
    """``attempts`` counts the attempt that just failed."""
    next_at = now + retry_delay(attempts, rand)
    if next_at - created_at > GIVE_UP_AFTER:
        return Outcome(True, None)
    return Outcome(False, next_at)


def describe_failure(status: int | None, error: str | None) -> str:
    """One short line for the last failed attempt ("HTTP 500", "timed out after 10 s" ...)."""
    if status is not None:
        return f"HTTP {status}"
    return error or "no answer"

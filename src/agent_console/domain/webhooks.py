"""Signing and verifying channel traffic the Standard Webhooks way (standardwebhooks.com).

Every request between a deployment and a channel carries three headers: ``webhook-id``,
``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (one or more space-separated
``v1,<base64>`` entries: HMAC-SHA256 over ``"{id}.{timestamp}.{raw body}"`` keyed with the
secret, the base64 after ``whsec_``, decoded). The specification's own library does the HMAC;
this module adds what it leaves to the caller: secrets made and checked up front, a clock that
tests can fix, and one kind of error with a reason for every malformed header.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

SECRET_PREFIX = "whsec_"
#: Random bytes in a secret this deployment makes (the convention allows 24 to 64).
SECRET_BYTES = 32
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
#: How far a request's timestamp may be from the receiver's clock, either way.
TOLERANCE = timedelta(minutes=5)
HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"
#: Longest ``webhook-id`` accepted (providers use UUIDs or ``msg_<ulid>``).
MAX_ID_LENGTH = 200


class BadSecret(ValueError):
    """A secret that is not ``whsec_`` + base64 of 24 to 64 bytes."""


class BadSignature(Exception):
    """A request whose headers do not prove it came from the holder of the secret."""


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_secret(secret: str) -> str:
    """``secret`` if it is a usable ``whsec_`` secret, else :class:`BadSecret` saying why."""
    if not secret.startswith(SECRET_PREFIX):
        raise BadSecret(f"a secret starts with {SECRET_PREFIX} followed by base64")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise BadSecret(f"the part after {SECRET_PREFIX} is not base64") from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise BadSecret(
            f"a secret holds {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes; this one {len(key)}"
        )
    return secret


def _key(secret: str) -> bytes:
    return base64.b64decode(check_secret(secret)[len(SECRET_PREFIX) :])


def _mac(key: bytes, message_id: str, stamp: int, body: bytes) -> bytes:
    signed = f"{message_id}.{stamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


@dataclass(frozen=True)
class SignedHeaders:
    id: str
    timestamp: int
    signature: str

    def as_dict(self) -> dict[str, str]:
        return {
            HEADER_ID: self.id,
            HEADER_TIMESTAMP: str(self.timestamp),
            HEADER_SIGNATURE: self.signature,
        }


def sign(secret: str, message_id: str, body: bytes, at: datetime) -> SignedHeaders:
    """The three headers that sign ``body`` as message ``message_id`` sent at ``at``."""
    stamp = int(at.timestamp())
    mac = _mac(_key(secret), message_id, stamp, body)
    return SignedHeaders(message_id, stamp, "v1," + base64.b64encode(mac).decode())


def verify(secret: str, headers: dict[str, str], body: bytes, now: datetime) -> str:
    """Check a request's signature headers against its raw ``body``; returns the webhook id.

    Raises :class:`BadSignature` with the reason (missing header, timestamp out of the
    window, no matching ``v1`` signature). ``headers`` keys are lower case.
    """
    message_id = headers.get(HEADER_ID, "")
    raw_stamp = headers.get(HEADER_TIMESTAMP, "")
    raw_signatures = headers.get(HEADER_SIGNATURE, "")
    missing = [
        name
        for name, value in (
            (HEADER_ID, message_id),
            (HEADER_TIMESTAMP, raw_stamp),
            (HEADER_SIGNATURE, raw_signatures),
        )
        if not value
    ]
    if missing:
        raise BadSignature("missing header " + ", ".join(missing))
    if len(message_id) > MAX_ID_LENGTH:
        raise BadSignature(f"{HEADER_ID} is longer than {MAX_ID_LENGTH} characters")
    if not raw_stamp.isascii() or not raw_stamp.isdigit():
        raise BadSignature(f"{HEADER_TIMESTAMP} is not Unix seconds")
    stamp = int(raw_stamp)
    if abs(now.timestamp() - stamp) > TOLERANCE.total_seconds():
        raise BadSignature(
            f"{HEADER_TIMESTAMP} is more than {int(TOLERANCE.total_seconds() // 60)} minutes "
            "from now"
        )
    wanted = _mac(_key(secret), message_id, stamp, body)
    for entry in raw_signatures.split(" "):
        version, _, value = entry.partition(",")
        if version != "v1" or not value:
            continue
        try:
            given = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(wanted, given):
            return message_id
    raise BadSignature("no v1 signature matches the body")

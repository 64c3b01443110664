"""How many SMS a reply takes: GSM-7 or UCS-2, and the segments it is cut into.

A single SMS holds 160 GSM-7 characters or 70 UCS-2 code units; a longer text goes out as a
concatenated message whose parts each lose room to the part header: 153 GSM-7 / 67 UCS-2
per part. One character outside GSM-7 (an emoji, "ç" with a cedilla, a curly quote...) makes
the whole text UCS-2. GSM-7's extension characters (``€ [ ] { } \\ ^ ~ |`` and form feed) take
two septets (an escape and the character), and the pair is never split across two parts;
nor is a UTF-16 surrogate pair (an emoji beyond the BMP takes two UCS-2 units).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: GSM 03.38's basic character set (ESC, which introduces the extension table, left out).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table: each costs two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class SmsEncoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SmsCount:
    """What a text costs as SMS: ``units`` are septets (GSM-7) or UTF-16 code units (UCS-2)."""

    encoding: SmsEncoding
    units: int
    segments: int

    @property
    def per_segment(self) -> int:
        """The room of each segment at this length (160/70 single, 153/67 per part)."""
        if self.encoding is SmsEncoding.GSM7:
            return GSM7_SINGLE if self.segments <= 1 else GSM7_PART
        return UCS2_SINGLE if self.segments <= 1 else UCS2_PART


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(text: str, encoding: SmsEncoding) -> list[int]:
    """Each character's cost in units; a pair that must stay together counts as one item."""
    if encoding is SmsEncoding.GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _parts(costs: list[int], room: int) -> int:
    """Parts of ``room`` units each, never splitting one character's units."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > room:
            parts += 1
            used = 0
        used += cost
    return parts


def sms_count(text: str) -> SmsCount:
    """The encoding, units and segments of ``text`` sent as SMS (0 segments when empty)."""
    encoding = SmsEncoding.GSM7 if is_gsm7(text) else SmsEncoding.UCS2
    costs = _units(text, encoding)
    units = sum(costs)
    single, part = (
        (GSM7_SINGLE, GSM7_PART) if encoding is SmsEncoding.GSM7 else (UCS2_SINGLE, UCS2_PART)
    )
    if units == 0:
        segments = 0
    elif units <= single:
        segments = 1
    else:
        segments = _parts(costs, part)
    return SmsCount(encoding, units, segments)


def composer_count(text: str, *, sms: bool) -> str:
    """What the composer shows under the reply: ``42 chars``, and on an SMS channel the
    segments it goes out as: ``170 chars · 2 SMS (GSM-7, 153 per part)``."""
    chars = len(text)
    shown = f"{chars} char{'s' if chars != 1 else ''}"
    if not sms or not text:
        return shown
    count = sms_count(text)
    room = "per part" if count.segments > 1 else "in one"
    return f"{shown} · {count.segments} SMS ({count.encoding.value}, {count.per_segment} {room})"


#: The channels whose replies go out as SMS.
SMS_CHANNELS = frozenset({"standard_sms", "enhanced_sms"})


def is_sms_channel(channel_id: str) -> bool:
    return channel_id in SMS_CHANNELS

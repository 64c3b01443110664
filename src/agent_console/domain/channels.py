"""The channel catalogue of the SPEC: every channel's family, kind and default units."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Family(StrEnum):
    ENHANCED_CHAT = "enhanced chat"
    MESSAGING = "messaging"


class Kind(StrEnum):
    ENHANCED = "enhanced"
    STANDARD = "standard"


@dataclass(frozen=True, slots=True)
class Channel:
    id: str
    name: str
    family: Family
    kind: Kind
    default_units: int = 1

    @property
    def is_standard(self) -> bool:
        return self.kind is Kind.STANDARD


_EC, _MSG = Family.ENHANCED_CHAT, Family.MESSAGING
_ENH, _STD = Kind.ENHANCED, Kind.STANDARD

CHANNELS: tuple[Channel, ...] = (
    Channel("enhanced_in_app_chat", "Enhanced In-App Chat", _EC, _ENH),
    Channel("enhanced_web_chat_v1", "Enhanced Web Chat v1", _EC, _ENH),
    Channel("enhanced_web_chat_v2", "Enhanced Web Chat v2", _EC, _ENH),
    Channel("enhanced_whatsapp", "Enhanced WhatsApp", _MSG, _ENH),
    Channel("enhanced_facebook_messenger", "Enhanced Facebook Messenger", _MSG, _ENH),
    Channel("enhanced_sms", "Enhanced SMS", _MSG, _ENH),
    Channel(
        "enhanced_apple_messages_for_business", "Enhanced Apple Messages for Business", _MSG, _ENH
    ),
    Channel("enhanced_line", "Enhanced LINE", _MSG, _ENH),
    Channel("byoc", "Bring Your Own Channel", _MSG, _ENH),
    Channel("standard_facebook_messenger", "Standard Facebook Messenger", _MSG, _STD),
    Channel("standard_sms", "Standard SMS", _MSG, _STD),
)

CHANNELS_BY_ID: dict[str, Channel] = {c.id: c for c in CHANNELS}
#: The channels whose customers write from a web page (the gateway serves one: /chat/{id}).
WEB_CHAT_CHANNELS: frozenset[str] = frozenset({"enhanced_web_chat_v1", "enhanced_web_chat_v2"})


class UnknownChannel(ValueError):
    pass


def channel(channel_id: str) -> Channel:
    """Look a channel up by id, with an error that lists the valid ids."""
    try:
        return CHANNELS_BY_ID[channel_id]
    except KeyError:
        valid = ", ".join(CHANNELS_BY_ID)
        raise UnknownChannel(f"unknown channel {channel_id!r}; channels are: {valid}") from None

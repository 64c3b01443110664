"""Deployment settings an admin controls (R8, R9, capacity model and units), as pure values.

Settings are stored as text key/value pairs; this module knows every key, parses and validates
values, and answers "which model / how many units for this channel".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .channels import CHANNELS_BY_ID, Channel
from .presence import DEFAULT_AWAY_REASONS, MAX_AWAY_REASONS, MAX_REASON_LENGTH
from .vocab import CapacityModel

AGENTS_CAN_END = "agents_can_end"
CSAT_ON_AGENT_END = "csat_on_agent_end"
CAPACITY_MODEL = "capacity_model"
TIMEZONE = "timezone"
MESSAGING_LEGACY = "messaging_legacy"
AWAY_REASONS = "presence.away_reasons"
#: The deployment's time zone until an admin sets one: what customer-facing times are in.
DEFAULT_TIMEZONE = "UTC"

#: Settings a person may set with `settings set` (MESSAGING_LEGACY is set by `db upgrade`).
GLOBAL_KEYS = (AGENTS_CAN_END, CSAT_ON_AGENT_END, CAPACITY_MODEL, TIMEZONE, AWAY_REASONS)


class SettingError(ValueError):
    """A key or value an admin typed that the product does not accept."""


@dataclass(frozen=True)
class Policy:
    """The effective settings of a deployment."""

    agents_can_end: bool = True
    csat_on_agent_end: bool = False
    capacity_model: CapacityModel = CapacityModel.TAB_BASED
    messaging_legacy: bool = False
    agents_can_end_explicit: bool = False
    channel_models: Mapping[str, CapacityModel] = field(default_factory=dict)
    channel_units: Mapping[str, int] = field(default_factory=dict)
    channel_priorities: Mapping[str, int] = field(default_factory=dict)
    #: IANA name of the zone customer-facing times are written in ("Session ended by ... at").
    timezone: str = DEFAULT_TIMEZONE
    #: Why an agent may be Busy ("Away: Lunch"), in the order the presence menu offers them.
    away_reasons: tuple[str, ...] = DEFAULT_AWAY_REASONS

    @property
    def zone(self) -> tzinfo:
        return zone(self.timezone)

    def model_for(self, channel: Channel) -> CapacityModel:
        return self.channel_models.get(channel.id, self.capacity_model)

    def units_for(self, channel: Channel) -> int:
        return self.channel_units.get(channel.id, channel.default_units)

    def priority_for(self, channel: Channel) -> int:
        """Routing priority: queued work of a lower number is assigned first."""
        return self.channel_priorities.get(channel.id, DEFAULT_PRIORITY)


#: Routing priorities run from 1 (assigned first) to 10; a channel without one has 5.
DEFAULT_PRIORITY = 5
PRIORITIES = range(1, 11)


def _parse_bool(key: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("on", "true", "yes", "1"):
        return True
    if value in ("off", "false", "no", "0"):
        return False
    raise SettingError(f"{key}: expected on or off, got {raw!r}")


def _parse_model(key: str, raw: str) -> CapacityModel:
    try:
        return CapacityModel(raw.strip().lower())
    except ValueError:
        raise SettingError(f"{key}: expected tab-based or status-based, got {raw!r}") from None


def _parse_units(key: str, raw: str) -> int:
    try:
        units = int(raw.strip())
    except ValueError:
        raise SettingError(f"{key}: expected a whole number of units, got {raw!r}") from None
    if not 1 <= units <= 100:
        raise SettingError(f"{key}: units must be between 1 and 100, got {units}")
    return units


def _parse_priority(key: str, raw: str) -> int:
    try:
        priority = int(raw.strip())
    except ValueError:
        raise SettingError(f"{key}: expected a priority from 1 to 10, got {raw!r}") from None
    if priority not in PRIORITIES:
        raise SettingError(f"{key}: a priority is from 1 (first) to 10, got {priority}")
    return priority


@lru_cache(maxsize=32)
def zone(name: str) -> tzinfo:
    """The time zone of an IANA name (validated when the setting was stored)."""
    return ZoneInfo(name)


def _parse_timezone(key: str, raw: str) -> str:
    name = raw.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(
            f"{key}: not a time zone: {raw!r} (an IANA name such as UTC, Europe/Paris, "
            "America/New_York)"
        ) from None
    return name


def parse_away_reasons(raw: str) -> tuple[str, ...]:
    """``Break, Lunch, Training`` -> the reasons, in order (stored text is always valid)."""
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _check_away_reasons(key: str, raw: str) -> str:
    """A comma-separated list of reasons, each printable, at most ``MAX_REASON_LENGTH``
    characters and given once; empty means Busy has no reasons to choose from."""
    reasons = parse_away_reasons(raw)
    if len(reasons) > MAX_AWAY_REASONS:
        raise SettingError(f"{key}: at most {MAX_AWAY_REASONS} reasons, got {len(reasons)}")
    seen: set[str] = set()
    for reason in reasons:
        if len(reason) > MAX_REASON_LENGTH:
            raise SettingError(
                f"{key}: a reason is at most {MAX_REASON_LENGTH} characters, got {reason!r}"
            )
        if not reason.isprintable():
            raise SettingError(f"{key}: a reason is printable text, got {reason!r}")
        if reason.casefold() in seen:
            raise SettingError(f"{key}: {reason!r} is given twice")
        seen.add(reason.casefold())
    return ", ".join(reasons)


def setting_default(key: str) -> str:
    """The text a key has when no admin set it (validates the key)."""
    defaults = {
        AGENTS_CAN_END: "on",
        CSAT_ON_AGENT_END: "off",
        CAPACITY_MODEL: CapacityModel.TAB_BASED.value,
        TIMEZONE: DEFAULT_TIMEZONE,
        AWAY_REASONS: ", ".join(DEFAULT_AWAY_REASONS),
    }
    if key in defaults:
        return defaults[key]
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "channel" and parts[1] in CHANNELS_BY_ID:
        channel = CHANNELS_BY_ID[parts[1]]
        defaults = {
            "capacity_model": CapacityModel.TAB_BASED.value,
            "units": str(channel.default_units),
            "priority": str(DEFAULT_PRIORITY),
        }
        if parts[2] in defaults:
            return defaults[parts[2]]
    return normalize_setting(key, "")  # raises the "unknown setting" error


def normalize_setting(key: str, raw: str) -> str:
    """Validate ``key = raw`` and return the canonical stored text; raise SettingError."""
    if key == AWAY_REASONS:
        return _check_away_reasons(key, raw)
    if key == TIMEZONE:
        return _parse_timezone(key, raw)
    if key in (AGENTS_CAN_END, CSAT_ON_AGENT_END):
        return "on" if _parse_bool(key, raw) else "off"
    if key == CAPACITY_MODEL:
        return _parse_model(key, raw).value
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "channel":
        if parts[1] not in CHANNELS_BY_ID:
            raise SettingError(f"{key}: unknown channel {parts[1]!r}")
        if parts[2] == "capacity_model":
            return _parse_model(key, raw).value
        if parts[2] == "units":
            return str(_parse_units(key, raw))
        if parts[2] == "priority":
            return str(_parse_priority(key, raw))
    known = ", ".join(
        [*GLOBAL_KEYS, "channel.<id>.capacity_model", "channel.<id>.units", "channel.<id>.priority"]
    )
    raise SettingError(f"unknown setting {key!r}; settings are: {known}")


def policy_from_rows(rows: Mapping[str, str]) -> Policy:
    """Build the effective policy from stored key/value rows (already validated on write).

    R8: "agents can end" is on by default, but off by default for a deployment whose messaging
    was enabled before the feature existed (``messaging_legacy``) -- unless an admin set it.
    """
    legacy = rows.get(MESSAGING_LEGACY, "off") == "on"
    explicit = AGENTS_CAN_END in rows
    can_end = rows[AGENTS_CAN_END] == "on" if explicit else not legacy
    models: dict[str, CapacityModel] = {}
    units: dict[str, int] = {}
    priorities: dict[str, int] = {}
    for key, value in rows.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "channel":
            if parts[2] == "capacity_model":
                models[parts[1]] = CapacityModel(value)
            elif parts[2] == "units":
                units[parts[1]] = int(value)
            elif parts[2] == "priority":
                priorities[parts[1]] = int(value)
    return Policy(
        agents_can_end=can_end,
        csat_on_agent_end=rows.get(CSAT_ON_AGENT_END, "off") == "on",
        capacity_model=CapacityModel(rows.get(CAPACITY_MODEL, CapacityModel.TAB_BASED.value)),
        messaging_legacy=legacy,
        agents_can_end_explicit=explicit,
        channel_models=models,
        channel_units=units,
        channel_priorities=priorities,
        timezone=rows.get(TIMEZONE, DEFAULT_TIMEZONE),
        away_reasons=(
            parse_away_reasons(rows[AWAY_REASONS]) if AWAY_REASONS in rows else DEFAULT_AWAY_REASONS
        ),
    )

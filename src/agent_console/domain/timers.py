"""R7: agent-initiated sessions the customer never answered end by themselves."""

from __future__ import annotations

from datetime import datetime, timedelta

from .channels import Channel

STANDARD_WINDOW = timedelta(hours=24)
ENHANCED_WINDOW = (timedelta(hours=48), timedelta(hours=54))


def auto_end_window(
    channel: Channel, first_agent_message_at: datetime
) -> tuple[datetime, datetime]:
    """The (earliest, latest) moment the session ends if the customer never replies.

    Standard channels end within 24 h; enhanced channels within 48 to 54 h (the platform
    sweeps enhanced sessions every 6 h, so the end lands somewhere in that window).
    """
    if channel.is_standard:
        at = first_agent_message_at + STANDARD_WINDOW
        return at, at
    low, high = ENHANCED_WINDOW
    return first_agent_message_at + low, first_agent_message_at + high


def auto_end_at(channel: Channel, first_agent_message_at: datetime) -> datetime:
    """When the sweep ends the session: the start of its window."""
    return auto_end_window(channel, first_agent_message_at)[0]


def timer_reason(channel: Channel) -> str:
    hours = "24 h" if channel.is_standard else "48-54 h"
    return f"the customer did not reply within {hours} of an agent-initiated session"

"""The guided tour: acts (what a step does), steps (captions and the default tour) and the
player that plays them over the running console."""

from .acts import (
    Act,
    IfScreen,
    Pause,
    Press,
    Reveal,
    Run,
    Say,
    Seek,
    StepFailed,
    Type,
    WaitConsole,
    WaitScreen,
    WaitUntil,
)
from .player import TourCaption, TourPlayer
from .steps import (
    OFFLINE_CAPTION,
    REPLY,
    Step,
    close_tab_caption,
    default_tour,
    end_chat_caption,
    offline_caption,
)

__all__ = [
    "OFFLINE_CAPTION",
    "REPLY",
    "Act",
    "IfScreen",
    "Pause",
    "Press",
    "Reveal",
    "Run",
    "Say",
    "Seek",
    "Step",
    "StepFailed",
    "TourCaption",
    "TourPlayer",
    "Type",
    "WaitConsole",
    "WaitScreen",
    "WaitUntil",
    "close_tab_caption",
    "default_tour",
    "end_chat_caption",
    "offline_caption",
]

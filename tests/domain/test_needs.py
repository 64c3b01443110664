"""What needs the agent (issue 11): SMS segments, the R7 countdown and waiting texts, and the
alert decision between two looks at the agent's sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_console.domain.needs import (
    Alert,
    AlertKind,
    Glance,
    countdown_text,
    decide_alerts,
    long_span,
    short_countdown,
    short_span,
    waiting_text,
)
from agent_console.domain.sms import SmsEncoding, composer_count, sms_count
from conftest import T0

# --------------------------------------------------------------------------- SMS segments


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", SmsEncoding.GSM7, 0, 0),
        ("Hello", SmsEncoding.GSM7, 5, 1),
        ("a" * 160, SmsEncoding.GSM7, 160, 1),
        ("a" * 161, SmsEncoding.GSM7, 161, 2),
        ("a" * 306, SmsEncoding.GSM7, 306, 2),
        ("a" * 307, SmsEncoding.GSM7, 307, 3),
        ("€" * 80, SmsEncoding.GSM7, 160, 1),  # extension characters take two septets
        ("€" * 81, SmsEncoding.GSM7, 162, 2),
        # 152 plain then one € (2 septets): the pair is not split, so it opens part 2.
        ("a" * 152 + "€" + "a" * 10, SmsEncoding.GSM7, 164, 2),
        ("ç" * 70, SmsEncoding.UCS2, 70, 1),  # ç (c with cedilla) is not GSM-7; Ç is
        ("ç" * 71, SmsEncoding.UCS2, 71, 2),
        ("ç" * 134, SmsEncoding.UCS2, 134, 2),
        ("ç" * 135, SmsEncoding.UCS2, 135, 3),
        ("😀" * 35, SmsEncoding.UCS2, 70, 1),  # an emoji is a surrogate pair: two units
        ("😀" * 36, SmsEncoding.UCS2, 72, 2),
        # 66 units then an emoji: its pair moves to the next part whole.
        ("a" * 66 + "😀" + "a" * 10, SmsEncoding.UCS2, 78, 2),
        ("a" * 66 + "😀" * 34, SmsEncoding.UCS2, 134, 3),
        ("Hello “quoted”", SmsEncoding.UCS2, 14, 1),
    ],
)
def test_sms_segments(text: str, encoding: SmsEncoding, units: int, segments: int) -> None:
    count = sms_count(text)
    assert (count.encoding, count.units, count.segments) == (encoding, units, segments)


def test_sms_room_per_segment() -> None:
    assert sms_count("a").per_segment == 160
    assert sms_count("a" * 200).per_segment == 153
    assert sms_count("😀").per_segment == 70
    assert sms_count("😀" * 40).per_segment == 67


@given(st.text(max_size=600))
def test_segments_always_hold_the_text(text: str) -> None:
    count = sms_count(text)
    assert count.segments * count.per_segment >= count.units
    assert (count.segments == 0) == (text == "")


def test_composer_count_shows_chars_and_sms_only_on_sms() -> None:
    assert composer_count("", sms=False) == "0 chars"
    assert composer_count("x", sms=True) == "1 char · 1 SMS (GSM-7, 160 in one)"
    assert composer_count("a" * 42, sms=False) == "42 chars"
    assert composer_count("a" * 170, sms=True) == "170 chars · 2 SMS (GSM-7, 153 per part)"
    assert composer_count("😀 hi", sms=True) == "4 chars · 1 SMS (UCS-2, 70 in one)"


# --------------------------------------------------------------------------- spans


@pytest.mark.parametrize(
    ("seconds", "short", "long"),
    [
        (-5, "0s", "less than a minute"),
        (45, "45s", "less than a minute"),
        (4 * 60 + 59, "4m", "4 m"),
        (3 * 3600 + 12 * 60, "3h 12m", "3 h 12 m"),
        (2 * 3600 + 5 * 60, "2h 05m", "2 h 5 m"),
        (5 * 3600, "5h 00m", "5 h"),
        (47 * 3600 + 30 * 60, "1d 23h", "47 h 30 m"),
        (53 * 3600, "2d 5h", "2 d 5 h"),
    ],
)
def test_spans(seconds: int, short: str, long: str) -> None:
    assert short_span(timedelta(seconds=seconds)) == short
    assert long_span(timedelta(seconds=seconds)) == long


def test_waiting_text() -> None:
    assert waiting_text(T0, T0 + timedelta(minutes=4, seconds=10)) == "waiting 4m"


def test_r7_countdown_standard_and_enhanced() -> None:
    ends = T0 + timedelta(hours=3, minutes=12)
    assert (
        countdown_text(ends, T0, standard=True)
        == "ends by itself in 3 h 12 m unless the customer answers"
    )
    # Enhanced channels end somewhere in the 6 h after the window opens (48-54 h).
    assert (
        countdown_text(ends, T0, standard=False)
        == "ends by itself in 3 h 12 m to 9 h 12 m unless the customer answers"
    )
    assert countdown_text(T0, T0, standard=True) == (
        "ends by itself any moment now unless the customer answers"
    )
    assert countdown_text(ends, T0, standard=True, compact=True) == "ends by itself in 3 h 12 m"
    assert short_countdown(ends, T0) == "ends in 3h 12m"
    assert short_countdown(T0 - timedelta(minutes=1), T0) == "ends any moment"


# --------------------------------------------------------------------------- alerts


def glances(*items: Glance) -> dict[int, Glance]:
    return {g.session_id: g for g in items}


def test_the_first_look_raises_nothing() -> None:
    assert decide_alerts(None, glances(Glance(1, False, 5)), on_screen=None) == []


def test_a_new_live_session_is_an_assignment_and_a_new_ended_one_is_not() -> None:
    before = glances(Glance(1, False, 5))
    after = glances(Glance(1, False, 5), Glance(2, False, 7), Glance(3, True, 9))
    assert decide_alerts(before, after, on_screen=1) == [Alert(AlertKind.ASSIGNED, 2)]


def test_a_customer_reply_alerts_only_off_screen() -> None:
    before = glances(Glance(1, False, 5), Glance(2, False, 6))
    after = glances(Glance(1, False, 8), Glance(2, False, 9))
    assert decide_alerts(before, after, on_screen=1) == [Alert(AlertKind.REPLIED, 2)]
    assert decide_alerts(before, after, on_screen=None) == [
        Alert(AlertKind.REPLIED, 1),
        Alert(AlertKind.REPLIED, 2),
    ]
    assert decide_alerts(before, before, on_screen=None) == []


def test_an_end_by_someone_else_alerts_and_my_own_does_not() -> None:
    before = glances(Glance(1, False, 5), Glance(2, False, 6), Glance(3, False, 7))
    after = glances(
        Glance(1, True, 5, ended_by_me=False),
        Glance(2, True, 6, ended_by_me=True),
        Glance(3, True, 7, ended_by_me=False),
    )
    # 3 was ended by a trigger of a macro this agent ran: their own doing.
    assert decide_alerts(before, after, on_screen=2, mine={3}) == [Alert(AlertKind.ENDED, 1)]
    # Already ended before: said once.
    assert decide_alerts(after, after, on_screen=None) == []


def test_a_session_that_leaves_the_list_raises_nothing() -> None:
    before = glances(Glance(1, False, 5), Glance(2, False, 6))
    assert decide_alerts(before, glances(Glance(1, False, 5)), on_screen=None) == []

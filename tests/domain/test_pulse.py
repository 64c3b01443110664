"""A pulse sums up a stretch of the change feed for every console (domain/pulse.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent_console.domain.feed import ChangeKind, Interest, Touch
from agent_console.domain.pulse import BEAT, MAX_PAYLOAD, Pulse, decode, pace, summarize
from shared.feed_strategies import interests, touches


@given(st.lists(touches, max_size=6), interests)
def test_a_pulse_concerns_a_screen_exactly_when_one_of_its_changes_does(
    changes: list[Touch], interest: Interest
) -> None:
    pulse = summarize(0, 10, changes)
    assert pulse.concerns(interest) == any(interest.concerns(t) for t in changes)
    # ... and so does the pulse a console reads off the wire
    back = decode(pulse.encode())
    assert back == pulse
    assert back is not None and back.concerns(interest) == pulse.concerns(interest)


@given(st.lists(touches, max_size=4), st.lists(touches, max_size=4), interests)
def test_two_pulses_in_a_row_concern_what_either_does(
    first: list[Touch], second: list[Touch], interest: Interest
) -> None:
    a, b = summarize(0, 5, first), summarize(5, 9, second)
    both = a.then(b)
    assert both is not None and (both.after, both.upto) == (0, 9)
    assert both.concerns(interest) == (a.concerns(interest) or b.concerns(interest))


def test_a_pulse_that_starts_after_the_last_one_ended_is_a_gap() -> None:
    assert summarize(0, 5, []).then(summarize(6, 9, [])) is None
    assert summarize(0, 5, []).then(summarize(3, 9, [])) is not None  # overlap is fine


def test_a_message_in_agent_a_session_concerns_a_not_b() -> None:
    pulse = summarize(0, 1, [Touch(1, ChangeKind.MESSAGE, 40, 1)])
    assert pulse.concerns(Interest(agent_id=1))
    assert not pulse.concerns(Interest(agent_id=2))
    assert pulse.concerns(Interest(agent_id=2, any_session=True))  # B has the list open
    assert summarize(4, 4, []).empty  # a heartbeat


def test_a_pulse_too_big_for_a_notify_says_everything() -> None:
    many = [Touch(i, ChangeKind.MESSAGE, 1_000_000 + i, None) for i in range(2_000)]
    payload = summarize(0, 2_000, many).encode()
    assert len(payload.encode()) < 8_000 and len(payload) <= MAX_PAYLOAD
    pulse = decode(payload)
    assert pulse == Pulse(0, 2_000, everyone=True)
    assert pulse.concerns(Interest(agent_id=3))


def test_what_is_not_a_pulse_is_refused() -> None:
    for payload in ("", "p1", "p2 0 1 - - -", "p1 5 1 - - -", "p1 0 1 x - -", "p1 0 1 - a -"):
        assert decode(payload) is None, payload


def test_the_pulses_slow_down_to_keep_the_wakeups_under_the_bound() -> None:
    assert pace(0.2, 10) == 0.2  # a small floor: as often as asked
    assert pace(0.2, 600) == 0.2  # 3,000 wake-ups a second exactly
    assert pace(0.2, 1_006) == pytest.approx(1_006 / 3_000)  # the 1,000-console floor: 0.34 s
    assert pace(0.2, 1_006, wakeups=2_000) == pytest.approx(0.503)
    assert pace(0.2, 50_000) == BEAT  # never rarer than the heartbeat
    assert pace(0.2, 1_006, wakeups=0) == 0.2  # no bound
    assert pace(0.01, 5, wakeups=100) == pytest.approx(0.05)

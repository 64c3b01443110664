"""Which changes concern which screen (domain/feed.py)."""

from __future__ import annotations

import pytest
from hypothesis import given

from agent_console.domain.feed import ChangeKind, Interest, Touch, touched_sessions
from shared.feed_strategies import interests, touches

ME, OTHER = 1, 2


def touch(session: int | None, agent: int | None, kind: ChangeKind = ChangeKind.MESSAGE) -> Touch:
    return Touch(1, kind, session, agent)


def test_a_console_is_concerned_by_its_agent_and_what_it_shows_only() -> None:
    console = Interest(agent_id=ME, sessions=frozenset({7}))
    assert console.concerns(touch(5, ME))  # a message in my session
    assert console.concerns(touch(None, ME, ChangeKind.PRESENCE))  # my presence
    assert console.concerns(touch(7, OTHER))  # the transcript I have open
    assert not console.concerns(touch(5, OTHER))  # another agent's session
    assert not console.concerns(touch(9, None, ChangeKind.INBOUND))  # a new session, queued
    assert not console.concerns(touch(None, OTHER, ChangeKind.PRESENCE))
    assert console.concerns(touch(None, None, ChangeKind.SETTINGS))  # everyone's


def test_a_list_is_concerned_by_every_session_and_the_board_by_everything() -> None:
    listing = Interest(sessions=frozenset({3}), any_session=True)
    assert listing.concerns(touch(9, None, ChangeKind.INBOUND))  # its count may change
    assert not listing.concerns(touch(None, OTHER, ChangeKind.PRESENCE))
    board = Interest(any_session=True, any_agent=True)
    assert board.everything
    assert board.concerns(touch(None, OTHER, ChangeKind.PRESENCE))


def test_two_screens_together_and_one_agent_per_console() -> None:
    both = Interest(agent_id=ME) | Interest(sessions=frozenset({4}), any_session=True)
    assert both == Interest(agent_id=ME, sessions=frozenset({4}), any_session=True)
    with pytest.raises(ValueError, match="one agent"):
        Interest(agent_id=ME) | Interest(agent_id=OTHER)
    assert touched_sessions([touch(4, None), touch(None, ME), touch(4, ME)]) == {4}


@given(interests, interests.filter(lambda i: i.agent_id is None), touches)
def test_a_union_concerns_what_either_does(a: Interest, b: Interest, t: Touch) -> None:
    assert (a | b).concerns(t) == (a.concerns(t) or b.concerns(t))

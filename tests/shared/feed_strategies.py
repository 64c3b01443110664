"""Hypothesis strategies for the change feed's rules: touches (rows of the feed) and
interests (what a screen shows), over a few ids so that they meet often."""

from __future__ import annotations

from hypothesis import strategies as st

from agent_console.domain.feed import ChangeKind, Interest, Touch

ids = st.one_of(st.none(), st.integers(1, 6))
touches = st.builds(lambda s, a, k: Touch(1, k, s, a), ids, ids, st.sampled_from(list(ChangeKind)))
interests = st.builds(
    Interest,
    agent_id=ids,
    sessions=st.frozensets(st.integers(1, 6), max_size=3),
    any_session=st.booleans(),
    any_agent=st.booleans(),
)

"""The row protocols name exactly the columns their selects return: a column added to or
dropped from a select (or the schema) without its protocol fails here, not in a service."""

from __future__ import annotations

import inspect

from agent_console.store import queries
from agent_console.store.models import Agent, EndRecord, Session
from agent_console.store.rows import AgentRecord, EndingRecord, SessionColumns, SessionRecord

END_COLUMNS = {"end_actor_kind", "end_actor", "end_surface", "end_at"}


def names(protocol: type) -> set[str]:
    return {
        name
        for cls in inspect.getmro(protocol)
        for name, value in vars(cls).items()
        if isinstance(value, property)
    }


def test_agent_record_is_every_agent_column() -> None:
    assert names(AgentRecord) == set(Agent.__table__.columns.keys())


def test_session_columns_are_the_session_select() -> None:
    assert names(SessionColumns) == set(queries.session_select().selected_columns.keys())


def test_session_record_adds_the_end_record() -> None:
    assert names(SessionRecord) == names(SessionColumns) | END_COLUMNS
    assert {f"end_{c}" for c in ("actor_kind", "actor", "surface", "at")} == END_COLUMNS
    assert {"actor_kind", "actor", "surface", "at"} <= set(EndRecord.__table__.columns.keys())


def test_ending_record_is_a_subset_that_ending_reads() -> None:
    ending = names(EndingRecord)
    assert ending >= END_COLUMNS
    assert ending - END_COLUMNS <= set(Session.__table__.columns.keys()) | {"owner_name"}

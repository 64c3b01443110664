"""Statements built once per process and dialect, their values bound at each execution.

Building a SQLAlchemy statement costs more client CPU than running it: a ``select`` with a
join and a few conditions is ~0.5 ms to build and key for the compiled cache, against ~0.2 ms
to execute (``bench/floor_costs.py``; measured on PostgreSQL on this machine). The console
reads the same dozen statements on every refresh, so the statements of that path are built
here once, with named ``bindparam`` values, and reused: SQLAlchemy then keys and compiles each
once too. A builder takes the dialect's name, as a statement may differ by dialect
(:func:`ids_in`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, String, any_, bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

S = TypeVar("S")


def per_dialect(build: Callable[[str], S]) -> Callable[[AsyncConnection], S]:
    """``build(dialect_name)`` runs once per dialect; the result is shared by every caller."""
    built = cache(build)

    def statement(conn: AsyncConnection) -> S:
        return built(conn.dialect.name)

    statement.__doc__ = build.__doc__
    statement.__name__ = build.__name__
    return statement


def ids_in(dialect: str, column: Any, key: str | None, value: object = None) -> Any:
    """``column IN`` the ids bound as ``key`` (``None``: an anonymous parameter holding
    ``value``), every id in ONE bound value: a JSON array read by ``json_each`` on SQLite, an
    array with ``= ANY`` on PostgreSQL. :func:`ids_value` makes the value to bind.

    A plain ``IN`` renders one parameter per id on every execution, which dominates statements
    over thousands of ids (bulk end); this keeps them as cheap as a one-row statement."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(key, value, type_=ARRAY(column.type)))
    listed: Any = select(literal_column("value")).select_from(
        func.json_each(bindparam(key, value, type_=String))
    )
    return column.in_(listed)


def ids_value(conn: AsyncConnection, ids: Iterable[int] | Iterable[str]) -> object:
    """The value to bind for an :func:`ids_in` parameter on ``conn``'s dialect."""
    values = list(ids)
    return values if conn.dialect.name == "postgresql" else json.dumps(values)


def in_ids(
    conn: AsyncConnection, column: Any, ids: Iterable[int] | Iterable[str]
) -> ColumnElement[bool]:
    """``column IN ids``, the ids bound now (a statement built for one execution)."""
    clause: ColumnElement[bool] = ids_in(conn.dialect.name, column, None, ids_value(conn, ids))
    return clause

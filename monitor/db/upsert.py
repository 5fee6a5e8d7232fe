"""Dialect-aware insert-or-ignore and counter upserts (SQLite and PostgreSQL share the ON CONFLICT form)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from monitor.db.models import Base


def _insert(session: Session, model: type[Base]) -> Any:
    # Core inserts on the table: an ORM-enabled insert does not report which rows went in.
    table = cast(Table, model.__table__)
    name = session.get_bind().dialect.name
    return postgresql.insert(table) if name == "postgresql" else sqlite.insert(table)


def insert_ignore(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert rows, skipping those that violate a unique constraint; return how many were inserted."""
    if not rows:
        return 0
    statement = _insert(session, model).values(list(rows)).on_conflict_do_nothing().returning(literal(1))
    return len(session.execute(statement).all())


def insert_ignore_returning(
    session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]], column: str
) -> list[Any]:
    """Insert rows (in batches: one cached statement), skipping those that violate a unique constraint;
    ``column`` of each row inserted."""
    if not rows:
        return []
    table = cast(Table, model.__table__)
    statement = _insert(session, model).on_conflict_do_nothing().returning(table.c[column])
    return list(session.execute(statement, list(rows)).scalars())


def increment(session: Session, model: type[Base], key: Mapping[str, Any], column: str, by: int = 1) -> None:
    """Add ``by`` to ``column`` of the row with ``key``, creating it at ``by`` when absent."""
    statement = _insert(session, model).values({**key, column: by})
    statement = statement.on_conflict_do_update(index_elements=list(key), set_={column: getattr(model, column) + by})
    session.execute(statement)

"""INSERT … ON CONFLICT in the database's own dialect (PostgreSQL and SQLite spell it alike).

Why: on SQLite a write transaction holds the write lock, so "read, then insert if missing" cannot
race; on PostgreSQL two transactions can both find nothing and both insert, and the second fails
on the primary key. An upsert lets the second one update the row instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, table: Table) -> Any:
    """An INSERT that has on_conflict_do_nothing / on_conflict_do_update."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


async def upsert(session: AsyncSession, table: Table, values: dict[str, Any], keys: list[str],
                 keep: tuple[str, ...] = ()) -> None:
    """Inserts the row, or updates every column but the keys and `keep` if it is there already."""
    changes = {name: value for name, value in values.items() if name not in keys and name not in keep}
    statement = insert(session, table).values(**values)
    statement = (statement.on_conflict_do_update(index_elements=keys, set_=changes) if changes
                 else statement.on_conflict_do_nothing(index_elements=keys))
    await session.execute(statement)

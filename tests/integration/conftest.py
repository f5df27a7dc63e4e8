"""Fixtures for integration tests: a real, migrated database per test, on the backend the run asked for."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.database import SqlDatabase
from storage.migrate import migrate


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    """The URL of a database of this test's own (SQLite file or PostgreSQL database, tests/backends.py)."""
    return fresh_database_url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[SqlDatabase]:
    """A SqlDatabase on database_url, migrated to head, disposed after the test."""
    database = SqlDatabase(database_url)
    await migrate(database.write_engine)
    try:
        yield database
    finally:
        await database.dispose()

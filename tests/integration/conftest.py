"""Fixtures for integration tests: a real, migrated database per test (SQLite today)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.database import SqlDatabase
from storage.migrate import migrate


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database. A "postgresql" param (a fresh database per test) comes later."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'yijian.db'}"
    raise NotImplementedError(request.param)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[SqlDatabase]:
    """A SqlDatabase on database_url, migrated to head, disposed after the test."""
    database = SqlDatabase(database_url)
    await migrate(database.write_engine)
    try:
        yield database
    finally:
        await database.dispose()

"""Fixtures shared by every layer: a fresh database on the backend the run asked for (tests/backends.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests import backends


@pytest.fixture
async def fresh_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database of this test's own, migrated to head, dropped afterwards."""
    url = await backends.new_database_url(tmp_path)
    yield url
    await backends.drop_database(url)


@pytest.fixture
async def empty_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database of this test's own with no tables at all (for migration tests)."""
    url = await backends.new_database_url(tmp_path, migrated=False)
    yield url
    await backends.drop_database(url)


@pytest.fixture(scope="session", autouse=True)
def _drop_template_at_the_end() -> Iterator[None]:
    yield
    if backends.BACKEND == "postgresql":
        asyncio.run(backends.drop_template())
    backends.release_redis_database()

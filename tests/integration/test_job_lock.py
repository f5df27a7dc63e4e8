"""storage.job_lock: one holder per name. On PostgreSQL across instances (two engines stand for two
processes), on SQLite within the one process that SQLite allows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from storage.database import SqlDatabase
from storage.job_lock import JobLocks, lock_key
from tests.backends import requires_postgres


@pytest.fixture
async def two_instances(database_url: str) -> AsyncIterator[tuple[JobLocks, JobLocks]]:
    """The locks of two instances: two engines on PostgreSQL; one process (one JobLocks) on SQLite."""
    first, second = SqlDatabase(database_url), SqlDatabase(database_url)
    try:
        locks = JobLocks(first.write_engine)
        yield locks, (locks if first.is_sqlite else JobLocks(second.write_engine))
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_held_job_is_skipped_elsewhere_and_free_again_afterwards(two_instances) -> None:
    a, b = two_instances
    async with a.try_hold("housekeeping") as ours:
        assert ours
        async with b.try_hold("housekeeping") as theirs:
            assert not theirs
        async with b.try_hold("digest") as other_job:
            assert other_job, "each name is a lock of its own"
    async with b.try_hold("housekeeping") as theirs:
        assert theirs


async def test_a_failed_run_lets_go(two_instances) -> None:
    a, b = two_instances
    with pytest.raises(RuntimeError):
        async with a.try_hold("housekeeping") as ours:
            assert ours
            raise RuntimeError("the job broke")
    async with b.try_hold("housekeeping") as theirs:
        assert theirs


async def test_start_up_waits_for_the_instance_ahead(two_instances) -> None:
    a, b = two_instances
    inside: list[str] = []
    overlaps: list[tuple[str, ...]] = []

    async def start(locks: JobLocks, name: str) -> None:
        async with locks.hold("start-up"):
            inside.append(name)
            overlaps.append(tuple(inside))
            await asyncio.sleep(0.2)  # migrating and seeding
            inside.remove(name)

    await asyncio.gather(start(a, "a"), start(b, "b"), start(a, "c"))
    assert sorted(overlaps) == [("a",), ("b",), ("c",)], "one instance at a time"


@requires_postgres
async def test_the_lock_of_a_dead_instance_is_gone_with_its_connection(database_url: str) -> None:
    a_db, b_db = SqlDatabase(database_url), SqlDatabase(database_url)
    try:
        a, b = JobLocks(a_db.write_engine), JobLocks(b_db.write_engine)
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for a killed connection
            async with a.try_hold("housekeeping") as ours:
                assert ours
                async with b_db.write_engine.connect() as killer:  # the process dies: its session ends
                    # Advisory locks belong to one database: only this test's database is looked at.
                    killed = await killer.scalar(text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                        "AND classid = ((:key::bigint >> 32) & 4294967295)::oid "
                        "AND objid = (:key::bigint & 4294967295)::oid AND pid <> pg_backend_pid()"),
                        {"key": lock_key("housekeeping")})
                    assert killed == 1
        async with b.try_hold("housekeeping") as theirs:
            assert theirs
    finally:
        await a_db.dispose()
        await b_db.dispose()

"""Named locks across every bot instance that shares the database: one runner per periodic job,
one instance at a time through start-up (migrations, seeding).

On PostgreSQL these are transaction-level advisory locks taken on a connection of their own and
held while the work runs in its own transactions; the lock goes when that transaction ends, and
with the connection if the process dies, so a crashed instance can never leave one behind.
SQLite means a single instance (one writer, one file on one machine), so a lock in the process
is enough there.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


def lock_key(name: str) -> int:
    """A stable signed 64-bit key per name (advisory locks are keyed by bigint), prefixed with the
    application's name so another application sharing the server does not collide with ours."""
    digest = hashlib.blake2b(f"yijian:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class JobLocks:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._shared = engine.dialect.name == "postgresql"
        self._local: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def try_hold(self, name: str) -> AsyncIterator[bool]:
        """Yields True if this instance now holds `name` until the block ends, False if another holds it."""
        if not self._shared:
            local = self._local.setdefault(name, asyncio.Lock())
            if local.locked():
                yield False
                return
            async with local:
                yield True
            return
        async with self._engine.connect() as connection, connection.begin():
            held = await connection.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": lock_key(name)})
            yield bool(held)

    @asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[None]:
        """Waits until this instance holds `name`, and holds it until the block ends."""
        if not self._shared:
            async with self._local.setdefault(name, asyncio.Lock()):
                yield
            return
        async with self._engine.connect() as connection, connection.begin():
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
            yield

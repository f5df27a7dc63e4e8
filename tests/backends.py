"""Which database and conversation-state backends the test run was asked for, and fresh databases on them.

The suite runs once per backend: YIJIAN_TEST_BACKEND=sqlite (the default: SQLite files, FSM state in
SQL) or YIJIAN_TEST_BACKEND=postgresql (PostgreSQL from YIJIAN_TEST_POSTGRES_URL, conversation state in
Redis from YIJIAN_TEST_REDIS_URL). `.ci/run` runs both. A test that needs PostgreSQL is marked
`requires_postgres` and is skipped only in a run that did not ask for it.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy.engine import make_url

BACKEND = os.environ.get("YIJIAN_TEST_BACKEND", "sqlite")
if BACKEND not in {"sqlite", "postgresql"}:
    raise RuntimeError(f"YIJIAN_TEST_BACKEND must be sqlite or postgresql, not {BACKEND!r}")

requires_postgres = pytest.mark.skipif(
    BACKEND != "postgresql", reason="needs PostgreSQL: runs in the YIJIAN_TEST_BACKEND=postgresql pass (.ci/run)"
)

_template: str | None = None  # a database migrated to head, copied for each test (fast: no migrations per test)
_redis_claim: int | None = None  # the Redis database number this run claimed (claimed_redis_url)
REDIS_DATABASES = 16  # Redis's default number of databases
REDIS_CLAIM_SECONDS = 3600


def postgres_server_url() -> str:
    """The maintenance database of the test server; a run that asked for PostgreSQL fails without it."""
    url = os.environ.get("YIJIAN_TEST_POSTGRES_URL")
    if not url:
        raise RuntimeError("YIJIAN_TEST_BACKEND=postgresql needs YIJIAN_TEST_POSTGRES_URL (see .ci/services)")
    return url


def redis_url() -> str | None:
    """Redis for conversation state in the PostgreSQL pass (the production pairing), else None."""
    if BACKEND != "postgresql":
        return None
    url = claimed_redis_url()
    if not url:
        raise RuntimeError("YIJIAN_TEST_BACKEND=postgresql needs YIJIAN_TEST_REDIS_URL (see .ci/services)")
    return url


def _redis_database(url: str, number: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


def claimed_redis_url() -> str | None:
    """A Redis database number of this test run's own on the server of YIJIAN_TEST_REDIS_URL (None when
    unset). Each test empties its database first, and several runs share the server, so a run claims a
    number with a key in database 0 (it expires, should the run be killed) and frees it at the end."""
    global _redis_claim
    base = os.environ.get("YIJIAN_TEST_REDIS_URL")
    if not base:
        return None
    if _redis_claim is None:
        import redis

        with redis.Redis.from_url(_redis_database(base, 0)) as client:
            for number in range(1, REDIS_DATABASES):
                if client.set(f"yijian-test:claim:{number}", os.getpid(), nx=True, ex=REDIS_CLAIM_SECONDS):
                    _redis_claim = number
                    break
            else:
                raise RuntimeError(f"every Redis database 1-{REDIS_DATABASES - 1} is claimed by another test run")
    return _redis_database(base, _redis_claim)


def release_redis_database() -> None:
    global _redis_claim
    base = os.environ.get("YIJIAN_TEST_REDIS_URL")
    if base and _redis_claim is not None:
        import redis

        with redis.Redis.from_url(_redis_database(base, _redis_claim)) as client:
            client.flushdb()
        with redis.Redis.from_url(_redis_database(base, 0)) as client:
            client.delete(f"yijian-test:claim:{_redis_claim}")
        _redis_claim = None


async def _execute(statement: str) -> None:
    import asyncpg

    server = make_url(postgres_server_url())
    connection = await asyncpg.connect(
        user=server.username, password=server.password, host=server.host, port=server.port, database=server.database
    )
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _with_database(name: str) -> str:
    return make_url(postgres_server_url()).set(database=name).render_as_string(hide_password=False)


async def _migrated_template() -> str:
    global _template
    if _template is None:
        from storage.database import SqlDatabase
        from storage.migrate import migrate

        name = f"yijian_template_{os.getpid()}"  # per process: several pytest runs may share the server
        await _execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _execute(f'CREATE DATABASE "{name}"')
        database = SqlDatabase(_with_database(name))
        try:
            await migrate(database.write_engine)
        finally:
            await database.dispose()
        _template = name
    return _template


async def new_database_url(tmp_path: Path, *, migrated: bool = True, backend: str = BACKEND) -> str:
    """The URL of a new database of its own for one test: empty, or already migrated to head."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / f'yijian-{uuid.uuid4().hex[:8]}.db'}"
    template = await _migrated_template() if migrated else "template0"
    name = f"yijian_test_{os.getpid()}_{uuid.uuid4().hex[:12]}"
    await _execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return _with_database(name)


async def drop_database(url: str) -> None:
    """Drops a PostgreSQL test database (connections of a killed bot included); SQLite files go with tmp_path."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        await _execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


async def drop_template() -> None:
    global _template
    if _template is not None:
        await _execute(f'DROP DATABASE IF EXISTS "{_template}" WITH (FORCE)')
        _template = None

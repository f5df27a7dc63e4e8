"""What the benchmarks share: the machine they ran on, throwaway databases, percentiles, memory.

PostgreSQL and Redis are the shared test servers of `.ci/services` (YIJIAN_TEST_POSTGRES_URL,
YIJIAN_TEST_REDIS_URL): a benchmark creates a database of its own and drops it, and claims a Redis
database number the way tests/backends.py does (a key in database 0), so that a test run sharing
the server never empties it under the benchmark, nor the benchmark the tests'.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REDIS_DATABASES = 16
REDIS_CLAIM_SECONDS = 3600


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    return (f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, {platform.system()} "
            f"{platform.release()}; load average now {load()}")


def load() -> str:
    """The 1/5/15-minute load averages: other work on a shared machine distorts the figures."""
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def rss_mib() -> float:
    """Resident memory of this process now (not the peak), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mib() -> float:
    """Peak resident memory of this process, from /proc (VmHWM). Not getrusage's ru_maxrss: Linux keeps
    that across execve, so a spawned child would report its parent's size at the fork as its own peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0.0 without values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def postgres_server() -> str:
    url = os.environ.get("YIJIAN_TEST_POSTGRES_URL")
    if not url:
        raise SystemExit('PostgreSQL asked for: run `eval "$(.ci/services start)"` first (YIJIAN_TEST_POSTGRES_URL)')
    return url


async def _admin(statement: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    server = make_url(postgres_server())
    connection = await asyncpg.connect(user=server.username, password=server.password, host=server.host,
                                       port=server.port, database=server.database)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create_postgres_database(label: str) -> str:
    from sqlalchemy.engine import make_url

    name = f"yijian_bench_{label}_{os.getpid()}"
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _admin(f'CREATE DATABASE "{name}"')
    return make_url(postgres_server()).set(database=name).render_as_string(hide_password=False)


async def drop_postgres_database(url: str) -> None:
    from sqlalchemy.engine import make_url

    await _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def claim_redis() -> str | None:
    """A Redis database number of our own on the shared server, emptied; None without YIJIAN_TEST_REDIS_URL."""
    import redis

    base = os.environ.get("YIJIAN_TEST_REDIS_URL")
    if not base:
        return None
    with redis.Redis.from_url(_redis_database(base, 0)) as client:
        for number in range(1, REDIS_DATABASES):
            if client.set(f"yijian-test:claim:{number}", f"bench {os.getpid()}", nx=True, ex=REDIS_CLAIM_SECONDS):
                url = _redis_database(base, number)
                with redis.Redis.from_url(url) as mine:
                    mine.flushdb()
                return url
    raise SystemExit("every Redis database is claimed by test runs: try again later")


def release_redis(url: str | None) -> None:
    if url is None:
        return
    import redis

    number = int(urlsplit(url).path.lstrip("/"))
    with redis.Redis.from_url(url) as mine:
        mine.flushdb()
    with redis.Redis.from_url(_redis_database(url, 0)) as client:
        client.delete(f"yijian-test:claim:{number}")


def _redis_database(url: str, number: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))

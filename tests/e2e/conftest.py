from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from tests import backends
from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.driver import Clock, Person, RunningBot

ADMIN_ID = 9001


@pytest.fixture
async def stub() -> AsyncIterator[BotAPIStub]:
    async with BotAPIStub() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def redis_url(request: pytest.FixtureRequest) -> str | None:
    """Where conversation state lives: Redis in the PostgreSQL pass (tests/backends.py), SQL otherwise.
    Tests parametrised with "sql" / "redis" ask for one of them in either pass ("redis" needs
    YIJIAN_TEST_REDIS_URL, which .ci/run sets)."""
    asked = getattr(request, "param", "redis" if backends.BACKEND == "postgresql" else "sql")
    if asked == "sql":
        return None
    url = backends.redis_url() or backends.claimed_redis_url()
    if not url:
        pytest.skip("Redis not asked for: set YIJIAN_TEST_REDIS_URL (.ci/run does)")
    from redis.asyncio import Redis

    async with Redis.from_url(url) as client:
        await client.flushdb()  # this run's own database number: nothing of an earlier test leaks in
    return url


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, object]:
    """Tests change settings with @pytest.mark.parametrize("settings_overrides", [{…}], indirect=True)."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def settings(
    stub: BotAPIStub, fresh_database_url: str, redis_url: str | None, settings_overrides: dict[str, object]
) -> Settings:
    return Settings(
        _env_file=None, bot_token="42:TEST", telegram_api_url=stub.base_url,
        database_url=fresh_database_url, redis_url=redis_url,
        default_language="zh", timezone="Asia/Shanghai", admin_ids=[ADMIN_ID],
        # Tests deliver the outbox themselves (bot.app.notifier.deliver_due) unless they ask for ticks,
        # and the quiet hours are off unless a test sets them with its own clock. Flood control is off too
        # (tests press faster than people can); test_flood.py switches it on with the production defaults.
        outbox_tick_seconds=3600, quiet_hours="", flood_messages=10_000,
    ).model_copy(update=settings_overrides)


@pytest.fixture
async def bot(settings: Settings, clock: Clock, stub: BotAPIStub) -> AsyncIterator[RunningBot]:
    running = RunningBot(settings, clock)
    await running.start()
    yield running
    if running.app is not None:
        await running.stop()
    # Whatever the test did, nothing the bot sent may have failed Telegram's HTML parsing.
    assert stub.parse_errors == [], stub.parse_errors


@pytest.fixture
def resident(stub: BotAPIStub, bot: RunningBot) -> Person:
    return Person(stub, 1001, first_name="李华")


@pytest.fixture
def admin(stub: BotAPIStub, bot: RunningBot) -> Person:
    """A staff admin from ADMIN_IDS (the committee's office)."""
    return Person(stub, ADMIN_ID, first_name="王主任")

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.driver import Clock, Person, RunningBot


@pytest.fixture
async def stub() -> AsyncIterator[BotAPIStub]:
    async with BotAPIStub() as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(stub: BotAPIStub, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None, bot_token="42:TEST", telegram_api_url=stub.base_url,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/yijian.db", redis_url=None,
        default_language="zh", timezone="Asia/Shanghai",
    )


@pytest.fixture
async def bot(settings: Settings, clock: Clock) -> AsyncIterator[RunningBot]:
    running = RunningBot(settings, clock)
    await running.start()
    yield running
    if running.app is not None:
        await running.stop()


@pytest.fixture
def resident(stub: BotAPIStub, bot: RunningBot) -> Person:
    return Person(stub, 1001, first_name="李华")

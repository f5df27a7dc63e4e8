"""Webhook mode of `python -m bot`: the secret-token check, updates handled, the health endpoint.

One bot process serves the whole module (starting one takes seconds); each test has residents of its own.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiohttp.test_utils import TestClient, TestServer

from bot.webhook import make_app, probes
from storage.database import SqlDatabase
from tests import backends
from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.webhook_driver import PUBLIC_URL, SECRET, Resident, WebhookBot, bot_env, free_port

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stub() -> AsyncIterator[BotAPIStub]:
    async with BotAPIStub() as running:
        yield running
    assert running.parse_errors == []


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def webhook_bot(stub: BotAPIStub, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WebhookBot]:
    tmp_path = tmp_path_factory.mktemp("webhook")
    url = await backends.new_database_url(tmp_path)
    redis = backends.redis_url()
    bot = WebhookBot("webhook", stub, url, tmp_path, **({"REDIS_URL": redis} if redis else {}))
    await bot.start()
    try:
        await bot.wait_ready()
        yield bot
    finally:
        assert await bot.stop() == 0, bot.log()
        await backends.drop_database(url)


def user_id() -> int:
    return random.randrange(7_100_000_000, 7_199_999_999)  # conversation state may live in a shared Redis


async def test_setwebhook_names_the_path_and_the_secret(stub: BotAPIStub, webhook_bot: WebhookBot) -> None:
    [announced] = [e["params"] for e in stub.events if e["method"] == "setWebhook"]
    assert announced["url"] == f"{PUBLIC_URL}/telegram/webhook"
    assert announced["secret_token"] == SECRET
    assert not any(e["method"] == "deleteWebhook" for e in stub.events), "other instances may be serving it"


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
async def test_update_without_the_right_secret_is_refused_and_not_processed(
        stub: BotAPIStub, webhook_bot: WebhookBot, secret: str | None) -> None:
    resident = Resident(stub, user_id())
    mark = stub.mark()
    assert await webhook_bot.post(stub.send_text(resident.user_id, "/start"), secret=secret) == 401
    await asyncio.sleep(0.5)  # a handler running in the background would have answered by now
    assert [e for e in stub.events[mark:] if e["chat_id"] == resident.user_id] == []
    # The same resident with the right secret is served: the refusal was the secret, nothing else.
    await resident.say(webhook_bot, "/start")
    assert resident.replies and "✅" in str(stub.buttons(resident.replies[-1]))


async def test_a_conversation_over_the_webhook_ends_in_one_receipt(stub: BotAPIStub, webhook_bot: WebhookBot) -> None:
    resident = Resident(stub, user_id())
    await resident.say(webhook_bot, "/start")
    await resident.press(webhook_bot, "✅")
    await resident.say(webhook_bot, "/start d2")
    await resident.press(webhook_bot, "对草案整体提意见")
    await resident.say(webhook_bot, "建议把夜间施工的时段延长到早上7点。")
    assert "预览" in resident.text
    await resident.press(webhook_bot, "提交")
    [number] = resident.receipts()
    assert number in resident.text


async def test_healthz_reports_the_database(webhook_bot: WebhookBot) -> None:
    status, body = await webhook_bot.health()
    assert status == 200 and body["status"] == "ok" and body["database"] == "ok"
    assert body.get("redis", "ok") == "ok"


async def test_healthz_is_503_while_the_database_does_not_answer() -> None:
    # A real PostgreSQL URL on a port where nothing listens: the connection is refused.
    db = SqlDatabase("postgresql+asyncpg://yijian@127.0.0.1:9/yijian")
    dp = Dispatcher()
    bot = Bot("42:TEST")
    try:
        async with TestClient(TestServer(make_app(bot, dp, SECRET, probes(db, dp)))) as client:
            response = await client.get("/healthz")
            assert response.status == 503
            body = await response.json()
            assert body["status"] == "unavailable" and body["database"].startswith("unavailable")
    finally:
        await bot.session.close()
        await db.dispose()


@pytest.mark.parametrize(("settings", "named"), [
    ({"WEBHOOK_URL": "https://bot.example.org"}, "WEBHOOK_SECRET is not set"),
    ({"WEBHOOK_URL": "http://bot.example.org", "WEBHOOK_SECRET": "abc"}, "WEBHOOK_URL is malformed"),
])
async def test_webhook_without_its_settings_stops_with_one_clear_line(
        tmp_path: Path, stub: BotAPIStub, settings: dict[str, str], named: str) -> None:
    env = bot_env(stub, f"sqlite+aiosqlite:///{tmp_path}/unused.db", free_port())
    env = {k: v for k, v in env.items() if k not in {"WEBHOOK_URL", "WEBHOOK_SECRET"}} | settings
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=tmp_path, env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 2 and len(lines) == 1 and named in lines[0], lines

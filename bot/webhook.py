"""Webhook mode: an aiohttp server that takes updates from Telegram and answers the load balancer.

POST /telegram/webhook carries updates. aiogram's SimpleRequestHandler compares the
X-Telegram-Bot-Api-Secret-Token header with WEBHOOK_SECRET before it reads the body: a request
without it, or with another, gets 401 and is not processed. Each update is handled before the
response (handle_in_background=False), so Telegram sends it again if this instance fails or
dies half-way, instead of it being lost after a hasty 200.

GET /healthz: 200 with {"status": "ok", ...} while the database (and Redis, when conversation
state lives there) answer within a few seconds, 503 otherwise, so the load balancer sends
updates only to instances that can handle them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from sqlalchemy import text

from storage.database import SqlDatabase

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
HEALTH_PATH = "/healthz"
PROBE_TIMEOUT_SECONDS = 3.0

Probe = Callable[[], Awaitable[object]]


def probes(db: SqlDatabase, dp: Dispatcher) -> dict[str, Probe]:
    """What this instance needs in order to handle an update."""

    async def database() -> None:
        async with db.read_engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    checks: dict[str, Probe] = {"database": database}
    if isinstance(dp.storage, RedisStorage):
        checks["redis"] = dp.storage.redis.ping
    return checks


async def _check(probe: Probe) -> str:
    try:
        await asyncio.wait_for(probe(), PROBE_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"; its name is the answer
        return f"unavailable: {type(error).__name__}"
    return "ok"


def make_app(bot: Bot, dp: Dispatcher, secret: str, checks: dict[str, Probe]) -> web.Application:
    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token=secret).register(app, path=WEBHOOK_PATH)

    async def health(_request: web.Request) -> web.Response:
        results = dict(zip(checks, await asyncio.gather(*(_check(probe) for probe in checks.values())), strict=True))
        healthy = all(result == "ok" for result in results.values())
        return web.json_response({"status": "ok" if healthy else "unavailable", **results},
                                 status=200 if healthy else 503)

    app.router.add_get(HEALTH_PATH, health)
    setup_application(app, dp, bot=bot)  # the dispatcher's startup/shutdown hooks run with the server's
    return app


async def serve(app: web.Application, host: str, port: int, stop: asyncio.Event,
                on_listening: Callable[[], Awaitable[None]], on_stopping: Callable[[], Awaitable[None]]) -> None:
    """Listens until `stop` is set; `on_listening` runs once the port is open (setWebhook goes there:
    Telegram starts posting at once), `on_stopping` once `stop` is set. On the way out, requests in
    progress are allowed to finish."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=30)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("Yijian is listening for webhooks on %s:%d%s", host, port, WEBHOOK_PATH)
        await on_listening()
        await stop.wait()
        await on_stopping()
    finally:
        await runner.cleanup()

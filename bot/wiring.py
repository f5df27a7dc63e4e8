"""The composition root: builds the database, use cases, dispatcher and bot from the settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.utils.i18n import I18n

from bot.commands import register_commands
from bot.config import Settings
from bot.i18n import make_i18n
from bot.middlewares import ApologyMiddleware, ResidentLocaleMiddleware, ResidentMiddleware
from drafts.answering import Answering
from drafts.bundled import seed_bundled_drafts
from drafts.commenting import Commenting
from drafts.language import LinguaDetector
from drafts.moderation import Moderation
from drafts.publishing import Publishing
from drafts.reading import Reading
from drafts.residents import Residents
from drafts.review import Review
from drafts.staff_directory import StaffDirectory
from drafts.statistics import Statistics
from drafts.synthesis import Synthesis
from handlers import routers
from storage.database import SqlDatabase
from storage.fsm import SqlStorage
from storage.migrate import migrate

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def fsm_storage(settings: Settings, db: SqlDatabase) -> tuple[BaseStorage, BaseEventIsolation]:
    """SQL by default; Redis (with its cross-process lock) when REDIS_URL is set."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        storage = RedisStorage.from_url(settings.redis_url, key_builder=DefaultKeyBuilder(with_destiny=True))
        return storage, storage.create_isolation()
    # One process: an in-process lock per chat keeps a double-pressed Submit from racing itself.
    return SqlStorage(db.session_factory, db.read_session_factory), SimpleEventIsolation()


@dataclass
class Yijian:
    settings: Settings
    db: SqlDatabase
    bot: Bot
    dp: Dispatcher
    i18n: I18n

    async def run_polling(self, handle_signals: bool = True, polling_timeout: int = 30) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        await register_commands(self.bot, self.i18n)
        log.info("Yijian is polling %s", self.settings.telegram_api_url)
        await self.dp.start_polling(self.bot, handle_signals=handle_signals, polling_timeout=polling_timeout,
                                    close_bot_session=False)

    async def close(self) -> None:
        await self.dp.storage.close()
        await self.dp.fsm.events_isolation.close()
        await self.bot.session.close()
        await self.db.dispose()


async def build(settings: Settings, clock: Clock = utc_now) -> Yijian:
    db = SqlDatabase(settings.database_url)
    await migrate(db.write_engine)
    seeded = await seed_bundled_drafts(db, clock(), settings.consultation_days)
    if seeded:
        log.info("loaded %d bundled drafts, open for %d days", seeded, settings.consultation_days)
    i18n = make_i18n(settings.default_language)
    residents = Residents(db, clock)
    staff_directory = StaffDirectory(db, clock)
    await staff_directory.bootstrap(settings.admin_ids)
    storage, isolation = fsm_storage(settings, db)
    dp = Dispatcher(storage=storage, events_isolation=isolation)
    dp.update.outer_middleware(ApologyMiddleware(i18n))
    dp.update.outer_middleware(ResidentMiddleware(residents, staff_directory))
    ResidentLocaleMiddleware(i18n).setup(dp)
    dp.include_routers(*routers())
    dp.workflow_data.update(
        reading=Reading(db, clock),
        commenting=Commenting(db, clock, LinguaDetector(settings.comment_languages), settings.zone),
        residents=residents,
        staff_directory=staff_directory,
        publishing=Publishing(db, clock),
        review=Review(db, clock),
        answering=Answering(db, clock),
        moderation=Moderation(db, clock),
        statistics=Statistics(db, clock),
        synthesis=Synthesis(db, clock, settings.zone),
        tz=settings.zone,
        clock=clock,
    )
    bot = Bot(
        settings.bot_token.get_secret_value(),
        session=AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url)),
        default=DefaultBotProperties(parse_mode="HTML"),
    )
    return Yijian(settings, db, bot, dp, i18n)

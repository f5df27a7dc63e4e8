"""The composition root: builds the database, use cases, dispatcher and bot from the settings."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.utils.i18n import I18n
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.commands import register_commands
from bot.config import Settings
from bot.i18n import make_i18n
from bot.middlewares import ApologyMiddleware, ResidentLocaleMiddleware, ResidentMiddleware
from bot.notifier import Notifier
from bot.scheduler import make_scheduler
from bot.throttling import install_flood_control
from drafts.answering import Answering
from drafts.bundled import seed_bundled_drafts
from drafts.commenting import Commenting
from drafts.delivery import parse_quiet_hours
from drafts.feedback import Feedback
from drafts.language import LinguaDetector
from drafts.moderation import Moderation
from drafts.publishing import Publishing
from drafts.reading import Reading
from drafts.residents import Residents
from drafts.review import Review
from drafts.schedule import Housekeeping
from drafts.staff_directory import StaffDirectory
from drafts.statistics import Statistics
from drafts.synthesis import Synthesis
from handlers import routers
from handlers.notices import NoticeRenderer
from storage.database import SqlDatabase
from storage.fsm import SqlStorage
from storage.migrate import migrate
from storage.outbox_queue import OutboxQueue

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
    notifier: Notifier
    housekeeping: Housekeeping
    scheduler: AsyncIOScheduler | None = None

    async def run_polling(self, handle_signals: bool = True, polling_timeout: int = 30) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        await register_commands(self.bot, self.i18n)
        self.scheduler = make_scheduler(self.notifier, self.housekeeping, self.settings.outbox_tick_seconds)
        self.scheduler.start()
        log.info("Yijian is polling %s", self.settings.telegram_api_url)
        try:
            await self.dp.start_polling(self.bot, handle_signals=handle_signals, polling_timeout=polling_timeout,
                                        close_bot_session=False)
        finally:
            self.scheduler.shutdown(wait=False)

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
    # The apology first: aiogram's FSM middleware reads the conversation state before any handler, and
    # with the state in SQL a database outage fails there; behind it, nobody would be told to retry.
    dp.update.outer_middleware(ApologyMiddleware(i18n))
    install_flood_control(dp, settings.flood_messages, settings.flood_window_seconds, i18n, residents)
    dp.update.outer_middleware(ResidentMiddleware(residents, staff_directory))
    ResidentLocaleMiddleware(i18n).setup(dp)
    dp.include_routers(*routers())
    reading = Reading(db, clock)
    feedback = Feedback(db, clock)
    dp.workflow_data.update(
        reading=reading,
        feedback=feedback,
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
    renderer = NoticeRenderer(i18n, feedback, reading, residents, settings.zone)
    notifier = Notifier(bot, OutboxQueue(db, timedelta(seconds=settings.outbox_lease_seconds)), renderer, clock, settings.zone,
                        parse_quiet_hours(settings.quiet_hours), settings.send_rate_global,
                        settings.send_rate_per_chat, settings.outbox_max_attempts)
    housekeeping = Housekeeping(db, clock, settings.zone, settings.reminder_days, settings.unanswered_warning_days)
    return Yijian(settings, db, bot, dp, i18n, notifier, housekeeping)

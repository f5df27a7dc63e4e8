"""The composition root: builds the database, use cases, dispatcher and bot from the settings."""

from __future__ import annotations

import asyncio
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

from bot.commands import register_commands
from bot.config import Settings
from bot.i18n import make_i18n
from bot.middlewares import ApologyMiddleware, ResidentLocaleMiddleware, ResidentMiddleware
from bot.notifier import Notifier
from bot.response_types import pin_response_types
from bot.scheduler import Scheduler, make_scheduler
from bot.throttling import make_flood_control
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
from storage.job_lock import JobLocks
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
    locks: JobLocks
    scheduler: Scheduler | None = None

    def _start_scheduler(self) -> None:
        self.scheduler = make_scheduler(self.notifier, self.housekeeping, self.locks,
                                        self.settings.outbox_tick_seconds, self.settings.housekeeping_tick_seconds)
        self.scheduler.start()

    async def run_polling(self, handle_signals: bool = True, polling_timeout: int = 30) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        await register_commands(self.bot, self.i18n)
        self._start_scheduler()
        log.info("Yijian is polling %s", self.settings.telegram_api_url)
        try:
            await self.dp.start_polling(self.bot, handle_signals=handle_signals, polling_timeout=polling_timeout,
                                        close_bot_session=False)
        finally:
            await self.scheduler.stop()

    async def run_webhook(self, stop: asyncio.Event) -> None:
        """Serves Telegram's webhook (bot/webhook.py) until `stop` is set; the scheduler ticks as when
        polling. The webhook is not deleted on the way out: other instances may still be serving it."""
        from bot.webhook import WEBHOOK_PATH, make_app, probes, serve

        secret = self.settings.webhook_secret.get_secret_value()
        if not self.settings.redis_url:
            # Conversation state in SQL with an in-process lock: a second instance would race this one.
            log.warning("webhook mode without REDIS_URL: run a single instance (several need Redis)")
        app = make_app(self.bot, self.dp, secret, probes(self.db, self.dp))

        async def announce() -> None:
            await self.bot.set_webhook(self.settings.webhook_url + WEBHOOK_PATH, secret_token=secret,
                                       allowed_updates=self.dp.resolve_used_update_types(),
                                       drop_pending_updates=False)
            await register_commands(self.bot, self.i18n)

        self._start_scheduler()
        assert self.scheduler is not None
        try:
            # The ticks stop before the server does: a delivery must not lose the bot's session mid-send.
            await serve(app, self.settings.webhook_host, self.settings.webhook_port, stop, announce,
                        self.scheduler.stop)
        finally:
            if self.scheduler.running:  # serve failed before `stop` (the port was taken, say)
                await self.scheduler.stop()

    async def close(self) -> None:
        await self.dp.storage.close()
        await self.dp.fsm.events_isolation.close()
        await self.bot.session.close()
        await self.db.dispose()


async def build(settings: Settings, clock: Clock = utc_now) -> Yijian:
    pin_response_types()  # see bot/response_types.py: a pydantic schema rebuilt after every GC otherwise
    db = SqlDatabase(settings.database_url)
    locks = JobLocks(db.write_engine)
    async with locks.hold("start-up"):  # instances starting together: one migrates and seeds, then the next
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
    # The order of the update middlewares, outermost first. aiogram registers its FSM middleware when the
    # Dispatcher is made; it is taken out and put back after ours that must come before it:
    # - the apology: the FSM middleware reads the conversation state, and with the state in SQL a
    #   database outage fails there; behind it, nobody would be told to retry;
    # - flood control: a flood must be counted as it arrives, not as the FSM's per-chat lock lets it in.
    dp.update.outer_middleware.unregister(dp.fsm)
    dp.update.outer_middleware(ApologyMiddleware(i18n))
    dp.update.outer_middleware(make_flood_control(dp, settings.flood_messages, settings.flood_window_seconds,
                                                  i18n, residents))
    dp.update.outer_middleware(dp.fsm)
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
    return Yijian(settings, db, bot, dp, i18n, notifier, housekeeping, locks)

"""Flood control: a person sending too much too fast is told once to slow down, and the rest is dropped.

A fixed window per person starts with their first update: up to FLOOD_MESSAGES updates (messages,
edits, button presses) within FLOOD_WINDOW_SECONDS are served; the next one gets one polite notice;
everything after it is dropped quietly until the window has passed. Dropped updates never reach a
handler, so nothing already submitted and no conversation in progress is touched. Button presses
that are dropped are still answered (empty), so the client's spinner stops.

The counter lives in Redis when conversation state does (REDIS_URL: several instances count
together), in this process otherwise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import locale_of
from drafts.residents import Residents

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
log = logging.getLogger(__name__)


class FloodCounter(Protocol):
    async def hit(self, user_id: int) -> int:
        """Count one update of this person; how many they sent in the current window, this one included."""


class MemoryFloodCounter:
    """One process: windows in a dict, expired ones swept now and then so it cannot grow without bound."""

    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window, self.clock = window_seconds, clock
        self.windows: dict[int, tuple[float, int]] = {}  # user -> (window start, count)
        self.next_sweep = 0.0

    async def hit(self, user_id: int) -> int:
        now = self.clock()
        if now >= self.next_sweep:
            self.windows = {u: w for u, w in self.windows.items() if now - w[0] < self.window}
            self.next_sweep = now + self.window
        start, count = self.windows.get(user_id, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        self.windows[user_id] = (start, count + 1)
        return count + 1


class RedisFloodCounter:
    """Several instances: one key per person, created with its expiry and incremented in one transaction
    (a key without an expiry would throttle someone for ever)."""

    def __init__(self, redis: Any, window_seconds: float, prefix: str = "yijian:flood") -> None:
        self.redis, self.window_ms, self.prefix = redis, max(int(window_seconds * 1000), 1), prefix

    async def hit(self, user_id: int) -> int:
        key = f"{self.prefix}:{user_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(key, 0, px=self.window_ms, nx=True)
            pipe.incr(key)  # INCR keeps the expiry set above
            _, count = await pipe.execute()
        return int(count)


class FloodControlMiddleware(BaseMiddleware):
    def __init__(self, counter: FloodCounter, limit: int, window_seconds: float, i18n: I18n,
                 residents: Residents) -> None:
        self.counter, self.limit, self.window = counter, limit, window_seconds
        self.i18n, self.residents = i18n, residents

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if not isinstance(event, Update) or user is None or not counted(event):
            return await handler(event, data)
        try:
            count = await self.counter.hit(user.id)
        except Exception:  # noqa: BLE001 - Redis down: serve rather than silence everyone
            log.warning("flood counter unavailable; update %s served unthrottled", event.update_id, exc_info=True)
            return await handler(event, data)
        if count <= self.limit:
            return await handler(event, data)
        bot: Bot = data["bot"]
        try:
            if count == self.limit + 1:
                log.info("throttling %s for up to %.0f s", user.id, self.window)
                await self.notify(bot, event, user)
            elif event.callback_query is not None:
                await event.callback_query.answer()
        except Exception:  # noqa: BLE001 - the notice is a courtesy; the update is dropped either way
            log.warning("could not tell %s to slow down", user.id, exc_info=True)
        return None

    async def notify(self, bot: Bot, event: Update, user: User) -> None:
        with self.i18n.context(), self.i18n.use_locale(await self.locale(user)):
            text = _("You are sending messages faster than I can read them, so I will ignore new ones for "
                     "{seconds} seconds. Everything you already submitted is kept, and a comment you are "
                     "writing is not lost. Please wait a moment, then carry on.").format(seconds=round(self.window))
        if event.callback_query is not None:
            await event.callback_query.answer(text, show_alert=True)
        elif private_chat_id(event) is not None:
            await bot.send_message(user.id, text)

    async def locale(self, user: User) -> str:
        """The resident's chosen language (one database read, once per flood), else Telegram's."""
        resident = await self.residents.get(user.id)
        if resident is not None and resident.language in self.i18n.available_locales:
            return str(resident.language)
        return locale_of(user.language_code, self.i18n.available_locales) or self.i18n.default_locale


def counted(event: Update) -> bool:
    """What a person sends: messages, edits, button presses (not membership changes)."""
    return any(x is not None for x in (event.message, event.edited_message, event.callback_query))


def private_chat_id(event: Update) -> int | None:
    message = event.message or event.edited_message
    return message.chat.id if message is not None and message.chat.type == "private" else None


def make_flood_control(dp: Dispatcher, limit: int, window_seconds: float, i18n: I18n,
                       residents: Residents) -> FloodControlMiddleware:
    """Flood control counting in Redis when the conversation state is there (several instances), else here.
    It belongs in front of aiogram's FSM middleware (bot/wiring.py puts it there): that one takes the
    per-chat lock (in Redis, polled every 0.1 s) first, so a flood counted behind it would be counted as
    slowly as it drains, and its tail served once the window passed."""
    storage_redis = getattr(dp.storage, "redis", None)  # RedisStorage when REDIS_URL is set
    counter: FloodCounter = (RedisFloodCounter(storage_redis, window_seconds) if storage_redis is not None
                             else MemoryFloodCounter(window_seconds))
    return FloodControlMiddleware(counter, limit, window_seconds, i18n, residents)

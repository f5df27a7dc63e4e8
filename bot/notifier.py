"""Delivers due notices from the outbox to Telegram, within Telegram's limits.

Rates: one AsyncLimiter for all chats (SEND_RATE_GLOBAL) and one per chat (SEND_RATE_PER_CHAT),
so the bot is never rate-banned. Telegram's answers decide what happens to a notice:
429 waits retry_after and tries again; 403 and 400 "chat not found" mark the resident
unreachable; 5xx and network errors back off exponentially, up to OUTBOX_MAX_ATTEMPTS, then the
notice is 'failed' for staff to see. During quiet hours resident notices are not claimed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta, tzinfo
from time import monotonic

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiolimiter import AsyncLimiter

from drafts.delivery import QUIET_KINDS, in_quiet_hours, retry_delay
from drafts.notices import Notice
from handlers.notices import NoticeRenderer
from storage.outbox_queue import OutboxQueue

log = logging.getLogger(__name__)
FLUSH_EVERY = 25  # sent rows marked per write; a crash repeats at most these and the ones in flight
WARM_UP_AFTER = 10.0  # seconds without a message after which connections may have closed
TRANSIENT = (TelegramServerError, TelegramNetworkError, asyncio.TimeoutError, OSError)


class Notifier:
    def __init__(self, bot: Bot, queue: OutboxQueue, renderer: NoticeRenderer, clock: Callable[[], datetime],
                 tz: tzinfo, quiet: tuple[time, time] | None, global_rate: float, chat_rate: float,
                 max_attempts: int) -> None:
        self._bot, self._queue, self._renderer, self._clock = bot, queue, renderer, clock
        self._tz, self._quiet, self._max_attempts = tz, quiet, max_attempts
        # A small burst refilled at (rate - burst)/s: no sliding second ever exceeds the rate
        # (AsyncLimiter(rate, 1) would let a whole second's worth through at once after a pause).
        # 1 % below the limit besides: requests bunch up a little on the way (Telegram counts arrivals).
        burst = max(1.0, global_rate / 100)
        self._global = AsyncLimiter(burst, burst / max(global_rate * 0.99 - burst, 1e-6))
        # The first second after a pause goes slower: the first messages open new connections and
        # arrive later than the ones after them, which would bunch up at Telegram (bench/notify.py saw
        # every one of its few 429s in that first second).
        self._warm_up = AsyncLimiter(burst, burst / max(global_rate * 0.8 - burst, 1e-6))
        self._warm_until = self._last_send = 0.0
        self._chat_rate = chat_rate
        self._chats: dict[int, AsyncLimiter] = {}
        # Claim half a second's worth at a time, and keep at most a second's worth waiting in the
        # queue: a claimed row is sent within about 1.5 s at full rate, far inside its lease, and a
        # crash repeats little.
        self._batch = max(1, int(global_rate / 2))
        self._queued = 2 * self._batch
        # Enough senders in flight that Telegram's latency (0.2 s here) does not cap the rate, and no
        # more than aiohttp's 100 connections.
        self._workers = min(100, max(8, int(global_rate / 5)))
        self._sent: list[int] = []  # marked sent together: one write for many rows
        self._marking = asyncio.Lock()  # one such write at a time; the rows sent meanwhile go in the next
        self._gone: set[int] = set()  # chats found unreachable while their other notices were in flight
        self._closed_until: dict[int, float] = {}  # chat -> monotonic time its 429's retry_after ends
        self.delivered = 0

    async def deliver_due(self) -> int:
        """Send every notice that is due now; returns how many went out.

        A pipeline rather than batch by batch: the next rows are claimed and prepared while the
        workers send the ones before, so the rate does not dip at every claim."""
        # Marks left from a run the database failed go first: claiming before them could take their
        # rows again once the lease has run out, and send them twice.
        await self._flush_sent()
        if monotonic() - self._last_send > WARM_UP_AFTER:
            self._warm_until = monotonic() + 1.0
        queue: asyncio.Queue[Notice | None] = asyncio.Queue(maxsize=self._queued)
        before = self.delivered
        workers = [asyncio.create_task(self._work(queue)) for _ in range(self._workers)]
        try:
            await self._claim_into(queue)
        finally:
            for _ in workers:
                await queue.put(None)  # one stop sign each, after every claimed notice
            await asyncio.gather(*workers)
            await self._flush_sent()
        return self.delivered - before

    async def _claim_into(self, queue: asyncio.Queue[Notice | None]) -> None:
        while True:
            now = self._clock()
            skip = QUIET_KINDS if in_quiet_hours(now, self._tz, self._quiet) else ()
            notices = await self._queue.claim(now, self._batch, skip)
            if notices:
                await self._renderer.prepare(notices)
            for notice in notices:
                await queue.put(notice)  # waits while the queue is full: claims keep pace with sends
            self._forget_idle_chats()
            if len(notices) < self._batch:
                return  # nothing more is due now; the next tick looks again

    async def _work(self, queue: asyncio.Queue[Notice | None]) -> None:
        while (notice := await queue.get()) is not None:
            try:
                await self._deliver(notice)
            except Exception:  # noqa: BLE001 - e.g. the database is down: the row's lease runs out, it comes back
                log.exception("notice %s: delivery failed", notice.id)

    async def _flush_sent(self) -> None:
        async with self._marking:
            ids, self._sent = self._sent, []
            if ids:
                try:
                    await self._queue.sent_many(ids, self._clock())
                except BaseException:
                    # The database failed: keep the marks for the next write. Dropping them would let
                    # the rows' leases run out and the messages go out a second time.
                    self._sent[:0] = ids
                    raise

    def _limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            limiter = self._chats[chat_id] = AsyncLimiter(1, 1 / self._chat_rate)
        return limiter

    def _forget_idle_chats(self) -> None:
        if len(self._chats) > 10_000:
            self._chats = {chat: lim for chat, lim in self._chats.items() if not lim.has_capacity()}
        now = monotonic()
        self._closed_until = {chat: until for chat, until in self._closed_until.items() if until > now}

    async def _chat_open(self, chat_id: int) -> None:
        """Waits while Telegram's last 429 for this chat asks the bot to wait."""
        while (wait := self._closed_until.get(chat_id, 0.0) - monotonic()) > 0:
            await asyncio.sleep(wait)

    async def _deliver(self, notice: Notice) -> bool:
        message = await self._renderer.render(notice)
        if message is None:
            await self._queue.skipped(notice.id, "nothing to send")
            return False
        refusals = 0
        while refusals < 3:  # 429 three times in a row is rare; after that the row waits in the queue
            await self._chat_open(notice.chat_id)
            if monotonic() < self._warm_until:
                async with self._warm_up:
                    pass
            async with self._limiter(notice.chat_id), self._global:
                if notice.chat_id in self._gone:
                    return False  # its row was settled as unreachable with the others of that chat
                if self._closed_until.get(notice.chat_id, 0.0) > monotonic():
                    continue  # a 429 for this chat came while this notice waited for the limiters
                try:
                    await self._bot.send_message(notice.chat_id, message.text, reply_markup=message.markup)
                except TelegramRetryAfter as error:
                    # Telegram's "retry after" is for the chat, not for this one message: nothing goes to
                    # that chat until it has passed, from any of the workers.
                    log.warning("429 for chat %s: waiting %s s", notice.chat_id, error.retry_after)
                    refusals += 1
                    until = monotonic() + error.retry_after
                    self._closed_until[notice.chat_id] = max(until, self._closed_until.get(notice.chat_id, 0.0))
                    continue
                except TelegramForbiddenError as error:
                    await self._unreachable(notice, str(error))
                    return False
                except TelegramBadRequest as error:
                    if "chat not found" in error.message.lower():
                        await self._unreachable(notice, str(error))
                    else:  # the message itself is wrong: sending it again would not help
                        log.error("notice %s refused: %s", notice.id, error)
                        await self._queue.failed(notice.id, str(error))
                    return False
                except TRANSIENT as error:
                    await self._retry_later(notice, repr(error))
                    return False
            self._sent.append(notice.id)
            self.delivered += 1
            self._last_send = monotonic()
            if len(self._sent) >= FLUSH_EVERY and not self._marking.locked():
                await self._flush_sent()  # concurrent writes would only queue for SQLite's write lock
            return True
        await self._queue.retry(notice.id, self._clock() + timedelta(seconds=5), "429 repeatedly")
        return False

    async def _unreachable(self, notice: Notice, error: str) -> None:
        self._gone.add(notice.chat_id)
        await self._queue.unreachable(notice.chat_id, self._clock(), error)

    async def _retry_later(self, notice: Notice, error: str) -> None:
        if notice.attempts >= self._max_attempts:
            log.error("notice %s failed after %s attempts: %s", notice.id, notice.attempts, error)
            await self._queue.failed(notice.id, error)
        else:
            await self._queue.retry(notice.id, self._clock() + retry_delay(notice.attempts), error)

"""APScheduler 3 (in memory, no job store) ticks; everything durable lives in our tables.

Two jobs: the outbox delivery every OUTBOX_TICK_SECONDS, and the housekeeping (deadlines,
reminders, warnings, digest) every minute. max_instances=1 and coalesce: a slow run is never
doubled, missed ticks collapse into one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.notifier import Notifier
from drafts.schedule import Housekeeping

log = logging.getLogger(__name__)
HOUSEKEEPING_SECONDS = 60


def make_scheduler(notifier: Notifier, housekeeping: Housekeeping, tick_seconds: float) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler()

    async def deliver() -> None:
        try:
            await notifier.deliver_due()
        except Exception:  # noqa: BLE001 - a failed tick is logged; the next tick tries again
            log.exception("outbox delivery failed")

    async def keep_house() -> None:
        try:
            await housekeeping.run()
        except Exception:  # noqa: BLE001
            log.exception("housekeeping failed")

    now = datetime.now(timezone.utc)  # housekeeping runs at start; delivery from the first tick on
    scheduler.add_job(deliver, "interval", seconds=tick_seconds, max_instances=1, coalesce=True, id="outbox")
    scheduler.add_job(keep_house, "interval", seconds=HOUSEKEEPING_SECONDS, max_instances=1, coalesce=True,
                      id="housekeeping", next_run_time=now)
    return scheduler

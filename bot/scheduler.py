"""APScheduler 3 (in memory, no job store) ticks; everything durable lives in our tables.

Two jobs: the outbox delivery every OUTBOX_TICK_SECONDS, and the housekeeping (deadlines,
reminders, warnings, digest) every HOUSEKEEPING_TICK_SECONDS. max_instances=1 and coalesce: a
slow run is never doubled, missed ticks collapse into one.

Several instances tick on their own. The outbox needs nothing more (senders claim rows with
SKIP LOCKED under a lease). Housekeeping runs under a database-wide lock: an instance that finds
it taken skips that tick, and because each run commits before it lets go, the next run anywhere
sees the work done (a consultation closed once, one audit row, one staff notice).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.notifier import Notifier
from drafts.schedule import Housekeeping
from storage.job_lock import JobLocks

log = logging.getLogger(__name__)


class Scheduler(AsyncIOScheduler):
    """stop() lets a tick in progress finish (a delivery marks what it has sent) instead of cancelling it
    half-way, which APScheduler's own shutdown does to coroutine jobs."""

    def __init__(self) -> None:
        super().__init__()
        self.in_progress: set[asyncio.Task[object]] = set()

    def track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.in_progress.add(task)
            task.add_done_callback(self.in_progress.discard)

    async def stop(self, timeout: float = 10.0) -> None:
        self.pause()
        await asyncio.sleep(0)  # a tick submitted just before the pause gets to start (and be tracked)
        if self.in_progress:
            await asyncio.wait(set(self.in_progress), timeout=timeout)
        self.shutdown(wait=False)


def make_scheduler(notifier: Notifier, housekeeping: Housekeeping, locks: JobLocks, tick_seconds: float,
                   housekeeping_seconds: float) -> Scheduler:
    scheduler = Scheduler()

    async def deliver() -> None:
        scheduler.track()
        try:
            await notifier.deliver_due()
        except Exception:  # noqa: BLE001 - a failed tick is logged; the next tick tries again
            log.exception("outbox delivery failed")

    async def keep_house() -> None:
        scheduler.track()
        try:
            async with locks.try_hold("housekeeping") as ours:
                if not ours:
                    log.info("housekeeping skipped: another instance is running it")
                    return
                done = await housekeeping.run()
            if any(done.values()):
                log.info("housekeeping: %s", ", ".join(f"{count} {what}" for what, count in done.items()))
        except Exception:  # noqa: BLE001
            log.exception("housekeeping failed")

    now = datetime.now(timezone.utc)  # housekeeping runs at start; delivery from the first tick on
    scheduler.add_job(deliver, "interval", seconds=tick_seconds, max_instances=1, coalesce=True, id="outbox")
    scheduler.add_job(keep_house, "interval", seconds=housekeeping_seconds, max_instances=1, coalesce=True,
                      id="housekeeping", next_run_time=now)
    return scheduler

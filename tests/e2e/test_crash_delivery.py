"""Crash safety of the outbox: SIGKILL `python -m bot` while it delivers 1,000 feedback notices, start it again.

Every notice must arrive, and only the ones in flight at the kill may arrive twice. A row is marked
'sent' right after its message went out; a message that reached Telegram but whose row was not yet
marked is sent again when the dead process's lease runs out (OUTBOX_LEASE_SECONDS, set to 5 s here —
this test waits for it, which is most of its run time). The test counts those duplicates, prints
them, and checks them against the bound read from the database right after the kill: the rows still
'pending' under a lease that has not run out, i.e. claimed by the dead process and not settled.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO

from sqlalchemy import select

from drafts.answering import Answering
from drafts.bundled import seed_bundled_drafts
from drafts.commenting import Commenting
from drafts.models import AnswerStatus
from drafts.residents import Residents
from drafts.staff_directory import StaffDirectory
from storage.database import SqlDatabase
from storage.migrate import migrate
from storage.tables import NotificationRow
from tests.e2e.botapi_stub import BotAPIStub

ROOT = Path(__file__).resolve().parents[2]
NOTICES = 1000
KILL_AT = 300  # feedback messages received before the SIGKILL
RATE = 200  # SEND_RATE_GLOBAL; the notifier claims 2 s worth (400 rows) at a time
BATCH = 2 * RATE
ADMIN = 7_700_000_042
FIRST_RESIDENT = 6_300_000_001
RESIDENTS = [FIRST_RESIDENT + n for n in range(NOTICES)]
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
LEASE_SECONDS = 5  # OUTBOX_LEASE_SECONDS, short so that the dead process's rows come back soon


def utc_now() -> datetime:
    return datetime.now(UTC)


class ChineseDetector:
    """Every comment here is Chinese; the real detector would only slow the setup down."""

    def detect(self, text: str) -> str | None:
        return "zh"


async def build_database(url: str) -> int:
    """1,000 residents, one comment each on a bundled draft, all answered and published."""
    db = SqlDatabase(url)
    try:
        await migrate(db.write_engine)
        assert await seed_bundled_drafts(db, utc_now(), 30) == 3
        await StaffDirectory(db, utc_now).bootstrap([ADMIN])
        async with db.read() as uow:
            draft = (await uow.drafts.open_drafts(utc_now()))[0]
        residents = Residents(db, utc_now)
        commenting = Commenting(db, utc_now, ChineseDetector(), SHANGHAI)
        comment_ids = []
        for n, resident in enumerate(RESIDENTS):
            await residents.accept_privacy(resident, "zh")
            comment = await commenting.submit(resident, draft.id, None, f"第{n + 1}条意见：建议加强噪声管理。")
            comment_ids.append(comment.id)
        answering = Answering(db, utc_now)
        assert await answering.answer(ADMIN, comment_ids, AnswerStatus.ADOPTED, "感谢您的意见，已在修改稿中采纳。") == NOTICES
        assert await answering.publish(ADMIN, draft.id) == NOTICES
        async with db.read() as uow:
            rows = (await uow.session.execute(select(NotificationRow.kind, NotificationRow.status,
                                                     NotificationRow.chat_id))).all()
        assert sorted(r.chat_id for r in rows) == RESIDENTS
        assert {(r.kind, r.status) for r in rows} == {("feedback", "pending")}
        return draft.id
    finally:
        await db.dispose()


async def notification_rows(url: str) -> list:
    """The feedback rows (housekeeping may queue a staff digest for the admin beside them)."""
    db = SqlDatabase(url)
    try:
        async with db.read() as uow:
            return list((await uow.session.execute(select(
                NotificationRow.id, NotificationRow.chat_id, NotificationRow.status, NotificationRow.attempts,
                NotificationRow.lease_until, NotificationRow.sent_at).where(NotificationRow.kind == "feedback"))).all())
    finally:
        await db.dispose()


def bot_env(stub: BotAPIStub, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"BOT_TOKEN", "DATABASE_URL", "REDIS_URL", "ADMIN_IDS", "TELEGRAM_API_URL", "TIMEZONE"}}
    return {**env, "PYTHONPATH": str(ROOT), "BOT_TOKEN": "42:TEST", "TELEGRAM_API_URL": stub.base_url,
            "DATABASE_URL": url, "QUIET_HOURS": "", "OUTBOX_TICK_SECONDS": "0.2", "SEND_RATE_GLOBAL": str(RATE),
            "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS)}


async def start_bot(stub: BotAPIStub, url: str, cwd: Path, log: IO[bytes]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", cwd=cwd, env=bot_env(stub, url),
                                                stdout=log, stderr=asyncio.subprocess.STDOUT)


class Deliveries:
    """Successful sendMessage calls per resident chat, counted incrementally from stub.events."""

    def __init__(self, stub: BotAPIStub) -> None:
        self._stub, self._seen = stub, 0
        self._residents = set(RESIDENTS)
        self.per_chat: Counter[int] = Counter()
        self.errors: list[dict] = []

    def update(self) -> Counter[int]:
        events = self._stub.events
        for event in events[self._seen:]:
            if event["method"] == "sendMessage" and event["chat_id"] in self._residents:
                if event["error"]:
                    self.errors.append(event)
                else:
                    self.per_chat[event["chat_id"]] += 1
        self._seen = len(events)
        return self.per_chat

    @property
    def total(self) -> int:
        return sum(self.update().values())

    async def wait(self, done, timeout: float, what: str, process: asyncio.subprocess.Process,
                   log_path: Path) -> None:
        deadline = time.monotonic() + timeout
        while not done(self):
            if process.returncode is not None:
                raise AssertionError(f"the bot exited ({process.returncode}) before {what}:\n{tail(log_path)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"not {what} within {timeout}s: {self.total} sends to "
                                     f"{len(self.per_chat)} chats\n{tail(log_path)}")
            await asyncio.sleep(0.005)


def tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else "(no log)"


async def test_sigkill_during_delivery_loses_nothing_and_repeats_only_what_was_in_flight(
        tmp_path: Path, fresh_database_url: str) -> None:
    started = time.monotonic()
    url = fresh_database_url  # SQLite or PostgreSQL, as the run asked (tests/backends.py)
    await build_database(url)
    built = time.monotonic()

    async with BotAPIStub() as stub:
        deliveries = Deliveries(stub)
        log1, log2 = tmp_path / "bot1.log", tmp_path / "bot2.log"
        with log1.open("wb") as out:
            first = await start_bot(stub, url, tmp_path, out)
            try:
                await deliveries.wait(lambda d: d.total >= KILL_AT, 60, f"{KILL_AT} notices sent", first, log1)
            finally:
                if first.returncode is None:
                    os.kill(first.pid, signal.SIGKILL)
                await first.wait()
        killed_at = time.monotonic()
        assert first.returncode == -signal.SIGKILL
        await asyncio.sleep(0.5)  # let the stub finish any request the dead process had already written
        at_kill = Counter(deliveries.update())
        now = utc_now()
        rows = await notification_rows(url)
        leased = {r.chat_id for r in rows if r.status == "pending" and r.lease_until is not None
                  and r.lease_until > now}
        marked = {r.chat_id for r in rows if r.status == "sent"}
        bound = len(leased)  # claimed by the dead process, not marked sent: the most that may go twice
        in_flight = len(leased & set(at_kill))  # of those, the ones whose message had reached Telegram
        assert sum(at_kill.values()) >= KILL_AT and max(at_kill.values()) == 1
        assert marked <= set(at_kill), "a row is marked sent only after its message went out"
        assert set(at_kill) <= marked | leased, "every message sent before the kill belongs to a claimed row"
        assert 0 < bound <= BATCH, f"the dead process held {bound} rows; it claims at most {BATCH} at a time"
        assert len(marked) + bound + sum(r.status == "pending" and r.lease_until is None for r in rows) == NOTICES

        with log2.open("wb") as out:
            second = await start_bot(stub, url, tmp_path, out)
            try:
                # The rows leased by the dead process come back only when its 60 s lease has run out.
                await deliveries.wait(lambda d: len(d.update()) == NOTICES, LEASE_SECONDS + 30,
                                      "every chat notified", second, log2)
                deadline = time.monotonic() + 10
                rows = await notification_rows(url)
                while Counter(r.status for r in rows) != {"sent": NOTICES}:  # the last marks follow the sends
                    assert time.monotonic() < deadline, Counter(r.status for r in rows)
                    await asyncio.sleep(0.1)
                    rows = await notification_rows(url)
                recovered = time.monotonic()
            finally:
                if second.returncode is None:
                    second.send_signal(signal.SIGTERM)
                await asyncio.wait_for(second.wait(), 30)
        assert second.returncode == 0, tail(log2)

        final = deliveries.update()
        sends = sum(final.values())
        lost = NOTICES - len(final)
        duplicates = sends - len(final)
        twice = {chat for chat, n in final.items() if n > 1}
        print(f"\ncrash delivery: {NOTICES} notices; {sum(at_kill.values())} sent before the SIGKILL, "
              f"{len(marked)} of them marked sent; {bound} rows leased by the dead process "
              f"({in_flight} of them already delivered); after the restart {sends} sends in all, "
              f"lost {lost}, duplicates {duplicates} (bound {bound}); setup {built - started:.1f} s, "
              f"kill to all delivered {recovered - killed_at:.1f} s, total {time.monotonic() - started:.1f} s")

    assert lost == 0
    assert duplicates <= bound
    assert duplicates == in_flight and twice == leased & set(at_kill), \
        "exactly the messages delivered but not yet marked sent at the kill went twice"
    assert max(final.values()) <= 2
    assert deliveries.errors == [] and stub.parse_errors == []
    # Every row ends sent, unleased; the rows of the dead process were claimed a second time, no other was.
    assert all(r.status == "sent" and r.sent_at is not None and r.lease_until is None for r in rows)
    attempts = Counter(r.attempts for r in rows)
    assert attempts == Counter({1: NOTICES - bound, 2: bound})
    assert {r.chat_id for r in rows if r.attempts == 2} == leased

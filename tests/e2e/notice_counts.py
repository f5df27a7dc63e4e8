"""Feedback notices as the residents received them (counted at the stand-in) and as the outbox has them."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text

from storage.database import SqlDatabase
from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.driver import TRACKING, Clock

NOTICE_MARK = "📬"  # the heading of a feedback notice, in every language


def received_notices(stub: BotAPIStub) -> Counter[tuple[int, str]]:
    """(chat, tracking number) -> how many feedback messages with it Telegram accepted.

    A call answered too late ("late" fault) counts: Telegram delivered it even though the bot
    saw an error. A refused call (5xx, 429, a timeout before it was carried out) does not."""
    return Counter((e["chat_id"], number) for e in stub.events
                   if e["method"] == "sendMessage" and not e["error"] and NOTICE_MARK in (e["params"].get("text") or "")
                   for number in TRACKING.findall(e["params"]["text"])[:1])


async def feedback_rows(db: SqlDatabase) -> list[tuple[int, str, str, int]]:
    """(chat, tracking number, status, attempts) of every feedback notice in the outbox."""
    async with db.read() as uow:
        numbers = dict((await uow.session.execute(text("SELECT id, tracking_number FROM comments"))).all())
        rows = (await uow.session.execute(text("SELECT chat_id, idempotency_key, status, attempts FROM notifications "
                                                "WHERE kind = 'feedback' ORDER BY id"))).all()
    # The key is "feedback:<comment id>:<answer version>" (drafts.notices.feedback_key).
    return [(chat, numbers[int(key.split(":")[1])], status, attempts) for chat, key, status, attempts in rows]


async def outbox_statuses(db: SqlDatabase) -> Counter[str]:
    async with db.read() as uow:
        rows = await uow.session.execute(text("SELECT status FROM notifications WHERE kind = 'feedback'"))
        return Counter(row[0] for row in rows.all())


async def deliver_everything(deliver, db: SqlDatabase, clock: Clock, rounds: int = 30) -> int:  # type: ignore[no-untyped-def]
    """Run the outbox until no feedback notice is pending, moving the clock past every back-off
    and lease between runs (the scheduler would tick in real time); returns the runs it took."""
    for run in range(1, rounds + 1):
        await deliver()
        if not (await outbox_statuses(db))["pending"]:
            return run
        clock.advance(minutes=15)  # longer than the back-off after 8 attempts (640 s) and the lease
    raise AssertionError(f"notices still pending after {rounds} runs: {await outbox_statuses(db)}")

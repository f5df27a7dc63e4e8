"""Two `python -m bot` processes in webhook mode on one PostgreSQL database and one Redis, as behind a
load balancer: they start together on an empty database, residents' updates reach them alternately,
staff publish answers, a consultation's deadline passes while both tick.

Checked: the schema and the bundled drafts are made once; each conversation stays consistent from one
instance to the other and a Submit pressed twice (one press on each instance) makes one comment and
one receipt; every feedback notice goes out once; the deadlines close the consultations once each (one
audit row, one staff notice) although both instances run housekeeping ten times a second.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from drafts.answering import Answering
from drafts.models import AnswerStatus
from handlers.staff_callbacks import StaffDraftCb
from storage.database import SqlDatabase
from storage.tables import AuditRow, DraftRow, NotificationRow
from tests import backends
from tests.backends import requires_postgres
from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.webhook_driver import SECRET, Resident, WebhookBot

pytestmark = requires_postgres
RESIDENTS = 6
DRAFT = 2


async def eventually(check: Callable[[], Awaitable[bool]], what: str, bots: list[WebhookBot],
                     timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"not {what} within {timeout}s\n" + "\n".join(b.log(15) for b in bots)
        await asyncio.sleep(0.1)


async def comment_across(resident: Resident, first: WebhookBot, second: WebhookBot, text: str) -> None:
    """Every step goes to the other instance than the step before; Submit is pressed on both at once."""
    await resident.say(first, "/start")
    await resident.press(second, "✅")
    await resident.say(first, f"/start d{DRAFT}")
    await resident.press(second, "对草案整体提意见")
    await resident.say(first, text)
    assert "预览" in resident.text, resident.stub.dump(resident.user_id)
    presses = [resident.press_update("提交"), resident.press_update("提交")]
    statuses = await asyncio.gather(first.post(presses[0]), second.post(presses[1]))
    assert statuses == [200, 200]


async def test_two_instances_serve_the_same_residents_once(tmp_path: Path, empty_database_url: str) -> None:
    started = time.monotonic()
    redis = backends.redis_url()
    assert redis is not None
    admin = random.randrange(7_200_000_000, 7_299_999_999)
    first_id = random.randrange(7_300_000_000, 7_399_000_000)  # fresh ids: Redis is shared with other runs
    settings = {"REDIS_URL": redis, "ADMIN_IDS": str(admin), "OUTBOX_TICK_SECONDS": "0.2",
                "HOUSEKEEPING_TICK_SECONDS": "0.1", "SEND_RATE_GLOBAL": "100"}
    db = SqlDatabase(empty_database_url)
    async with BotAPIStub() as stub:
        bots = [WebhookBot(name, stub, empty_database_url, tmp_path, **settings) for name in ("a", "b")]
        a, b = bots
        try:
            await asyncio.gather(a.start(), b.start())  # together, on a database without a single table
            await asyncio.gather(a.wait_ready(), b.wait_ready())
            ready = time.monotonic()
            async with db.read() as uow:
                assert await uow.drafts.count() == 3, "the bundled drafts were loaded once"
            announced = [e["params"] for e in stub.events if e["method"] == "setWebhook"]
            assert len(announced) == 2 and {p["secret_token"] for p in announced} == {SECRET}

            # Residents, all at once, each alternating between the instances.
            residents = [Resident(stub, first_id + n, f"居民{n}") for n in range(RESIDENTS)]
            await asyncio.gather(*(comment_across(r, *(bots if n % 2 == 0 else bots[::-1]), f"第{n}条意见：夜间施工要管住。")
                                   for n, r in enumerate(residents)))
            for resident in residents:
                assert len(resident.receipts()) == 1, stub.dump(resident.user_id)
            async with db.read() as uow:
                comments = await uow.comments.all_of_draft(DRAFT)
            assert Counter(c.resident_id for c in comments) == Counter(r.user_id for r in residents)
            assert {c.tracking_number for c in comments} == {r.receipts()[0] for r in residents}
            conversed = time.monotonic()

            # Staff answer every comment, and publish in the bot with 确定发布 pressed twice, once on each
            # instance; both instances deliver the outbox.
            answering = Answering(db, lambda: datetime.now(UTC))
            assert await answering.answer(admin, [c.id for c in comments], AnswerStatus.ADOPTED, "已采纳，谢谢。") == 6
            editor = Resident(stub, admin, "王主任")
            await editor.say(a, "/staff")
            ask = StaffDraftCb(draft=DRAFT, action="publish_answers").pack()
            mark = stub.mark()
            assert await b.post(stub.press(admin, stub.last_message(admin)["message_id"], ask, check=False)) == 200
            presses = [editor.press_update("确定发布"), editor.press_update("确定发布")]
            assert await asyncio.gather(a.post(presses[0]), b.post(presses[1])) == [200, 200]
            said = [str(e["params"].get("text")) for e in stub.events[mark:] if e["chat_id"] == admin]
            assert sum(f"已发布{RESIDENTS}条反馈" in t for t in said) == 1, said
            assert sum("没有待发布的反馈" in t for t in said) == 1, said

            def notified() -> Counter[int]:
                return Counter(e["chat_id"] for e in stub.events[mark:]
                               if e["method"] == "sendMessage" and not e["error"] and e["chat_id"] != admin)

            async def all_sent() -> bool:
                async with db.read() as uow:
                    statuses = (await uow.session.scalars(select(NotificationRow.status))).all()
                return set(statuses) == {"sent"}

            await eventually(all_sent, "every notice sent", bots)
            await asyncio.sleep(1)  # five more delivery ticks on each instance: time for a duplicate
            assert notified() == Counter({r.user_id: 1 for r in residents})

            # Every deadline passes at once while both instances run housekeeping every 0.1 s: their runs
            # overlap nearly always (a run takes tens of milliseconds), so only the lock keeps them apart.
            mark = stub.mark()
            async with db.write() as uow:
                await uow.session.execute(update(DraftRow).values(closes_at=datetime.now(UTC) - timedelta(seconds=1)))
                await uow.commit()

            async def closed_and_told() -> bool:
                async with db.read() as uow:
                    statuses = set((await uow.session.scalars(select(DraftRow.status))).all())
                return statuses == {"closed"} and await all_sent()

            await eventually(closed_and_told, "closed and staff told", bots)
            await asyncio.sleep(1)  # ten more housekeeping runs on each instance
            async with db.read() as uow:
                closes = Counter((await uow.session.scalars(select(AuditRow.object_id).where(
                    AuditRow.action == "draft.close_at_deadline"))).all())
                kinds = Counter((await uow.session.scalars(select(NotificationRow.kind))).all())
            assert closes == {"1": 1, "2": 1, "3": 1}
            assert kinds == {"feedback": RESIDENTS, "staff_digest": 1, "staff_closed": 3}
            to_admin = [e for e in stub.events[mark:] if e["method"] == "sendMessage" and e["chat_id"] == admin]
            assert len(to_admin) == 3 and not any(e["error"] for e in to_admin)
        finally:
            codes = await asyncio.gather(a.stop(), b.stop())
            await db.dispose()
        assert codes == [0, 0], "\n".join(bot.log() for bot in bots)
        assert stub.parse_errors == []
        for bot in bots:
            assert "Traceback" not in bot.log_path.read_text(), bot.log()
        print(f"\ntwo instances: ready in {ready - started:.1f} s, {RESIDENTS} residents commented in "
              f"{conversed - ready:.1f} s, total {time.monotonic() - started:.1f} s")

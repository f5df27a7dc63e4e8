"""Scheduled work with a controllable clock: deadline close, reminders once, warnings, quiet hours."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from drafts.models import AnswerStatus
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.driver import Clock, Person, RunningBot, accept_privacy, comment_via


async def rows(bot: RunningBot, sql: str) -> list[tuple]:
    async with bot.app.db.read() as uow:
        return [tuple(r) for r in (await uow.session.execute(text(sql))).all()]


def texts(person: Person) -> list[str]:
    return [m.get("text") or "" for m in person.stub.messages(person.user_id)]


async def test_deadline_closes_the_consultation_and_tells_staff(resident: Person, admin: Person, bot: RunningBot,
                                                                clock: Clock) -> None:
    await accept_privacy(resident)
    await comment_via(resident, "a1_2", "意见")
    clock.advance(days=30, minutes=1)
    await bot.app.housekeeping.run()
    assert await rows(bot, "SELECT id, status FROM drafts ORDER BY id") == [(1, "closed"), (2, "closed"),
                                                                            (3, "closed")]
    await bot.app.notifier.deliver_due()
    closed = [t for t in texts(admin) if "已按期截止" in t]
    assert len(closed) == 3 and any("共收到意见1条，未答复1条" in t for t in closed)
    await bot.app.housekeeping.run()
    await bot.app.notifier.deliver_due()
    assert len([t for t in texts(admin) if "已按期截止" in t]) == 3, "told once"
    assert ("draft.close_at_deadline",) in await rows(bot, "SELECT action FROM audit_log")


async def test_reminders_once_per_person_per_draft(stub, bot: RunningBot, clock: Clock) -> None:
    commenter, reader, subscriber, stranger = (Person(stub, uid) for uid in (2001, 2002, 2003, 2004))
    for person in (commenter, reader, subscriber):
        await accept_privacy(person)
    await comment_via(commenter, "a2_3", "意见")
    await reader.say("/start d2")
    await subscriber.say("/subscribe")
    await subscriber.press("订阅")
    await stranger.say("/start d2")  # no consent: nothing about them is kept, no reminder
    await bot.app.housekeeping.remind()
    assert await rows(bot, "SELECT count(*) FROM notifications WHERE kind = 'reminder'") == [(0,)], "too early"
    clock.advance(days=27, hours=1)  # three days before the 30-day deadline
    await bot.app.housekeeping.remind()
    await bot.app.housekeeping.remind()
    await bot.app.notifier.deliver_due()
    reminded = await rows(bot, "SELECT chat_id, payload FROM notifications WHERE kind = 'reminder' ORDER BY chat_id")
    by_chat: dict[int, int] = {}
    for chat, _ in reminded:
        by_chat[chat] = by_chat.get(chat, 0) + 1
    assert by_chat == {2001: 1, 2002: 1, 2003: 3}, "commenter and reader: draft 2; subscriber: every draft"
    assert [t for t in texts(commenter) if "⏰" in t] and not [t for t in texts(stranger) if "⏰" in t]
    assert all("截止" in t for t in texts(commenter) if "⏰" in t)


async def test_editors_are_warned_about_unanswered_comments(resident: Person, admin: Person, bot: RunningBot,
                                                            clock: Clock) -> None:
    await accept_privacy(resident)
    number = await comment_via(resident, "a3_2", "未答复的意见")
    clock.advance(days=31)
    await bot.app.housekeeping.run()
    assert await rows(bot, "SELECT count(*) FROM notifications WHERE kind = 'staff_unanswered'") == [(0,)]
    clock.advance(days=15)
    await bot.app.housekeeping.run()
    await bot.app.notifier.deliver_due()
    assert any("仍有1条意见未答复" in t for t in texts(admin))
    stored = await bot.app.dp["commenting"].track(number)
    await bot.app.dp["answering"].answer(ADMIN_ID, [stored.id], AnswerStatus.NOTED, "已参考。")
    assert await rows(bot, "SELECT count(*) FROM notifications WHERE kind = 'staff_unanswered'") == [(1,)]


QUIET = {"quiet_hours": "21:00-08:00"}


@pytest.fixture
def clock() -> Clock:
    # 13:00 UTC is 21:00 in Changzhi: the quiet hours have just begun.
    return Clock(datetime(2026, 12, 1, 13, 0, tzinfo=timezone.utc))


@pytest.mark.parametrize("settings_overrides", [QUIET], indirect=True)
async def test_feedback_waits_for_the_morning(resident: Person, admin: Person, bot: RunningBot,
                                              clock: Clock) -> None:
    await accept_privacy(resident)
    number = await comment_via(resident, "a1_2", "晚上提交的意见")
    stored = await bot.app.dp["commenting"].track(number)
    await bot.app.dp["answering"].answer(ADMIN_ID, [stored.id], AnswerStatus.ADOPTED, "采纳。")
    await bot.app.dp["answering"].publish(ADMIN_ID, 1)
    await bot.app.notifier.deliver_due()
    assert not any("常委会对您意见的反馈" in t for t in texts(resident)), "quiet hours"
    assert any("每周工作简报" in t for t in texts(admin)), "staff notices are not held back"
    clock.now += timedelta(hours=10, minutes=59)  # 07:59 local
    await bot.app.notifier.deliver_due()
    assert not any("常委会对您意见的反馈" in t for t in texts(resident))
    clock.now += timedelta(minutes=1)  # 08:00
    await bot.app.notifier.deliver_due()
    assert len([t for t in texts(resident) if "常委会对您意见的反馈" in t]) == 1

"""Feedback notices: each commenter gets exactly one, in their language, with rating buttons;
Telegram's 403 / 429 / 5xx answers; ratings and the follow-up staff see beside the comment."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from drafts.models import AnswerStatus
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.driver import Clock, Person, RunningBot, accept_privacy, comment_via


async def notices(bot: RunningBot) -> list[tuple]:
    async with bot.app.db.read() as uow:
        result = await uow.session.execute(text(
            "SELECT chat_id, kind, status, attempts FROM notifications WHERE kind = 'feedback' ORDER BY id"))
        return [tuple(row) for row in result.all()]


async def answered(bot: RunningBot, person: Person, link: str, comment: str, status: AnswerStatus,
                   reply: str) -> str:
    number = await comment_via(person, link, comment)
    stored = await bot.app.dp["commenting"].track(number)
    await bot.app.dp["answering"].answer(ADMIN_ID, [stored.id], status, reply)
    return number


def feedback_messages(person: Person) -> list[dict]:
    return [m for m in person.stub.messages(person.user_id) if "常委会对您意见的反馈" in (m.get("text") or "")
            or "answer to your comment" in (m.get("text") or "")]


async def test_each_commenter_gets_exactly_one_notice_in_their_language(stub, bot: RunningBot) -> None:
    li = Person(stub, 1101, first_name="李华")
    alice = Person(stub, 1102, language_code="en-US", first_name="Alice")
    await accept_privacy(li)
    await accept_privacy(alice)
    zh_number = await answered(bot, li, "a2_18", "夜间施工应当提前告知。\n第二行不出现", AnswerStatus.ADOPTED,
                               "已在第十九条中增加告知要求。")
    en_number = await answered(bot, alice, "a1_9", "The space standard is too low.", AnswerStatus.NOT_ADOPTED,
                               "The standard follows the provincial rules.")
    assert await bot.app.dp["answering"].publish(ADMIN_ID, 2) == 1
    assert await bot.app.dp["answering"].publish(ADMIN_ID, 1) == 1
    await bot.app.notifier.deliver_due()
    [zh] = feedback_messages(li)
    assert zh_number in zh["text"] and "《长治市噪声污染防治条例（草案）》第十八条" in zh["text"]
    assert "夜间施工应当提前告知。" in zh["text"] and "第二行不出现" not in zh["text"]
    assert "采纳" in zh["text"] and "已在第十九条中增加告知要求。" in zh["text"]
    assert [t for t, _ in stub.buttons(zh)] == ["😊 满意", "🙂 基本满意", "🙁 不满意"]
    [en] = feedback_messages(alice)
    assert en_number in en["text"] and "not adopted" in en["text"] and "provincial rules" in en["text"]
    assert [t for t, _ in stub.buttons(en)] == ["😊 Satisfied", "🙂 Basically satisfied", "🙁 Not satisfied"]
    assert await bot.app.notifier.deliver_due() == 0, "never twice"
    assert await bot.app.dp["answering"].publish(ADMIN_ID, 2) == 0
    assert [row[2] for row in await notices(bot)] == ["sent", "sent"]
    await li.say("/mycomments")
    assert "已反馈" in li.text


async def test_an_edited_answer_is_sent_again_and_the_old_version_is_skipped(resident: Person, bot) -> None:
    await accept_privacy(resident)
    number = await answered(bot, resident, "a3_5", "希望保护更多剧种。", AnswerStatus.NOTED, "已参考。")
    await bot.app.dp["answering"].publish(ADMIN_ID, 3)
    stored = await bot.app.dp["commenting"].track(number)
    await bot.app.dp["answering"].answer(ADMIN_ID, [stored.id], AnswerStatus.ADOPTED, "已增加一个剧种。")
    await bot.app.dp["answering"].publish(ADMIN_ID, 3)
    await bot.app.notifier.deliver_due()
    [message] = feedback_messages(resident)
    assert "已增加一个剧种。" in message["text"], "only the current answer reaches the resident"
    assert sorted(row[2] for row in await notices(bot)) == ["sent", "skipped"]


async def test_rating_and_follow_up_seen_by_staff(resident: Person, admin: Person, bot: RunningBot,
                                                  clock: Clock) -> None:
    await accept_privacy(resident)
    number = await answered(bot, resident, "a2_25", "广场舞太吵。", AnswerStatus.PARTLY_ADOPTED, "已限制音量。")
    await bot.app.dp["answering"].publish(ADMIN_ID, 2)
    await bot.app.notifier.deliver_due()
    await resident.press("满意")
    assert "谢谢您的评价：😊 满意" in resident.alert
    await resident.press("不满意")  # changed within 7 days
    assert "请用一条消息告诉常委会原因" in resident.text
    await resident.say("音量限制没有具体数值。")
    assert "谢谢" in resident.text
    await admin.say("/staff")
    await admin.press("法规草案")
    await admin.press("#2 ")
    await admin.press("全部意见")
    await admin.press(number)
    assert "居民评价：🙁 不满意" in admin.text and "原因：音量限制没有具体数值。" in admin.text
    stats = await bot.app.dp["statistics"].of_draft(ADMIN_ID, 2)
    assert stats.satisfaction == {"not_satisfied": 1}
    clock.advance(days=8)
    await resident.press("基本满意")
    assert "超过期限" in resident.alert
    assert (await bot.app.dp["statistics"].of_draft(ADMIN_ID, 2)).satisfaction == {"not_satisfied": 1}


async def test_someone_else_cannot_rate(resident: Person, stub, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await answered(bot, resident, "a1_3", "意见", AnswerStatus.NOTED, "已参考。")
    await bot.app.dp["answering"].publish(ADMIN_ID, 1)
    await bot.app.notifier.deliver_due()
    [message] = feedback_messages(resident)
    data = stub.button_data(message, "满意")
    mallory = Person(stub, 6660)
    await accept_privacy(mallory)
    await mallory.press_data(stub.last_message(mallory.user_id)["message_id"], data, check=False)
    assert "没有找到这条意见" in mallory.alert


async def test_blocked_bot_marks_the_resident_unreachable(resident: Person, stub, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await answered(bot, resident, "a1_5", "意见一", AnswerStatus.NOTED, "已参考。")
    await answered(bot, resident, "a1_6", "意见二", AnswerStatus.NOTED, "已参考。")
    await bot.app.notifier.deliver_due()  # what housekeeping queued at start (the staff digest) goes first
    await bot.app.dp["answering"].publish(ADMIN_ID, 1)
    stub.fail_next("sendMessage", status=403, description="Forbidden: bot was blocked by the user")
    await bot.app.notifier.deliver_due()
    assert sorted(row[2] for row in await notices(bot)) == ["unreachable", "unreachable"]
    assert (await bot.app.dp["residents"].get(resident.user_id)).unreachable_at is not None
    assert await bot.app.notifier.deliver_due() == 0 and feedback_messages(resident) == []


async def test_429_waits_and_retries_once_delivered(resident: Person, stub, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await answered(bot, resident, "a1_7", "意见", AnswerStatus.NOTED, "已参考。")
    await bot.app.notifier.deliver_due()  # what housekeeping queued at start (the staff digest) goes first
    await bot.app.dp["answering"].publish(ADMIN_ID, 1)
    stub.fail_next("sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1)
    await bot.app.notifier.deliver_due()
    assert len(feedback_messages(resident)) == 1
    assert [row[2:] for row in await notices(bot)] == [("sent", 1)]


@pytest.mark.parametrize("settings_overrides", [{"outbox_max_attempts": 3}], indirect=True)
async def test_server_errors_back_off_then_fail_visibly(resident: Person, admin: Person, stub, bot: RunningBot,
                                                        clock: Clock) -> None:
    await accept_privacy(resident)
    await answered(bot, resident, "a1_8", "意见", AnswerStatus.NOTED, "已参考。")
    await bot.app.notifier.deliver_due()  # what housekeeping queued at start (the staff digest) goes first
    await bot.app.dp["answering"].publish(ADMIN_ID, 1)
    stub.fail_next("sendMessage", status=502, description="Bad Gateway", times=3)
    await bot.app.notifier.deliver_due()
    assert [row[2:] for row in await notices(bot)] == [("pending", 1)]
    assert await bot.app.notifier.deliver_due() == 0, "not due again before its back-off"
    for attempts in (2, 3):
        clock.advance(minutes=5)
        await bot.app.notifier.deliver_due()
    assert [row[2:] for row in await notices(bot)] == [("failed", 3)]
    await admin.say("/staff")
    assert "有1条通知多次重试后仍未送达" in admin.text
    assert feedback_messages(resident) == []


async def test_a_transient_error_then_success(resident: Person, stub, bot: RunningBot, clock: Clock) -> None:
    await accept_privacy(resident)
    await answered(bot, resident, "a1_10", "意见", AnswerStatus.NOTED, "已参考。")
    await bot.app.notifier.deliver_due()  # what housekeeping queued at start (the staff digest) goes first
    await bot.app.dp["answering"].publish(ADMIN_ID, 1)
    stub.fail_next("sendMessage", status=500)
    await bot.app.notifier.deliver_due()
    clock.advance(seconds=6)
    await bot.app.notifier.deliver_due()
    assert len(feedback_messages(resident)) == 1 and [row[2:] for row in await notices(bot)] == [("sent", 2)]


@pytest.mark.parametrize("settings_overrides", [{"outbox_tick_seconds": 0.2}], indirect=True)
async def test_the_scheduler_delivers_by_itself(resident: Person, stub, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await answered(bot, resident, "a2_2", "意见", AnswerStatus.NOTED, "已参考。")
    mark = stub.mark()
    await bot.app.dp["answering"].publish(ADMIN_ID, 2)
    event = await stub.wait_for_event("sendMessage", chat_id=resident.user_id, after=mark, timeout=10)
    assert "常委会对您意见的反馈" in event["params"]["text"]

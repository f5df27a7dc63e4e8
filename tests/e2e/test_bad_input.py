"""Bad input at every step gets a helpful reply that says what the bot expects now; nothing is lost."""

from __future__ import annotations

import pytest

from tests.e2e.driver import Person, RunningBot, accept_privacy


async def to_writing(person: Person) -> None:
    await accept_privacy(person)
    await person.say("/start a1_12")
    await person.press("对本条提意见")


async def to_preview(person: Person) -> None:
    await to_writing(person)
    await person.say("养老服务设施不得改变用途，这一条很好。")


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice"])
async def test_non_text_without_a_conversation(resident: Person, kind: str) -> None:
    await resident.send(kind)
    assert "只能识别文字消息" in resident.text and "/help" in resident.text


async def test_document_while_writing_a_comment(resident: Person) -> None:
    await to_writing(resident)
    mark = resident.stub.mark()
    resident.stub.send_document(resident.user_id, b"%PDF-1.4", "opinion.pdf", "application/pdf")
    await resident.stub.wait_for_reply(resident.user_id, after=mark)
    reply = resident.stub.last_message(resident.user_id)["text"]
    assert "只能识别文字消息" in reply and "正在等待您的意见内容" in reply
    await resident.say("改用文字：建议增加农村互助幸福院。")
    assert "预览" in resident.text, "the conversation goes on after the bad input"


@pytest.mark.parametrize("kind", ["photo", "sticker", "voice"])
async def test_non_text_at_preview_points_to_the_buttons(resident: Person, kind: str) -> None:
    await to_preview(resident)
    await resident.send(kind)
    assert "预览" in resident.text and "提交" in resident.text
    await resident.press("提交")
    assert "意见已收到" in resident.text, "the preview still works"


async def test_text_at_preview_is_not_taken_as_a_new_comment(resident: Person, bot: RunningBot) -> None:
    await to_preview(resident)
    await resident.say("再补充一句")
    assert "正在上方预览中" in resident.text
    await resident.press("提交")
    [comment] = (await bot.app.dp["commenting"].mine(resident.user_id, 0, 5))[0]
    assert comment.text == "养老服务设施不得改变用途，这一条很好。"


@pytest.mark.parametrize("step", ["none", "writing", "preview"])
async def test_unknown_command_at_each_step(resident: Person, step: str) -> None:
    if step == "writing":
        await to_writing(resident)
    elif step == "preview":
        await to_preview(resident)
    await resident.say("/frobnicate now")
    assert "无法识别该命令" in resident.text
    expected = {"none": "/help", "writing": "正在等待您的意见内容", "preview": "正在上方预览中"}[step]
    assert expected in resident.text


@pytest.mark.parametrize("step", ["writing", "preview", "search"])
async def test_cancel_at_each_step(resident: Person, bot: RunningBot, step: str) -> None:
    if step == "search":
        await resident.say("/search")
    elif step == "writing":
        await to_writing(resident)
    else:
        await to_preview(resident)
    await resident.say("/cancel")
    assert "已取消" in resident.text
    await resident.say("一段普通文字")
    assert "请使用下方按钮" in resident.text, "no conversation is left over"
    assert (await bot.app.dp["commenting"].mine(resident.user_id, 0, 5))[1] == 0


async def test_cancel_with_nothing_to_cancel(resident: Person) -> None:
    await resident.say("/cancel")
    assert "没有可取消的操作" in resident.text


@pytest.mark.parametrize("data", ["a:1:999", "d:424242:0", "c:1:99:0", "w:1:999", "zz:garbage", "a:x:y",
                                  "mc:999999:confirm", "p:submit", "pv:d1:extra:fields", "l:fr"])
async def test_forged_or_stale_callback_data_is_refused_politely(resident: Person, data: str) -> None:
    await accept_privacy(resident)
    message_id = resident.stub.last_message(resident.user_id)["message_id"]
    await resident.press_data(message_id, data, check=False)
    assert resident.alert, f"{data!r} got no explanation"
    assert resident.stub.parse_errors == []


async def test_comment_on_a_closed_draft_is_refused(resident: Person, clock) -> None:
    await accept_privacy(resident)
    await resident.say("/start a1_1")
    clock.advance(days=30, seconds=1)
    await resident.press("对本条提意见")
    assert "已经截止" in resident.alert


async def test_deadline_passing_during_the_preview_refuses_the_submit(resident: Person, bot: RunningBot,
                                                                    clock) -> None:
    await to_preview(resident)
    clock.advance(days=31)
    await resident.press("提交")
    assert "已经截止" in resident.text and "意见编号" not in resident.text
    assert (await bot.app.dp["commenting"].mine(resident.user_id, 0, 5))[1] == 0

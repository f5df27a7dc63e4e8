"""My comments: status, edit and withdraw while open, a clear message after the deadline; /track."""

from __future__ import annotations

from tests.e2e.driver import Clock, Person, RunningBot, accept_privacy, comment_via


async def test_list_shows_draft_article_and_status(resident: Person) -> None:
    await accept_privacy(resident)
    first = await comment_via(resident, "a1_8", "配建标准应当提高。")
    second = await comment_via(resident, "d3", "希望多安排送戏下乡。")
    await resident.say("/mycomments")
    text = resident.text
    assert "共2条" in text and first in text and second in text
    assert "《长治市养老服务条例（草案）》第八条" in text and "草案整体" in text
    assert text.count("已收到") == 2
    assert text.index(second) < text.index(first), "newest first"


async def test_edit_own_comment_while_open(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    number = await comment_via(resident, "a2_25", "广场舞音量应当限制。")
    await resident.say("/mycomments")
    await resident.press(number)
    assert "广场舞音量应当限制" in resident.text and "✏️ 修改" in resident.buttons()
    await resident.press("修改")
    assert "广场舞音量应当限制" in resident.text
    await resident.say("广场舞音量应当限制在60分贝以下，晚上九点后停止。")
    await resident.press("提交")
    assert "您的意见已修改" in resident.text and number in resident.text
    comment = await bot.app.dp["commenting"].track(number)
    assert comment.text == "广场舞音量应当限制在60分贝以下，晚上九点后停止。"


async def test_withdraw_with_confirmation(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    number = await comment_via(resident, "a3_16", "传承人补助标准太低。")
    await resident.say("/mycomments")
    await resident.press(number)
    await resident.press("撤回")
    assert "确定撤回" in resident.text
    await resident.press("不，保留")
    assert "已收到" in resident.text
    await resident.press("撤回")
    await resident.press("是，撤回")
    assert "已撤回" in resident.text and "✏️ 修改" not in resident.buttons()
    assert (await bot.app.dp["commenting"].track(number)).status.value == "withdrawn"
    await resident.say("/drafts")
    assert resident.text.count("0条意见") == 3, "withdrawn comments are not counted"


async def test_after_deadline_no_edit_and_a_clear_message(resident: Person, clock: Clock) -> None:
    await accept_privacy(resident)
    number = await comment_via(resident, "a1_20", "养老机构备案应当公开。")
    await resident.say("/mycomments")
    await resident.press(number)
    edit_data = resident.stub.button_data(resident.stub.last_message(resident.user_id), "修改")
    message_id = resident.stub.last_message(resident.user_id)["message_id"]
    clock.advance(days=31)
    await resident.press("⬅️ 我的意见")
    await resident.press(number)
    assert "征求意见已截止" in resident.text and "✏️ 修改" not in resident.buttons()
    await resident.press_data(message_id, edit_data, check=False)  # the old button, still on screen
    assert "已经截止" in resident.alert


async def test_someone_else_cannot_edit_or_withdraw_by_forged_button(resident: Person, stub, bot) -> None:
    await accept_privacy(resident)
    await comment_via(resident, "a1_9", "我的意见。")
    comment_id = (await bot.app.dp["commenting"].mine(resident.user_id, 0, 1))[0][0].id
    mallory = Person(stub, 6666)
    await accept_privacy(mallory)
    menu = stub.last_message(mallory.user_id)["message_id"]
    for action in ("edit", "confirm", "view"):
        await mallory.press_data(menu, f"mc:{comment_id}:{action}", check=False)
        assert "没有找到这条意见" in mallory.alert
    assert (await bot.app.dp["commenting"].comment(resident.user_id, comment_id)).status.value == "received"


async def test_track_by_number(resident: Person, stub) -> None:
    await accept_privacy(resident)
    number = await comment_via(resident, "a2_3", "建议明确生态环境部门牵头。")
    await resident.say(f"/track {number.lower().replace('-', '')}")
    assert number in resident.text and "已收到" in resident.text and "建议明确生态环境部门牵头" in resident.text
    stranger = Person(stub, 7007)
    await stranger.say(f"/track {number}")
    assert "已收到" in stranger.text and "建议明确" not in stranger.text, "only the author sees the text"
    await resident.say("/track")
    assert "例如" in resident.text
    await resident.say("/track YJ-1999-000001")
    assert "没有编号为" in resident.text

"""Staff review: counts and lists of comments, answering (one, or all unanswered of an article),
publishing the answers, hiding, blocking; viewers read only; forged buttons are refused and audited."""

from __future__ import annotations

from html import escape

from sqlalchemy import text

from drafts.staff import StaffRole
from handlers.staff_callbacks import StaffAnswerStatusCb, StaffBulkCb, StaffCommentCb, StaffDraftCb
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.driver import Person, RunningBot, accept_privacy, comment_via

ELDERLY = "#1 长治市养老服务条例（草案）"


async def rows(bot: RunningBot, sql: str) -> list[tuple]:
    async with bot.app.db.read() as uow:
        return [tuple(row) for row in (await uow.session.execute(text(sql))).all()]


async def comment_id(bot: RunningBot, number: str) -> int:
    return (await bot.app.dp["commenting"].track(number)).id


async def open_draft(staff: Person) -> None:
    await staff.say("/staff")
    await staff.press("法规草案")
    await staff.press(ELDERLY)


async def test_counts_by_article_and_the_list_newest_first_paginated_and_filtered(
        admin: Person, resident: Person) -> None:
    await accept_privacy(resident)
    long_text = "关于第八条<b>配建</b>标准：" + "新建住宅区应当按照每百户不少于二十平方米的标准配套建设养老服务设施。" * 3
    spots = ["a1_8", "a1_12", "a1_8", "d1", "a1_20", "a1_12", "a1_8"]
    numbers = [await comment_via(resident, spot, long_text if i == 6 else f"第{i + 1}条意见。")
               for i, spot in enumerate(spots)]
    await open_draft(admin)
    assert "意见：7条 · 未答复：7条 · 待发布的反馈：0条" in admin.text
    await admin.press("按条查看")
    assert "共7条意见" in admin.text
    assert admin.buttons()[:4] == ["第八条 · 3", "第十二条 · 2", "草案整体 · 1", "第二十条 · 1"]
    await admin.press("第十二条 · 2")
    assert "第十二条 · 共2条" in admin.text
    assert admin.text.index(numbers[5]) < admin.text.index(numbers[1]) and numbers[0] not in admin.text

    await admin.press("草案页面")
    await admin.press("全部意见")
    page_one = admin.text
    assert "全部条文 · 共7条，按时间倒序" in page_one and "1/2" in admin.buttons()
    assert [n for n in numbers if n in page_one] == numbers[2:]
    positions = [page_one.index(n) for n in reversed(numbers[2:])]
    assert positions == sorted(positions), "newest first"
    assert f"<i>{escape(long_text[:60])}…</i>" in page_one, "the first 60 characters, escaped"
    assert "第八条 · 已收到" in page_one and "草案整体 · 已收到" in page_one
    await admin.press("▶️")
    assert numbers[1] in admin.text and numbers[0] in admin.text and numbers[2] not in admin.text
    assert "2/2" in admin.buttons()
    await admin.press("仅看未答复")
    assert "未答复意见 · 全部条文 · 共7条" in admin.text
    assert "✍️ 统一反馈全部未答复意见（3条）" not in admin.buttons(), "no bulk answer over all articles"


async def test_answer_one_then_all_unanswered_of_an_article_edit_and_publish(
        admin: Person, resident: Person, stub, bot: RunningBot) -> None:
    await accept_privacy(resident)
    eighth = [await comment_via(resident, "a1_8", f"第八条意见{i}。") for i in range(3)]
    ninth = await comment_via(resident, "a1_9", "第九条意见。")
    await open_draft(admin)
    await admin.press("全部意见")
    await admin.press(eighth[0])
    assert "第八条意见0" in admin.text and "尚未反馈" in admin.text
    assert {"✍️ 反馈", "🙈 隐藏", "⛔ 禁止提出人提交意见"} <= set(admin.buttons())
    await admin.press("✍️ 反馈")
    assert "请选择办理结果" in admin.text
    assert admin.buttons() == ["采纳", "部分采纳", "未采纳", "已参考", "取消"]
    await admin.press("采纳")
    assert "办理结果：采纳" in admin.text
    await admin.send("sticker")
    assert "正在等待文字内容" in admin.text
    await admin.say("长" * 2001)
    assert "答复内容共2001字，超过2000字的限制" in admin.text
    await admin.say("感谢您的意见，已采纳。")
    assert "已为1条意见保存反馈，尚未发布" in admin.text
    await resident.say("/mycomments")
    assert resident.text.count("已收到") == 4 and "已反馈" not in resident.text

    await admin.press("⬅️ 意见列表")
    assert "第八条 · 共3条" in admin.text and "反馈：采纳（未发布）" in admin.text
    await admin.press("仅看未答复")
    assert "共2条" in admin.text and eighth[0] not in admin.text
    await admin.press("统一反馈全部未答复意见（2条）")
    assert "对第八条全部2条未答复意见作出同一反馈" in admin.text
    await admin.press("未采纳")
    assert "未采纳的意见须说明理由" in admin.text
    await admin.say("　　")
    assert "未采纳的意见须说明理由，请填写理由" in admin.text
    await admin.say("与上位法规定不一致，未予采纳。")
    assert "已为2条意见保存反馈，尚未发布" in admin.text

    await admin.press("⬅️ 意见列表")
    await admin.press(eighth[0])
    await admin.press("✏️ 修改反馈")
    await admin.press("部分采纳")
    await admin.say("部分采纳：配建标准将在实施细则中明确。")
    await admin.press("⬅️ 意见列表")
    await admin.press(eighth[0])
    assert "反馈</b>：部分采纳（未发布）" in admin.replies[-1]["params"]["text"]
    assert "配建标准将在实施细则中明确" in admin.text and "感谢您的意见" not in admin.text
    answers = await rows(bot, "SELECT comment_id, status, version, published_at FROM answers ORDER BY comment_id")
    assert answers == [(await comment_id(bot, eighth[0]), "partly_adopted", 1, None),
                       (await comment_id(bot, eighth[1]), "not_adopted", 1, None),
                       (await comment_id(bot, eighth[2]), "not_adopted", 1, None)]

    await admin.press("草案页面")
    assert "未答复：1条 · 待发布的反馈：3条" in admin.text
    await admin.press("发布反馈（3条）")
    assert "确定发布《长治市养老服务条例（草案）》的3条反馈吗" in admin.text
    confirmation = stub.last_message(admin.user_id)["message_id"]
    await admin.press("确定发布")
    assert "已发布3条反馈，每位提出意见的居民都将收到常委会的反馈" in admin.text
    assert "待发布的反馈：0条" in admin.text and not any("发布反馈" in b for b in admin.buttons()[:-1])
    await resident.say("/mycomments")
    assert resident.text.count("已反馈") == 3 and resident.text.count("已收到") == 1 and ninth in resident.text
    expected = sorted([(resident.user_id, f"feedback:{await comment_id(bot, n)}:1") for n in eighth])
    notices = "SELECT chat_id, idempotency_key FROM notifications WHERE kind = 'feedback' ORDER BY idempotency_key"
    assert await rows(bot, notices) == expected
    await admin.press_data(confirmation, StaffDraftCb(draft=1, action="publish_answers_ok").pack(), check=False)
    assert "没有待发布的反馈，本次未发布任何反馈" in admin.text
    assert await rows(bot, notices) == expected, "a second publish queues nothing new"


async def test_cancel_and_commands_work_while_answering(admin: Person, resident: Person) -> None:
    await accept_privacy(resident)
    number = await comment_via(resident, "a1_8", "意见。")
    await open_draft(admin)
    await admin.press("全部意见")
    await admin.press(number)
    await admin.press("✍️ 反馈")
    await admin.say("还没选办理结果")
    assert "请先使用上方按钮选择办理结果" in admin.text
    await admin.press("已参考")
    await admin.say("/cancel")
    assert "已取消" in admin.text
    await admin.say("这条消息不是反馈。")
    assert "已为" not in admin.text
    await open_draft(admin)
    assert "未答复：1条" in admin.text


async def test_hide_block_and_unblock(admin: Person, resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    number = await comment_via(resident, "a1_8", "广告：出售保健品，请加微信。")
    await open_draft(admin)
    await admin.press("全部意见")
    await admin.press(number)
    await admin.press("🙈 隐藏")
    assert "隐藏意见" in admin.text and number in admin.text
    await admin.say("   ")
    assert "请用一条文字消息说明理由" in admin.text
    await admin.say("广告<推销>")
    assert "🙈 该意见已隐藏" in admin.text and "已隐藏：广告&lt;推销&gt;" in admin.replies[-1]["params"]["text"]
    assert "👁 取消隐藏" in admin.buttons() and "✍️ 反馈" in admin.buttons(), "a hidden comment is still answered"
    await admin.press("⬅️ 意见列表")
    assert "🙈 已隐藏" in admin.text
    await admin.press(number)

    await admin.press("⛔ 禁止提出人提交意见")
    await admin.say("多次发布广告")
    assert "⛔ 已禁止该提出人提交意见" in admin.text and "✅ 解除禁止" in admin.buttons()
    assert str(resident.user_id) not in admin.text, "staff never see a resident's Telegram id"
    await resident.say("/start a1_9")
    await resident.press("提意见")
    assert "您已不能在此提交意见" in resident.alert

    await admin.press("✅ 解除禁止")
    assert "该提出人已可重新提交意见" in admin.text and "⛔ 禁止提出人提交意见" in admin.buttons()
    await admin.press("👁 取消隐藏")
    assert "该意见已取消隐藏" in admin.text and "已隐藏：" not in admin.text
    assert await comment_via(resident, "a1_9", "恢复后的正常意见。")
    actions = await rows(bot, f"SELECT action, details FROM audit_log WHERE actor_id = {ADMIN_ID} AND allowed "
                              "AND (action LIKE '%hide' OR action LIKE 'resident.%') ORDER BY id")
    assert actions == [("comment.hide", "广告<推销>"), ("resident.block", "多次发布广告"),
                       ("resident.unblock", ""), ("comment.unhide", "")]


async def test_a_viewer_reads_but_cannot_answer(admin: Person, resident: Person, stub, bot: RunningBot) -> None:
    await accept_privacy(resident)
    number = await comment_via(resident, "a1_8", "查阅人员可以看到的意见。")
    await bot.app.dp["staff_directory"].add(ADMIN_ID, 4242, StaffRole.VIEWER)
    viewer = Person(stub, 4242, first_name="孙查阅")
    await open_draft(viewer)
    assert not any("发布反馈" in b for b in viewer.buttons())
    await viewer.press("按条查看")
    await viewer.press("第八条 · 1")
    assert number in viewer.text and not any("统一反馈" in b for b in viewer.buttons())
    await viewer.press(number)
    assert "查阅人员可以看到的意见" in viewer.text
    assert viewer.buttons() == ["⬅️ 意见列表", "⬅️ 草案页面"]
    screen = stub.last_message(viewer.user_id)["message_id"]
    cid = await comment_id(bot, number)
    for forged in (StaffCommentCb(comment=cid, action="answer"), StaffBulkCb(draft=1, article=8),
                   StaffCommentCb(comment=cid, action="unhide"), StaffDraftCb(draft=1, action="publish_answers_ok")):
        await viewer.press_data(screen, forged.pack(), check=False)
        assert "无权进行此操作" in viewer.alert
    await viewer.press_data(screen, StaffAnswerStatusCb(status="adopted").pack(), check=False)
    assert "已失效" in viewer.alert, "no answer is pending"
    denied = await rows(bot, "SELECT action, allowed FROM audit_log WHERE actor_id = 4242 ORDER BY id")
    assert denied == [(f"button:s_k:{cid}:answer", 0), ("button:s_b:1:8", 0), ("comment.unhide", 0),
                      ("answers.publish", 0)]
    assert await rows(bot, "SELECT count(*) FROM answers") == [(0,)]


async def test_non_staff_forging_review_buttons_is_refused_and_audited(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    number = await comment_via(resident, "a1_8", "我的意见。")
    cid = await comment_id(bot, number)
    menu = resident.stub.last_message(resident.user_id)["message_id"]
    forged = [StaffCommentCb(comment=cid).pack(), StaffBulkCb(draft=1, article=8).pack(),
              StaffDraftCb(draft=1, action="publish_answers_ok").pack(), StaffCommentCb(comment=cid, action="block").pack()]
    for data in forged:
        await resident.press_data(menu, data, check=False)
        assert "已失效" in resident.alert
    denied = await rows(bot, f"SELECT action, allowed FROM audit_log WHERE actor_id = {resident.user_id} ORDER BY id")
    assert denied == [(f"button:{data}", 0) for data in forged]
    assert await rows(bot, "SELECT count(*) FROM answers") == [(0,)]
    assert await rows(bot, "SELECT count(*) FROM notifications WHERE kind != 'staff_digest'") == [(0,)]
    assert await rows(bot, "SELECT blocked_reason FROM residents") == [(None,)]
    await resident.say("/mycomments")
    assert "已收到" in resident.text

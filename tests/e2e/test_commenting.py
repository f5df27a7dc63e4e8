"""Commenting on an article or the whole draft: limit, preview, edit, sign, submit, receipt."""

from __future__ import annotations

import re

from tests.e2e.driver import Person, RunningBot, accept_privacy

TRACKING = re.compile(r"YJ-\d{4}-\d{6}")


async def stored_comments(bot: RunningBot, resident_id: int):  # type: ignore[no-untyped-def]
    async with bot.app.db.read() as uow:
        return await uow.comments.list_by_resident(resident_id, 0, 100)


async def test_comment_on_article_preview_submit_receipt(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await resident.say("/start a2_18")
    await resident.press("对本条提意见")
    assert "第十八条" in resident.text and "2000" in resident.text
    await resident.say("建议把夜间施工的时段延长到早上7点，早上6点施工太早了。")
    assert "预览" in resident.text and "夜间施工的时段" in resident.text and "署名：匿名" in resident.text
    assert {"✅ 提交", "✏️ 修改", "✖️ 取消", "✍️ 署名提交"} <= set(resident.buttons())
    assert await stored_comments(bot, resident.user_id) == [], "nothing stored before Submit"
    await resident.press("提交")
    number = TRACKING.search(resident.text).group(0)
    assert "意见已收到" in resident.text and "第十八条" in resident.text and "/track" in resident.text
    [comment] = await stored_comments(bot, resident.user_id)
    assert comment.tracking_number == number and comment.article_number == 18 and comment.draft_id == 2
    assert comment.text == "建议把夜间施工的时段延长到早上7点，早上6点施工太早了。"
    assert comment.language == "zh" and comment.signed_name is None
    await resident.say("/drafts")
    assert "1条意见" in resident.text  # the count on the list went up


async def test_whole_draft_comment_signed_with_name(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await resident.say("/start d1")
    await resident.press("对草案整体提意见")
    assert "草案整体" in resident.text
    await resident.say("I support this draft, but rural areas need more day-care centres.")
    await resident.press("署名提交")
    assert "署名：李华" in resident.text and "🙈 匿名提交" in resident.buttons()
    await resident.press("提交")
    [comment] = await stored_comments(bot, resident.user_id)
    assert comment.article_number is None and comment.signed_name == "李华" and comment.language == "en"


async def test_anonymous_again_after_signing(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await resident.say("/start a1_3")
    await resident.press("对本条提意见")
    await resident.say("第三条的部门职责写得很清楚。")
    await resident.press("署名提交")
    await resident.press("匿名提交")
    assert "署名：匿名" in resident.text
    await resident.press("提交")
    [comment] = await stored_comments(bot, resident.user_id)
    assert comment.signed_name is None


async def test_too_long_comment_is_returned_to_be_shortened(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await resident.say("/start a3_5")
    await resident.press("对本条提意见")
    long_text = "建议加强对上党落子的保护。" * 160  # 2080 characters
    await resident.say(long_text)
    assert "2080" in resident.text and "2000" in resident.text
    assert resident.replies[-1]["params"]["text"] == long_text, "the text comes back so nothing is lost"
    assert "parse_mode" not in resident.replies[-1]["params"] or resident.replies[-1]["params"]["parse_mode"] in (None, "")
    await resident.say(long_text[:2000])  # exactly the limit is fine
    assert "预览" in resident.text
    await resident.press("提交")
    [comment] = await stored_comments(bot, resident.user_id)
    assert len(comment.text) == 2000


async def test_edit_in_preview_then_cancel_sends_nothing(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await resident.say("/start a1_8")
    await resident.press("对本条提意见")
    await resident.say("第一稿")
    await resident.press("修改")
    assert "第一稿" in resident.text  # the current text is given back to copy
    await resident.say("第二稿：每百户二十平方米的标准偏低。")
    assert "第二稿" in resident.text and "第一稿" not in resident.text
    await resident.press("取消")
    assert "未提交" in resident.text
    assert await stored_comments(bot, resident.user_id) == []


async def test_user_text_is_escaped_everywhere(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await resident.say("/start a2_1")
    await resident.press("对本条提意见")
    hostile = "<b>加粗</b> & <script>alert(1)</script> a<b c"
    await resident.say(hostile)
    assert "&lt;script&gt;" in resident.text and "&amp;" in resident.text
    await resident.press("提交")
    await resident.say("/mycomments")
    await resident.press("YJ-")
    assert "&lt;b&gt;加粗&lt;/b&gt;" in resident.text
    assert resident.stub.parse_errors == []


async def test_double_submit_stores_one_comment(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await resident.say("/start a1_5")
    await resident.press("对本条提意见")
    await resident.say("同一条意见只应保存一次。")
    preview = resident.stub.last_message(resident.user_id)
    submit = resident.stub.button_data(preview, "提交")
    mark = resident.stub.mark()
    resident.stub.press(resident.user_id, preview["message_id"], submit)
    resident.stub.press(resident.user_id, preview["message_id"], submit)  # an impatient second tap
    await resident.stub.wait_until_idle(quiet=0.3)
    assert len(await stored_comments(bot, resident.user_id)) == 1
    answers = [e for e in resident.stub.events[mark:] if e["method"] == "answerCallbackQuery"]
    assert len(answers) == 2 and any("失效" in (e["params"].get("text") or "") for e in answers)


async def test_comment_needs_privacy_consent_first(stub, bot: RunningBot) -> None:
    newcomer = Person(stub, 3003)
    await newcomer.say("/drafts")  # reading needs no consent
    await newcomer.press("噪声污染防治")
    await newcomer.press("第一章")
    await newcomer.press("第一条")
    await newcomer.press("对本条提意见")
    assert "隐私说明" in newcomer.text
    await newcomer.press("我同意")
    assert "第一条" in newcomer.text and "💬 对本条提意见" in newcomer.buttons()  # back where they were
    await newcomer.press("对本条提意见")
    assert "请用一条消息写下您对" in newcomer.text


async def test_english_resident_comments_end_to_end(stub, bot: RunningBot) -> None:
    alice = Person(stub, 2222, language_code="en-GB", first_name="Alice")
    await alice.say("/start a2_26")
    await alice.press("I agree")
    assert "Article" not in alice.text and "第二十六条" in alice.text  # the draft itself stays in Chinese
    await alice.press("Comment on this article")
    assert "Write your comment on" in alice.text and "2000 characters" in alice.text
    await alice.say("Renovation noise should also be banned on Sunday mornings.")
    assert "Preview" in alice.text and "Signed: anonymous" in alice.text
    await alice.press("Sign with my name")
    assert "Signed: Alice" in alice.text
    await alice.press("Submit")
    assert "Comment received" in alice.text and "What happens next" in alice.text
    number = re.search(r"YJ-\d{4}-\d{6}", alice.text).group(0)
    await alice.say("/mycomments")
    assert number in alice.text and "received" in alice.text
    stored = await bot.app.dp["commenting"].track(number)
    assert stored.language == "en" and stored.signed_name == "Alice"

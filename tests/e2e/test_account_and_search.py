"""/help, /language, /privacy, /mydata, /forget, /search and the command menu in both languages."""

from __future__ import annotations

import json
import re

from tests.e2e.driver import Person, RunningBot, accept_privacy, comment_via, read_document


async def test_command_menu_registered_in_both_languages(stub, bot: RunningBot) -> None:
    await stub.wait_for_event("deleteWebhook")
    await stub.wait_until_idle(quiet=0.1)
    zh, en, default = stub.get_commands(language_code="zh"), stub.get_commands(language_code="en"), stub.get_commands()
    assert zh and en and default
    assert [c["command"] for c in zh] == [c["command"] for c in en]
    assert {"start", "drafts", "mycomments", "track", "search", "subscribe", "language", "help", "cancel",
            "privacy", "mydata", "forget"} == {c["command"] for c in zh}
    assert next(c for c in zh if c["command"] == "mycomments")["description"] == "我的意见"
    assert next(c for c in en if c["command"] == "mycomments")["description"] == "My comments"
    assert default == zh  # DEFAULT_LANGUAGE is zh


async def test_help_and_privacy(resident: Person) -> None:
    await resident.say("/help")
    assert "/track" in resident.text and "/search" in resident.text and "/forget" in resident.text
    await resident.say("/privacy")
    assert "隐私说明" in resident.text and "用户编号" in resident.text


async def test_language_choice_overrides_telegram_language(resident: Person) -> None:
    await accept_privacy(resident)
    await resident.say("/language")
    assert resident.buttons() == ["中文", "English"]
    await resident.press("English")
    assert "Language set to English." in resident.text and "📜 Open drafts" in resident.buttons()
    await resident.say("/help")  # Telegram still says zh-hans; the choice wins
    assert "How Yijian works" in resident.text
    await resident.say("/language")
    await resident.press("中文")
    assert "已切换为中文" in resident.text


async def test_unknown_telegram_language_falls_back_to_default(stub, bot: RunningBot) -> None:
    pierre = Person(stub, 4004, language_code="fr")
    await pierre.say("/help")
    assert "使用说明" in pierre.text


async def test_mydata_sends_everything_stored(resident: Person) -> None:
    await accept_privacy(resident)
    await comment_via(resident, "a1_10", "新建小区配套养老用房应当按时移交。", signed=True)
    await resident.say("/mydata")
    [document] = [e for e in resident.replies if e["method"] == "sendDocument"]
    data = json.loads(read_document(resident.stub, document))
    assert data["telegram_user_id"] == resident.user_id and data["privacy_accepted_at"]
    [comment] = data["comments"]
    assert comment["text"] == "新建小区配套养老用房应当按时移交。" and comment["signed_name"] == "李华"
    assert re.fullmatch(r"YJ-\d{4}-\d{6}", comment["tracking_number"])
    assert "1条意见" in document["params"]["caption"]
    assert data["conversation"] == {"state": None, "data": {}}


async def test_mydata_includes_a_comment_being_written(resident: Person) -> None:
    await accept_privacy(resident)
    await resident.say("/start a1_4")
    await resident.press("提意见")
    await resident.say("还没提交的意见")
    await resident.say("/mydata")
    [document] = [e for e in resident.replies if e["method"] == "sendDocument"]
    conversation = json.loads(read_document(resident.stub, document))["conversation"]
    assert conversation["state"] == "CommentFlow:preview" and conversation["data"]["text"] == "还没提交的意见"


async def test_forget_deletes_personal_data_and_keeps_comments_anonymised(resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    number = await comment_via(resident, "a2_30", "物业应当劝阻装修噪声。", signed=True)
    await resident.say("/forget")
    await resident.press("不，保留")
    assert "没有删除" in resident.text
    await resident.say("/forget")
    await resident.press("是，删除")
    assert "已删除" in resident.text and "1条意见" in resident.text
    comment = await bot.app.dp["commenting"].track(number)
    assert comment.resident_id is None and comment.signed_name is None and comment.text == "物业应当劝阻装修噪声。"
    assert await bot.app.dp["residents"].get(resident.user_id) is None
    await resident.say("/start")
    assert "隐私说明" in resident.text, "a new start asks for consent again"


async def test_search_with_words(resident: Person) -> None:
    await resident.say("/search 夜间 施工")
    assert "包含“夜间 施工”的条文" in resident.text and "第十八条" in resident.text
    assert all("噪声" in b for b in resident.buttons() if "·" in b)
    await resident.press("第十八条")
    assert "禁止夜间进行产生噪声的建筑施工作业" in resident.text


async def test_search_without_words_asks_for_them(resident: Person) -> None:
    await resident.say("/search")
    assert "关键词" in resident.text
    await resident.send("sticker")
    assert "关键词" in resident.text  # still waiting for the words
    await resident.say("上党落子")
    assert "包含“上党落子”的条文" in resident.text


async def test_search_without_hits_and_with_markup(resident: Person) -> None:
    await resident.say("/search <i>不存在的词</i>")
    assert "没有包含“&lt;i&gt;不存在的词&lt;/i&gt;”的条文" in resident.text
    assert resident.stub.parse_errors == []

"""Editors publish drafts from a file, revise, extend, close and archive them; non-staff cannot."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import docx
import pytest
from babel.dates import format_date
from sqlalchemy import text

from drafts.models import Draft, DraftStatus
from tests.e2e.botapi_stub import BotAPIStub
from tests.e2e.driver import Clock, Person, RunningBot, accept_privacy, comment_via

TZ = ZoneInfo("Asia/Shanghai")
TITLE = "长治市城市绿化条例（草案）"
DRAFT = f"""{TITLE}
（征求意见稿）

第一章　总则
第一条　为了促进城市绿化事业发展，改善生态环境，根据有关法律、行政法规，结合本市实际，制定本条例。
第二条　本市城市规划区内的绿化规划、建设、保护和管理，适用本条例。
第二章　建设与保护
第三条　任何单位和个人不得擅自砍伐城市树木。
第四条　违反本条例规定的，由城市绿化主管部门责令改正。

起草说明
一、制定本条例的必要性……
"""
REVISED = DRAFT.replace("不得擅自砍伐城市树木。", "不得擅自砍伐、移植城市树木。")
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def zh_day(moment: datetime) -> str:
    return format_date(moment.astimezone(TZ), format="long", locale="zh_Hans_CN")


async def all_drafts(bot: RunningBot) -> dict[int, Draft]:
    async with bot.app.db.read() as uow:
        return {draft.id: draft for draft in await uow.drafts.list_all(include_archived=True)}


async def rows(bot: RunningBot, sql: str, **params: object) -> list[tuple]:
    async with bot.app.db.read() as uow:
        return [tuple(row) for row in (await uow.session.execute(text(sql), params)).all()]


def draft_buttons(person: Person) -> list[str]:
    return [button for button in person.buttons() if button.startswith("长治市")]


async def publish(admin: Person, content: str = DRAFT, button: str = "30天") -> None:
    await admin.upload(content.encode(), "绿化条例.txt", "text/plain")
    await admin.press(button)
    assert "已公开征求意见" in admin.text, admin.text


async def staff_page(admin: Person, draft_id: int) -> None:
    await admin.say("/staff")
    await admin.press("📑 法规草案")
    await admin.press(f"#{draft_id} ")
    assert f"#{draft_id} " in admin.text and "截止日期：" in admin.text


async def test_txt_upload_preview_then_30_days_publishes_for_residents(
        admin: Person, resident: Person, bot: RunningBot, clock: Clock) -> None:
    await admin.upload(DRAFT.encode(), "绿化条例.txt", "text/plain")
    preview = admin.text
    assert "上传文件预览" in preview and f"<b>{TITLE}</b>" in preview
    assert "摘要：为了促进城市绿化事业发展，改善生态环境" in preview
    assert "第一章　总则（第一条—第二条）" in preview and "第二章　建设与保护（第三条—第四条）" in preview
    assert "共4条" in preview and "起草说明：已包含" in preview
    assert admin.buttons() == ["15天", "30天", "45天", "📅 自选日期", "✖️ 取消"]
    assert len(await all_drafts(bot)) == 3, "nothing is published before a deadline is chosen"

    await admin.press("30天")
    deadline = datetime.combine(clock.now.astimezone(TZ).date() + timedelta(days=30), time(23, 59, 59), TZ)
    assert "已公开征求意见" in admin.text and f"#4 {TITLE}" in admin.text
    assert "https://t.me/yijian_test_bot?start=d4" in admin.text and zh_day(deadline) in admin.text
    assert admin.buttons() == ["🗂 本草案工作页面"]
    draft = (await all_drafts(bot))[4]
    assert draft.title == TITLE and draft.closes_at == deadline and draft.status is DraftStatus.OPEN
    assert draft.note.startswith("起草说明") and len(draft.document.articles) == 4

    await accept_privacy(resident)
    await resident.say("/drafts")
    assert f"4. <b>{TITLE}</b>" in resident.text and "5. " not in resident.text
    assert draft_buttons(resident) == [
        "长治市养老服务条例（草案）", "长治市噪声污染防治条例（草案）", "长治市地方传统戏剧保护条例（草案）", TITLE]
    await resident.press(TITLE)
    assert f"<b>{TITLE}</b>" in resident.text and "第二章 建设与保护" in resident.buttons()
    await resident.press("第二章 建设与保护")
    await resident.press("第三条")
    assert "任何单位和个人不得擅自砍伐城市树木。" in resident.text and "💬 对本条提意见" in resident.buttons()

    await admin.press("本草案工作页面")
    assert f"#4 {TITLE}" in admin.text and "状态：征求意见中 · 第1版" in admin.text


async def test_markdown_upload_45_days(admin: Person, bot: RunningBot, clock: Clock) -> None:
    markdown = (f"# {TITLE}\n\n## 第一章　总则\n\n**第一条**　为了保护城市绿地，制定本条例。\n\n"
                "**第二条**　本条例适用于本市。\n\n## 第二章　附则\n\n**第三条**　本条例自公布之日起施行。\n")
    await admin.upload(markdown.encode(), "draft.md", "text/markdown")
    assert f"<b>{TITLE}</b>" in admin.text and "第二章　附则（第三条—第三条）" in admin.text
    assert "共3条" in admin.text and "起草说明：未找到" in admin.text
    await admin.press("45天")
    draft = (await all_drafts(bot))[4]
    assert draft.title == TITLE and len(draft.document.articles) == 3 and draft.note == ""
    assert draft.closes_at.astimezone(TZ).date() == clock.now.astimezone(TZ).date() + timedelta(days=45)
    assert draft.document.article(1).text == "为了保护城市绿地，制定本条例。"


async def test_docx_upload_15_days(admin: Person, bot: RunningBot, clock: Clock) -> None:
    document = docx.Document()
    for line in (TITLE, "第一章　总则", "第一条　为了加强城市绿化管理，制定本条例。", "第二条　本条例适用于本市。",
                 "（一）公园绿地；", "（二）道路绿地。"):
        document.add_paragraph(line)
    content = io.BytesIO()
    document.save(content)
    await admin.upload(content.getvalue(), "城市绿化条例.docx", DOCX_MIME)
    assert f"<b>{TITLE}</b>" in admin.text and "第一章　总则（第一条—第二条）" in admin.text and "共2条" in admin.text
    await admin.press("15天")
    assert "https://t.me/yijian_test_bot?start=d4" in admin.text
    draft = (await all_drafts(bot))[4]
    assert draft.closes_at.astimezone(TZ).date() == clock.now.astimezone(TZ).date() + timedelta(days=15)
    assert draft.document.article(2).paragraphs[0].items == ("（一）公园绿地；", "（二）道路绿地。")


async def test_malformed_document_names_the_line_and_publishes_nothing(admin: Person, bot: RunningBot) -> None:
    skipped = f"{TITLE}\n\n第一章　总则\n第一条　为了绿化，制定本条例。\n第三条　本条例适用于本市。\n"
    await admin.upload(skipped.encode(), "draft.txt")
    assert "第5行：此处应为第二条，却是第三条，编号有遗漏。" in admin.text and "未发布任何内容" in admin.text
    assert admin.buttons() == []
    await admin.upload("第一条　没有标题的文件。\n".encode(), "draft.txt")
    assert "第1行：未找到标题" in admin.text
    assert len(await all_drafts(bot)) == 3


async def test_pdf_is_refused_politely_without_download(admin: Person, bot: RunningBot, stub: BotAPIStub) -> None:
    await admin.upload(b"%PDF-1.4 fake", "draft.pdf", "application/pdf")
    assert "请以 .txt、.md 或 .docx 格式发送草案文件" in admin.text and "PDF" in admin.text
    assert stub.downloads == [] and len(await all_drafts(bot)) == 3


async def test_typed_date_malformed_past_then_valid(admin: Person, bot: RunningBot, clock: Clock,
                                                    stub: BotAPIStub) -> None:
    await admin.upload(DRAFT.encode(), "draft.txt")
    preview = stub.last_message(admin.user_id)["message_id"]
    await admin.press("自选日期")
    assert "YYYY-MM-DD" in admin.text
    await admin.say("下个月底")
    assert "无法识别该日期" in admin.text and "YYYY-MM-DD" in admin.text
    await admin.say("2020-01-01")
    assert admin.text == "该日期已过，请选择今后的日期。"
    await admin.say("2026-02-30")
    assert "无法识别该日期" in admin.text
    assert len(await all_drafts(bot)) == 3, "the state waits for a usable date"
    day = clock.now.astimezone(TZ).date() + timedelta(days=20)
    await admin.say(day.isoformat())
    assert "已公开征求意见" in admin.text and zh_day(datetime.combine(day, time(12), TZ)) in admin.text
    draft = (await all_drafts(bot))[4]
    assert draft.closes_at == datetime.combine(day, time(23, 59, 59), TZ)
    await admin.press_data(preview, "s_p:30")
    assert "该预览已失效" in admin.alert and len(await all_drafts(bot)) == 4, "one upload publishes once"


@pytest.mark.parametrize("redis_url", ["sql", "redis"], indirect=True)
async def test_preview_and_date_state_survive_a_restart(admin: Person, bot: RunningBot, clock: Clock,
                                                        redis_url: str | None) -> None:
    await admin.upload(DRAFT.encode(), "draft.txt")
    await bot.stop()  # between the preview and the choice of deadline
    await bot.start()
    await admin.press("自选日期")
    await bot.stop()  # and while the date is being typed
    await bot.start()
    day = clock.now.astimezone(TZ).date() + timedelta(days=10)
    await admin.say(day.isoformat())
    assert "已公开征求意见" in admin.text
    assert (await all_drafts(bot))[4].closes_at == datetime.combine(day, time(23, 59, 59), TZ)


async def test_cancel_in_date_state_drops_the_upload(admin: Person, bot: RunningBot) -> None:
    await admin.upload(DRAFT.encode(), "draft.txt")
    await admin.press("自选日期")
    await admin.say("/cancel")
    assert "已取消" in admin.text
    await admin.say("2030-01-01")
    assert "无法识别该日期" not in admin.text and "已公开征求意见" not in admin.text
    await admin.press("30天")
    assert "该预览已失效" in admin.alert and len(await all_drafts(bot)) == 3


async def test_revise_notifies_only_residents_of_changed_articles(
        admin: Person, resident: Person, bot: RunningBot, stub: BotAPIStub) -> None:
    await publish(admin)
    other = Person(stub, 1002, first_name="张伟")
    await accept_privacy(resident)
    await accept_privacy(other)
    await comment_via(resident, "a4_3", "建议明确擅自砍伐的认定标准。")
    await comment_via(other, "a4_2", "第二条的适用范围清楚。")

    await admin.press("本草案工作页面")
    await admin.press("📝 修改草案")
    assert "修改后的完整文本" in admin.text
    await admin.say("新版本马上发")
    assert "正在等待新版本文件" in admin.text
    await admin.upload(DRAFT.encode(), "v1.txt")
    assert "该版本与现行版本相同" in admin.text and admin.buttons() == []
    await admin.upload(REVISED.replace("第四条", "第五条").encode(), "v2.txt")
    assert "第9行：此处应为第四条，却是第五条" in admin.text, "a broken version is refused; the state stays"
    await admin.upload(REVISED.encode(), "v2.txt")
    assert "修改的条文：第三条" in admin.text and "条文数：原4条，现4条。" in admin.text
    assert admin.buttons() == ["✅ 确认", "✖️ 取消"]
    await admin.press("确认")
    assert "✅ 第2版已发布。修改的条文：第三条。" in admin.text and "状态：征求意见中 · 第2版" in admin.text

    await other.say("/start a4_3")
    assert "不得擅自砍伐、移植城市树木。" in other.text
    notices = await rows(bot, "SELECT chat_id, payload FROM notifications WHERE kind = 'article_changed'")
    assert len(notices) == 1 and notices[0][0] == resident.user_id
    assert '"article": 3' in notices[0][1] and '"version": 2' in notices[0][1]


async def test_extend_by_15_days_shows_on_the_residents_page(admin: Person, resident: Person, bot: RunningBot) -> None:
    before = (await all_drafts(bot))[1].closes_at
    await staff_page(admin, 1)
    await admin.press("⏳ 延长期限")
    assert admin.buttons()[:3] == [f"延长{n}天（至{zh_day(before + timedelta(days=n))}）" for n in (7, 15, 30)]
    await admin.press("延长15天")
    after = before + timedelta(days=15)
    assert f"✅ 征求意见截止日期已调整为{zh_day(after)}。" in admin.text and f"截止日期：{zh_day(after)}" in admin.text
    assert (await all_drafts(bot))[1].closes_at == after
    await accept_privacy(resident)
    await resident.say("/start d1")
    assert f"征求意见截止日期：{zh_day(after)}" in resident.text


async def test_pressing_extend_twice_extends_once(admin: Person, bot: RunningBot) -> None:
    """A second press of the same "+7 days" (a double tap, or the old menu) must not extend again."""
    before = (await all_drafts(bot))[1].closes_at
    await staff_page(admin, 1)
    await admin.press("⏳ 延长期限")
    menu = admin.stub.last_message(admin.user_id)
    data = next(d for t, d in admin.stub.buttons(menu) if "延长7天" in t)
    await admin.press_data(menu["message_id"], data)
    after = before + timedelta(days=7)
    assert (await all_drafts(bot))[1].closes_at == after
    await admin.press_data(menu["message_id"], data, check=False)
    assert admin.alert == f"截止时间已经变更：征求意见现在截止于{zh_day(after)}。"
    assert (await all_drafts(bot))[1].closes_at == after


async def test_extend_to_a_typed_date_refuses_an_earlier_one(admin: Person, bot: RunningBot) -> None:
    before = (await all_drafts(bot))[2].closes_at
    await staff_page(admin, 2)
    await admin.press("⏳ 延长期限")
    await admin.press("自选日期")
    await admin.say((before.astimezone(TZ).date() - timedelta(days=1)).isoformat())
    assert admin.text == "新的截止日期必须晚于当前截止日期。"
    await admin.say((before.astimezone(TZ).date() + timedelta(days=400)).isoformat())
    assert admin.text == "征求意见期最长为一年，请选择更早的日期。"
    target = before.astimezone(TZ).date() + timedelta(days=10)
    await admin.say(target.isoformat())
    assert (await all_drafts(bot))[2].closes_at == datetime.combine(target, time(23, 59, 59), TZ)
    assert f"截止日期：{zh_day(datetime.combine(target, time(12), TZ))}" in admin.text


async def test_close_now_then_archive(admin: Person, resident: Person, bot: RunningBot) -> None:
    await accept_privacy(resident)
    await resident.say("/start a2_5")
    assert "💬 对本条提意见" in resident.buttons()
    await staff_page(admin, 2)
    await admin.press("⛔ 立即截止")
    assert "确定立即截止" in admin.text and admin.buttons() == ["⛔ 确定立即截止", "否"]
    await admin.press("确定立即截止")
    assert "✅ 征求意见已截止。" in admin.text and "状态：已截止" in admin.text
    assert "🗄 归档" in admin.buttons() and "⛔ 立即截止" not in admin.buttons()
    assert (await all_drafts(bot))[2].status is DraftStatus.CLOSED

    await resident.press("对本条提意见")  # the button of the article page read before the close
    assert "已经截止" in resident.alert

    await admin.press("🗄 归档")
    await admin.press("确定归档")
    assert "✅ 草案已归档。" in admin.text and "状态：已归档" in admin.text
    assert (await all_drafts(bot))[2].status is DraftStatus.ARCHIVED
    await admin.say("/staff")
    await admin.press("📑 法规草案")
    assert not any(b.startswith("#2 ") for b in admin.buttons()) and any(b.startswith("#1 ") for b in admin.buttons())
    await resident.say("/drafts")
    assert "长治市噪声污染防治条例（草案）" not in resident.text
    assert draft_buttons(resident) == ["长治市养老服务条例（草案）", "长治市地方传统戏剧保护条例（草案）"]
    actions = await rows(bot, "SELECT action, allowed FROM audit_log WHERE object_id = '2' AND actor_id = :a",
                         a=admin.user_id)
    assert ("draft.close", 1) in actions and ("draft.archive", 1) in actions


async def test_resident_document_gets_the_ordinary_reply(resident: Person, bot: RunningBot, stub: BotAPIStub) -> None:
    await accept_privacy(resident)
    await resident.upload(DRAFT.encode(), "绿化条例.txt", "text/plain")
    assert "本服务只能识别文字消息。" in resident.text and "预览" not in resident.text
    assert stub.downloads == [] and len(await all_drafts(bot)) == 3


async def test_forged_staff_buttons_are_refused_and_audited(resident: Person, bot: RunningBot,
                                                            stub: BotAPIStub) -> None:
    await accept_privacy(resident)
    message_id = stub.last_message(resident.user_id)["message_id"]
    for data in ("s_d:1:close_ok", "s_p:30", "s_x:1:30"):
        await resident.press_data(message_id, data, check=False)
        assert resident.alert == "该按钮已失效，请从主菜单重新开始：/start"
    drafts = await all_drafts(bot)
    assert len(drafts) == 3 and drafts[1].status is DraftStatus.OPEN and drafts[1].version == 1
    refused = await rows(bot, "SELECT action, allowed FROM audit_log WHERE actor_id = :a ORDER BY id",
                         a=resident.user_id)
    assert refused == [("button:s_d:1:close_ok", 0), ("button:s_p:30", 0), ("button:s_x:1:30", 0)]

"""Statistics with a chart, the synthesis as .xlsx and .csv from the bot, and the residents' results."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from drafts.models import AnswerStatus
from drafts.staff import StaffRole
from tests.e2e.conftest import ADMIN_ID
from tests.e2e.driver import Person, RunningBot, accept_privacy, comment_via, read_document


async def two_comments(resident: Person, bot: RunningBot) -> list[int]:
    await accept_privacy(resident)
    await comment_via(resident, "a2_18", "夜间施工应当提前告知居民。", signed=True)
    await comment_via(resident, "a2_18", "<b>噪声</b> & 罚款应当提高")
    comments, _ = await bot.app.dp["commenting"].mine(resident.user_id, 0, 10)
    return [c.id for c in comments]


async def staff_page(admin: Person) -> None:
    await admin.say("/staff")
    await admin.press("法规草案")
    await admin.press("#2 ")


async def test_statistics_and_chart(admin: Person, resident: Person, bot: RunningBot) -> None:
    await two_comments(resident, bot)
    await staff_page(admin)
    await admin.press("统计")
    text = admin.text
    assert "意见：2条，来自1位居民" in text and "第十八条 · 2" in text and "zh 2" in text
    [photo] = [e for e in admin.replies if e["method"] == "sendPhoto"]
    png = admin.stub.file_content(photo["message"]["photo"][-1]["file_id"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


async def test_synthesis_xlsx_and_csv_from_the_bot(admin: Person, resident: Person, bot: RunningBot) -> None:
    await two_comments(resident, bot)
    await staff_page(admin)
    await admin.press("意见汇总（.xlsx）")
    [document] = [e for e in admin.replies if e["method"] == "sendDocument"]
    assert document["message"]["document"]["file_name"] == "yijian-synthesis-draft-2.xlsx"
    book = load_workbook(io.BytesIO(read_document(admin.stub, document)))
    sheet = book["意见"]
    assert [c.value for c in sheet[1]][:4] == ["意见编号", "章", "条", "意见内容"] and sheet.freeze_panes == "A2"
    texts = {row[3] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert texts == {"夜间施工应当提前告知居民。", "<b>噪声</b> & 罚款应当提高"}
    cells = [str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None]
    assert not any(str(resident.user_id) in cell for cell in cells), "no Telegram id in the synthesis"
    assert any("李华" in cell for cell in cells) and any("居民001" in cell for cell in cells)
    await staff_page(admin)
    await admin.press("意见汇总（.csv）")
    [document] = [e for e in admin.replies if e["method"] == "sendDocument"]
    raw = read_document(admin.stub, document)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "意见编号" and len(rows) == 3
    async with bot.app.db.read() as uow:
        assert [e.action for e in await uow.audit.recent(5)][:2] == ["synthesis.export", "synthesis.export"]


async def test_viewer_exports_but_non_staff_cannot(admin: Person, resident: Person, stub, bot: RunningBot) -> None:
    await two_comments(resident, bot)
    await bot.app.dp["staff_directory"].add(ADMIN_ID, 3131, StaffRole.VIEWER)
    viewer = Person(stub, 3131)
    await staff_page(viewer)
    await viewer.press("意见汇总（.csv）")
    assert any(e["method"] == "sendDocument" for e in viewer.replies)
    menu = stub.last_message(resident.user_id)["message_id"]
    await resident.press_data(menu, "s_d:2:xlsx", check=False)
    assert "已失效" in resident.alert
    assert not any(e["method"] == "sendDocument" and e["chat_id"] == resident.user_id for e in stub.events)


async def test_residents_see_results_once_answers_are_published(admin: Person, resident: Person,
                                                               bot: RunningBot) -> None:
    ids = await two_comments(resident, bot)
    await bot.app.dp["publishing"].close(ADMIN_ID, 2)
    await resident.say("/start d2")
    await resident.press("征求意见结果")
    assert "尚未发布" in resident.text
    await bot.app.dp["answering"].answer(ADMIN_ID, [ids[0]], AnswerStatus.NOT_ADOPTED, "罚款幅度由上位法规定。")
    await bot.app.dp["answering"].answer(ADMIN_ID, [ids[1]], AnswerStatus.ADOPTED, "已在第十九条中增加告知要求。")
    await bot.app.dp["answering"].publish(ADMIN_ID, 2)
    await resident.press("返回草案")
    await resident.press("征求意见结果")
    text = resident.text
    assert "共收到意见2条，其中采纳1条、部分采纳0条、未采纳1条、已参考0条" in text
    assert "夜间施工应当提前告知居民" in text and "已在第十九条中增加告知要求" in text
    assert "罚款应当提高" not in text and "李华" not in text, "only adopted opinions, anonymous"
    await resident.say("/drafts")
    await resident.press("往期征求意见结果")
    assert "长治市噪声污染防治条例（草案）" in " ".join(resident.buttons())

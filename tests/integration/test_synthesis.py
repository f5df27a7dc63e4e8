"""The synthesis (xlsx, CSV, public summary) and the statistics of a draft, on a real database.

The consultation is described in synthesis_scenario.py; the expected values below follow from it.
"""

from __future__ import annotations

import csv
import io
import warnings
from datetime import datetime, timedelta

import pytest
from matplotlib.ft2font import FT2Font
from matplotlib.image import imread
from openpyxl import load_workbook

from drafts import statistics as stats_module
from drafts.answering import Answering
from drafts.commenting import Commenting
from drafts.errors import DraftNotFound, NotAllowed
from drafts.models import AnswerStatus, NewDraft
from drafts.residents import Residents
from drafts.staff_directory import COMMAND_LINE, StaffDirectory
from drafts.statistics import CjkFontMissing, Statistics, find_cjk_font, render_chart
from drafts.synthesis import PublicOpinion, PublicSummary, Synthesis, write_csv, write_xlsx
from storage.database import SqlDatabase
from tests.integration.helpers import SHANGHAI
from tests.integration.synthesis_scenario import (
    ADMIN,
    SOURCE,
    T0,
    TITLE,
    A,
    B,
    C,
    Clock,
    Consultation,
    D,
    E,
    ScriptDetector,
    build,
)

HEADERS = ["意见编号", "章", "条", "意见内容", "语言", "提交日期", "状态", "反馈类型", "反馈内容", "提出人"]
CH1, CH2, WHOLE = "第一章 总则", "第二章 规划与设施建设", "（草案整体）"
DAY = "2026-03-16"  # every comment was sent on 16 March in Shanghai (15 March in UTC for c1-c4)
# The 意见 sheet after the tracking number, c1 … c8: pseudonyms by first comment, 匿名 after /forget.
EXPECTED = [
    [CH1, "第一条", "第一条应当写明立法目的。", "中文", DAY, "已反馈", "采纳", "已在第一条中写明。", "居民001"],
    [CH2, "第三条", "Please plan bike lanes in every park.", "英文", DAY, "已反馈", "未采纳",
     "公园内不宜设置自行车道。", "居民002"],
    [CH2, "第三条", "建议增加停车位。", "中文", DAY, "已反馈", "部分采纳", "将在规划中统筹考虑停车。", "居民001"],
    [WHOLE, WHOLE, "整体结构清晰，建议尽快出台。", "中文", DAY, "已反馈", "采纳", "感谢支持。", "张三（居民003）"],
    [CH2, "第三条", "多建社区公园。", "中文", DAY, "已收到", "已参考（未公布）", "规划时参考。", "匿名"],
    [CH2, "第四条", "I take this back.", "英文", DAY, "已撤回", "", "", "居民002"],
    [CH1, "第二条", "加微信领优惠。", "中文", DAY, "已反馈（已屏蔽：广告）", "采纳", "已处理。", "居民004"],
    [CH1, "第一条", "建议明确责任部门。", "中文", DAY, "已收到", "", "", "居民004"],
]
TELEGRAM_IDS = [str(i) for i in (ADMIN, A, B, C, D, E)]


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2000, 1, 1))  # build() sets the time


@pytest.fixture
async def consultation(db: SqlDatabase, clock: Clock) -> Consultation:
    return await build(db, clock)


def expected_rows(consultation: Consultation) -> list[list[str]]:
    return [[consultation.c(n).tracking_number, *row] for n, row in enumerate(EXPECTED, start=1)]


async def test_the_xlsx_has_one_row_per_comment_with_pseudonyms_and_chinese_statuses(db, clock, consultation):
    stream = io.BytesIO()
    async with Synthesis(db, clock, SHANGHAI).export(ADMIN, consultation.draft_id) as data:
        assert await write_xlsx(data, stream) == 8
    book = load_workbook(io.BytesIO(stream.getvalue()))

    assert book.sheetnames == ["意见", "汇总"]
    sheet = book["意见"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == HEADERS
    dates = [row[5] for row in values[1:]]
    assert dates == [datetime(2026, 3, 16)] * 8  # a real date cell, so Excel sorts and filters it
    assert [[*row[:5], DAY, *row[6:]] for row in values[1:]] == [
        [v if v != "" else None for v in row] for row in expected_rows(consultation)]
    assert consultation.c(1).tracking_number == "YJ-2026-000001"
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["D2"].alignment.wrap_text and sheet["I2"].alignment.wrap_text
    assert not sheet["A2"].alignment.wrap_text
    assert sheet.column_dimensions["D"].width == 60 and sheet.column_dimensions["A"].width == 16

    summary = [[cell.value for cell in row] for row in book["汇总"].iter_rows()]
    assert summary == [
        ["法规草案", TITLE], ["导出时间", "2026-03-23 04:00"], [None, None],
        ["条", "意见数"], ["第一条", 2], ["第二条", 1], ["第三条", 3], [WHOLE, 1], ["合计", 7], [None, None],
        ["反馈类型", "意见数"], ["采纳", 3], ["部分采纳", 1], ["未采纳", 1], ["已参考", 1], ["未答复", 1],
    ]
    every_cell = [str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row if c.value is not None]
    assert not [cell for cell in every_cell for tid in TELEGRAM_IDS if tid in cell]


async def test_the_csv_has_a_bom_and_the_same_rows(db, clock, consultation):
    stream = io.BytesIO()
    async with Synthesis(db, clock, SHANGHAI).export(ADMIN, consultation.draft_id) as data:
        assert await write_csv(data, stream) == 8
    raw = stream.getvalue()

    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows == [HEADERS, *expected_rows(consultation)]
    assert not [tid for tid in TELEGRAM_IDS if tid in raw.decode("utf-8-sig")]
    assert not stream.closed  # the caller's stream is left for the caller to send and close


async def test_the_export_is_audited_and_refused_to_residents(db, clock, consultation):
    synthesis = Synthesis(db, clock, SHANGHAI)
    async with synthesis.export(ADMIN, consultation.draft_id):
        pass
    with pytest.raises(NotAllowed):
        async with synthesis.export(A, consultation.draft_id):
            pass
    with pytest.raises(NotAllowed):
        await Statistics(db, clock).of_draft(B, consultation.draft_id)
    async with synthesis.export(COMMAND_LINE, consultation.draft_id) as data:
        assert len([row async for row in data.rows]) == 8

    async with db.read() as uow:
        trail = [(e.actor_id, e.action, e.object_id, e.allowed, e.details) for e in await uow.audit.recent(4)]
    draft = str(consultation.draft_id)
    assert trail == [(COMMAND_LINE, "synthesis.export", draft, True, "comments=8"),
                     (B, "statistics.read", draft, False, ""),
                     (A, "synthesis.export", draft, False, ""),
                     (ADMIN, "synthesis.export", draft, True, "comments=8")]
    with pytest.raises(DraftNotFound):
        async with synthesis.export(ADMIN, 999):
            pass


async def test_the_public_summary_counts_published_answers_and_shows_adopted_opinions(db, clock):
    synthesis = Synthesis(db, clock, SHANGHAI)
    consultation = await build(db, clock)
    summary = await synthesis.public_summary(consultation.draft_id)

    assert summary is not None
    assert (summary.draft_title, summary.received, summary.adopted, summary.partly_adopted, summary.not_adopted,
            summary.noted) == (TITLE, 7, 3, 1, 1, 0)  # c5's noted answer is not published yet
    assert summary.opinions == (  # c7 is hidden; c4 was signed but stays anonymous
        PublicOpinion("第一条", "第一条应当写明立法目的。", AnswerStatus.ADOPTED, "已在第一条中写明。"),
        PublicOpinion("第三条", "建议增加停车位。", AnswerStatus.PARTLY_ADOPTED, "将在规划中统筹考虑停车。"),
        PublicOpinion(WHOLE, "整体结构清晰，建议尽快出台。", AnswerStatus.ADOPTED, "感谢支持。"),
    )
    assert "张三" not in repr(summary) and "居民" not in repr(summary)


async def test_there_is_no_public_summary_before_answers_are_published(db, clock):
    clock.now = T0
    await StaffDirectory(db, clock).bootstrap([ADMIN])
    async with db.write() as uow:
        draft = await uow.drafts.add(NewDraft(TITLE, "摘要", "说明", SOURCE, T0, T0 + timedelta(days=30)))
        await uow.commit()
    await Residents(db, clock).accept_privacy(A)
    comment = await Commenting(db, clock, ScriptDetector()).submit(A, draft.id, 2, "建议写明公园名录。")
    synthesis, answering = Synthesis(db, clock, SHANGHAI), Answering(db, clock)
    assert await synthesis.public_summary(draft.id) is None  # no answer at all

    await answering.answer(ADMIN, [comment.id], AnswerStatus.ADOPTED, "已增加名录。")
    assert await synthesis.public_summary(draft.id) is None  # saved, not published

    await answering.publish(ADMIN, draft.id)
    assert await synthesis.public_summary(draft.id) == PublicSummary(
        TITLE, 1, 1, 0, 0, 0, (PublicOpinion("第二条", "建议写明公园名录。", AnswerStatus.ADOPTED, "已增加名录。"),))
    with pytest.raises(DraftNotFound):
        await synthesis.public_summary(999)


async def test_statistics_of_the_draft(db, clock, consultation):
    stats = await Statistics(db, clock).of_draft(ADMIN, consultation.draft_id)

    assert stats.comments == 7  # c6 was withdrawn
    assert stats.commenters == 5  # A, B, C, E, and D who is forgotten
    assert stats.top_articles == (("第三条", 3), ("第一条", 2), ("第二条", 1))
    assert stats.per_article == (("第一条", 2), ("第二条", 1), ("第三条", 3), (WHOLE, 1))
    assert stats.share_answered == pytest.approx(5 / 7)  # c5's answer is not published
    # Published 3 days after c1; c2, c3, c4, c7 were sent 1, 2, 3, 6 hours later: median is c3's.
    assert stats.median_days_to_answer == pytest.approx(3 - 2 / 24)
    assert stats.languages == {"zh": 6, "en": 1}
    assert stats.satisfaction == {}


async def test_the_chart_is_a_png_with_chinese_labels_that_render(db, clock, consultation):
    stats = await Statistics(db, clock).of_draft(ADMIN, consultation.draft_id)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font" when it draws boxes
        png = render_chart(stats, TITLE)

    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert imread(io.BytesIO(png)).shape[:2] == (450, 600)
    font = FT2Font(find_cjk_font())
    assert all(font.get_char_index(ord(ch)) != 0 for ch in "第一二三条意见数草案整体长治市城市公园管理条例")


def test_without_a_cjk_font_the_chart_fails_loudly(monkeypatch):
    monkeypatch.setattr(stats_module, "CJK_FAMILIES", ("No Such Font SC",))
    find_cjk_font.cache_clear()
    try:
        with pytest.raises(CjkFontMissing, match="fonts-wqy-microhei"):
            find_cjk_font()
    finally:
        find_cjk_font.cache_clear()

"""The synthesis as files staff open in Excel or WPS: xlsx (two sheets) and CSV.

Cells hold what the committee reads: Chinese headers and statuses (GLOSSARY.md), the commenter's
pseudonym or signed name. The row model lives in drafts/synthesis.py; this module only lays it out.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import TYPE_CHECKING, BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from drafts.models import AnswerStatus, CommentStatus

if TYPE_CHECKING:
    from drafts.synthesis import SynthesisData, SynthesisRow

COLUMNS = ("意见编号", "章", "条", "意见内容", "语言", "提交日期", "状态", "反馈类型", "反馈内容", "提出人")
WIDTHS = (16, 24, 14, 60, 8, 12, 18, 16, 60, 18)
WRAPPED = {"章", "意见内容", "反馈内容", "状态"}

COMMENT_STATUS_ZH = {CommentStatus.RECEIVED: "已收到", CommentStatus.ANSWERED: "已反馈",
                     CommentStatus.WITHDRAWN: "已撤回"}
ANSWER_STATUS_ZH = {AnswerStatus.ADOPTED: "采纳", AnswerStatus.PARTLY_ADOPTED: "部分采纳",
                    AnswerStatus.NOT_ADOPTED: "未采纳", AnswerStatus.NOTED: "已参考"}
UNANSWERED_ZH = "未答复"
LANGUAGE_ZH = {"zh": "中文", "en": "英文"}
# A resident's text starting with one of these would run as a formula in Excel (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cells(row: SynthesisRow) -> list[object]:
    """One line of the 意见 sheet. Moderation and publication are folded into the status columns
    so that the columns stay the ones staff know from the paper synthesis."""
    status = COMMENT_STATUS_ZH[row.status]
    if row.hidden:
        status += f"（已屏蔽：{row.hidden_reason}）"
    answer_status = ANSWER_STATUS_ZH[row.answer_status] if row.answer_status else ""
    if row.answer_status and not row.answer_published:
        answer_status += "（未公布）"
    language = LANGUAGE_ZH.get(row.language, row.language) if row.language else ""
    return [row.tracking_number, row.chapter, row.article, row.text, language, row.date, status,
            answer_status, row.answer_text or "", row.commenter]


def per_article(data: SynthesisData) -> list[tuple[str, int]]:
    """Comments (not withdrawn) per article, in document order."""
    counts = Counter((r.article_number, r.article) for r in data.rows if not r.withdrawn)
    # Same order as drafts.synthesis.article_order (not imported: that module imports this one).
    ordered = sorted(counts.items(), key=lambda item: (item[0][0] is None, item[0][0] or 0))
    return [(label, n) for (_, label), n in ordered]


def per_answer_status(data: SynthesisData) -> list[tuple[str, int]]:
    """Saved answers count, published or not: the sheet is for staff, who also track the work left."""
    live = [r for r in data.rows if not r.withdrawn]
    counts = Counter(r.answer_status for r in live)
    return [(ANSWER_STATUS_ZH[s], counts[s]) for s in AnswerStatus] + [(UNANSWERED_ZH, counts[None])]


def write_xlsx(data: SynthesisData, stream: BinaryIO) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "意见"
    sheet.append(COLUMNS)
    for row in data.rows:
        sheet.append(cells(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # openpyxl made it a formula; keep the text as the resident wrote it
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    for index, (header, width) in enumerate(zip(COLUMNS, WIDTHS, strict=True), start=1):
        column = sheet.cell(1, index).column_letter
        sheet.column_dimensions[column].width = width
        sheet.cell(1, index).font = bold
        for cell in sheet[column][1:]:
            cell.alignment = wrap if header in WRAPPED else Alignment(vertical="top")
            if header == "提交日期":
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"  # the headers stay in view while scrolling hundreds of comments
    _summary(book.create_sheet("汇总"), data, bold)
    book.save(stream)


def _summary(sheet: Worksheet, data: SynthesisData, bold: Font) -> None:
    sheet.append(["法规草案", data.draft.title])
    sheet.append(["导出时间", data.exported_at.strftime("%Y-%m-%d %H:%M")])
    sheet.append([])
    sheet.append(["条", "意见数"])
    header_rows = [sheet.max_row]
    for label, count in per_article(data):
        sheet.append([label, count])
    sheet.append(["合计", sum(1 for r in data.rows if not r.withdrawn)])
    sheet.append([])
    sheet.append(["反馈类型", "意见数"])
    header_rows.append(sheet.max_row)
    for label, count in per_answer_status(data):
        sheet.append([label, count])
    for row in (1, 2, *header_rows):
        sheet.cell(row, 1).font = bold
    for row in header_rows:
        sheet.cell(row, 2).font = bold
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 48


def write_csv(data: SynthesisData, stream: BinaryIO) -> None:
    """UTF-8 with a BOM: without it Excel reads the file as the local ANSI code page and garbles Chinese."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow(COLUMNS)
        for row in data.rows:
            writer.writerow([_csv_value(value) for value in cells(row)])
        text.flush()
    finally:
        text.detach()  # leave the caller's stream open


def _csv_value(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # the usual neutralisation: Excel shows the text, runs nothing
    return value

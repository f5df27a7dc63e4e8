"""The synthesis as files staff open in Excel or WPS: xlsx (two sheets) and CSV.

Cells hold what the committee reads: Chinese headers and statuses (GLOSSARY.md), the commenter's
pseudonym or signed name. The row model lives in drafts/synthesis.py; this module only lays it out,
row by row as the rows arrive: nothing here holds all of a draft's comments.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from drafts.models import AnswerStatus, CommentStatus
from drafts.synthesis_feed import in_worker_thread

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


class Tally:
    """The 汇总 sheet's counts, gathered while the rows stream past (the rows themselves are not kept)."""

    def __init__(self) -> None:
        self.rows = 0
        self._articles: Counter[tuple[int | None, str]] = Counter()
        self._answers: Counter[AnswerStatus | None] = Counter()

    def add(self, row: SynthesisRow) -> None:
        self.rows += 1
        if not row.withdrawn:
            self._articles[(row.article_number, row.article)] += 1
            self._answers[row.answer_status] += 1

    @property
    def live(self) -> int:
        return sum(self._articles.values())

    def per_article(self) -> list[tuple[str, int]]:
        """Comments (not withdrawn) per article, in document order."""
        # Same order as drafts.synthesis.article_order (not imported: that module imports this one).
        ordered = sorted(self._articles.items(), key=lambda item: (item[0][0] is None, item[0][0] or 0))
        return [(label, n) for (_, label), n in ordered]

    def per_answer_status(self) -> list[tuple[str, int]]:
        """Saved answers count, published or not: the sheet is for staff, who also track the work left."""
        return [(ANSWER_STATUS_ZH[s], self._answers[s]) for s in AnswerStatus] + [(UNANSWERED_ZH, self._answers[None])]


def _styled(sheet: WriteOnlyWorksheet, **style: object) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet)
    for name, value in style.items():
        setattr(cell, name, value)
    return cell


async def write_xlsx(data: SynthesisData, stream: BinaryIO) -> int:
    """Write the workbook as the rows come, in a worker thread; returns how many comment rows it holds."""
    return await in_worker_thread(lambda rows: _write_xlsx(data, rows, stream), data.rows)


def _write_xlsx(data: SynthesisData, rows: Iterator[SynthesisRow], stream: BinaryIO) -> int:
    """A write-only workbook sends each row to a temporary file as it is appended, so memory does not
    grow with the number of comments (a normal openpyxl workbook keeps every cell object)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("意见")
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"  # the headers stay in view while scrolling hundreds of comments
    bold, wrap, top = Font(bold=True), Alignment(wrap_text=True, vertical="top"), Alignment(vertical="top")
    sheet.append([_styled(sheet, value=header, font=bold) for header in COLUMNS])
    # One styled cell per column, reused for every row: a write-only sheet serialises a row as soon as
    # it is appended, so the next row may overwrite the values. This spares creating and styling ten
    # million cell objects for a million comments (15 % of the time of the whole export).
    templates = [_styled(sheet, alignment=wrap if header in WRAPPED else top,
                         **({"number_format": "yyyy-mm-dd"} if header == "提交日期" else {})) for header in COLUMNS]
    tally = Tally()
    for row in rows:
        tally.add(row)
        for cell, value in zip(templates, cells(row), strict=True):
            cell.value = value
            if cell.data_type == "f":
                cell.data_type = "s"  # openpyxl made it a formula; keep the text as the resident wrote it
        sheet.append(templates)
    _summary(book.create_sheet("汇总"), data, tally, bold)
    book.save(stream)
    return tally.rows


def _summary(sheet: WriteOnlyWorksheet, data: SynthesisData, tally: Tally, bold: Font) -> None:
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 48

    def header(*values: object) -> list[WriteOnlyCell]:
        return [_styled(sheet, value=value, font=bold) for value in values]

    sheet.append(header("法规草案") + [data.draft.title])
    sheet.append(header("导出时间") + [data.exported_at.strftime("%Y-%m-%d %H:%M")])
    sheet.append([])
    sheet.append(header("条", "意见数"))
    for label, count in tally.per_article():
        sheet.append([label, count])
    sheet.append(["合计", tally.live])
    sheet.append([])
    sheet.append(header("反馈类型", "意见数"))
    for label, count in tally.per_answer_status():
        sheet.append([label, count])


async def write_csv(data: SynthesisData, stream: BinaryIO) -> int:
    """Write the CSV as the rows come, in a worker thread; returns how many comment rows it holds."""
    return await in_worker_thread(lambda rows: _write_csv(rows, stream), data.rows)


def _write_csv(rows: Iterator[SynthesisRow], stream: BinaryIO) -> int:
    """UTF-8 with a BOM: without it Excel reads the file as the local ANSI code page and garbles Chinese."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    count = 0
    try:
        writer = csv.writer(text)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_csv_value(value) for value in cells(row)])
            count += 1
        text.flush()
    finally:
        text.detach()  # leave the caller's stream open
    return count


def _csv_value(value: object) -> object:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # the usual neutralisation: Excel shows the text, runs nothing
    return value

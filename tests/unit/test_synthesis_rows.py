"""Pure parts of the synthesis: pseudonyms, labels, and the cells of one exported row."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

from openpyxl import load_workbook

from drafts.models import AnswerStatus, Comment, CommentStatus, Draft, DraftStatus
from drafts.parser import parse_document
from drafts.synthesis import ANONYMOUS, SynthesisData, SynthesisRow, article_label, pseudonyms, write_csv, write_xlsx
from drafts.synthesis_files import cells

TINY = "长治市测试条例（草案）\n第一条　为了测试，制定本条例。\n"

AT = datetime(2026, 3, 15, tzinfo=UTC)


def comment(comment_id: int, resident_id: int | None) -> Comment:
    return Comment(comment_id, f"YJ-2026-{comment_id:06d}", 1, 1, resident_id, "意见", "zh", None,
                   CommentStatus.RECEIVED, AT, AT)


def test_pseudonyms_follow_first_comments_and_skip_forgotten_residents():
    names = pseudonyms([comment(1, 42), comment(2, None), comment(3, 7), comment(4, 42), comment(5, None)])
    assert names == {None: ANONYMOUS, 42: "居民001", 7: "居民002"}


def test_labels():
    assert article_label(21) == "第二十一条"
    assert article_label(None) == "（草案整体）"


ROW = SynthesisRow("YJ-2026-000009", "第一章 总则", "第一条", 1, "意见", "en", date(2026, 3, 16),
                   CommentStatus.RECEIVED, AnswerStatus.NOTED, "参考", False, "广告", "居民003", "李四")


def test_a_row_folds_moderation_and_publication_into_the_status_columns():
    assert cells(ROW) == ["YJ-2026-000009", "第一章 总则", "第一条", "意见", "英文", date(2026, 3, 16),
                          "已收到（已屏蔽：广告）", "已参考（未公布）", "参考", "李四（居民003）"]
    plain = replace(ROW, language=None, answer_status=None, answer_text=None, hidden_reason=None, signed_name=None)
    assert cells(plain)[4:] == ["", date(2026, 3, 16), "已收到", "", "", "居民003"]


def test_the_domain_loads_matplotlib_only_when_a_chart_is_drawn():
    # The bot imports drafts.statistics at start; matplotlib takes a second to import.
    script = "import sys, drafts.statistics, drafts.synthesis; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


async def test_a_comment_that_looks_like_a_formula_stays_text_in_both_files():
    draft = Draft(1, "长治市测试条例（草案）", "", "", parse_document(TINY), AT, AT, DraftStatus.OPEN)
    row = replace(ROW, text='=HYPERLINK("http://x.example","点击")', signed_name="@李四", answer_status=None)
    data = SynthesisData(draft, AT, (row,))
    xlsx, text = io.BytesIO(), io.BytesIO()
    assert await write_xlsx(data, xlsx) == 1
    assert await write_csv(data, text) == 1

    sheet = load_workbook(io.BytesIO(xlsx.getvalue()))["意见"]
    assert (sheet["D2"].value, sheet["D2"].data_type) == ('=HYPERLINK("http://x.example","点击")', "s")
    csv_row = list(csv.reader(io.StringIO(text.getvalue().decode("utf-8-sig"))))[1]
    assert csv_row[3] == '\'=HYPERLINK("http://x.example","点击")'
    assert csv_row[9] == "'@李四（居民003）"

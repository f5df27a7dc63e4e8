"""drafts.publishing's document functions: prepare (with split_note), summarize, changed_articles, deadline_on."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from drafts.bundled import BUNDLED
from drafts.parser import DocumentError, parse_document, split_note
from drafts.publishing import changed_articles, deadline_on, prepare, summarize
from tests.unit.fakes import SMALL_DRAFT

BUNDLED_SHAPES = {
    "elderly_care": ("长治市养老服务条例（草案）", 9, 41,
                     ("为了规范养老服务活动，促进养老服务高质量发展，满足老年人多层次、多样化养老服务需求，"
                      "维护老年人合法权益，积极应对人口老龄…")),
    "noise_control": ("长治市噪声污染防治条例（草案）", 8, 41,
                      ("为了防治噪声污染，保障公众健康，保护和改善生活环境，维护社会和谐，推进生态文明建设，"
                       "促进经济社会可持续发展")),
    "traditional_opera": ("长治市地方传统戏剧保护条例（草案）", 7, 39,
                          ("为了加强地方传统戏剧的保护、传承和发展，弘扬中华优秀传统文化，繁荣上党戏曲艺术，"
                           "丰富人民群众精神文化生活")),
}


@pytest.mark.parametrize("bundled", BUNDLED, ids=lambda b: b.stem)
def test_prepare_each_bundled_draft(bundled):
    title, chapters, articles, summary = BUNDLED_SHAPES[bundled.stem]
    upload = prepare(bundled.source)
    assert (upload.document.title, len(upload.document.chapters), len(upload.document.articles)) == (
        title, chapters, articles)
    assert upload.summary == summary
    assert (upload.source, upload.note) == (bundled.source, "")


@pytest.mark.parametrize("bundled", BUNDLED, ids=lambda b: b.stem)
def test_prepare_splits_off_a_trailing_note(bundled):
    upload = prepare(bundled.source + "\n" + bundled.note + "\n")
    assert upload.note == bundled.note
    assert upload.note.startswith("关于《") and "起草说明" in upload.note.splitlines()[0]
    assert upload.document == parse_document(bundled.source)


BROKEN_WITH_NOTE = """长治市测试管理条例（草案）

第一条　为了测试，制定本条例。
第三条　跳过了第二条。

起草说明
第一条　说明里的条文不是草案的条文。
"""


def test_an_error_in_the_draft_part_names_its_line():
    with pytest.raises(DocumentError) as caught:
        prepare(BROKEN_WITH_NOTE)
    assert (caught.value.code, caught.value.line) == ("skipped_article", 4)


@pytest.mark.parametrize("heading", ["起草说明", "## 起草说明", "关于《长治市测试管理条例（草案）》的起草说明"])
def test_the_note_may_hold_text_the_parser_would_refuse(heading):
    text = SMALL_DRAFT + "\n" + heading + "\n一、必要性\n第九条　只是引用。\n"
    upload = prepare(text)
    assert [a.number for a in upload.document.articles] == [1, 2, 3]
    assert upload.note == f"{heading}\n一、必要性\n第九条　只是引用。"
    assert upload.source == SMALL_DRAFT  # the lines before the heading, unchanged


def test_split_note_keeps_the_draft_lines_unchanged():
    assert split_note("标题\n第一条　正文。\n起草说明\n说明正文\n") == ("标题\n第一条　正文。", "起草说明\n说明正文")
    assert split_note("起草说明\n不是说明") == ("起草说明\n不是说明", "")  # the first line is never the note
    assert split_note(SMALL_DRAFT) == (SMALL_DRAFT, "")


def _first_article(text: str) -> str:
    return f"长治市测试条例（草案）\n第一条　{text}\n第二条　其他。\n"


@pytest.mark.parametrize(("article_one", "summary"), [
    ("为了测试，制定本条例。", "为了测试"),
    ("为了保护古树名木，根据《中华人民共和国森林法》，结合本市实际，制定本条例。", "为了保护古树名木"),
    ("为了规范物业管理，依据有关法律，制定本条例。", "为了规范物业管理"),
    ("本条例规定本市的噪声管理。", "本条例规定本市的噪声管理"),
    ("为了" + "甲" * 58 + "，制定本条例。", "为了" + "甲" * 58),
    ("为了" + "乙" * 59 + "，制定本条例。", "为了" + "乙" * 58 + "…"),
])
def test_summarize_is_the_purpose_clause_cut_at_60_characters(article_one, summary):
    assert summarize(parse_document(_first_article(article_one))) == summary


def test_summary_limit_is_sixty_characters_plus_the_ellipsis():
    long = summarize(parse_document(_first_article("为了" + "丙" * 100 + "。")))
    assert len(long) == 61 and long.endswith("丙…")


def _changed(new: str) -> list[int]:
    return changed_articles(parse_document(SMALL_DRAFT), parse_document(new))


def test_changed_articles():
    assert _changed(SMALL_DRAFT) == []
    assert _changed(SMALL_DRAFT.replace("噪声管理", "噪声和光污染管理")) == [2]
    assert _changed(SMALL_DRAFT.replace("为了测试，", "为了测试新版本，")) == [1]
    assert _changed(SMALL_DRAFT + "有关部门应当配合。\n") == [3]  # a new paragraph
    assert _changed(SMALL_DRAFT.replace("第二章　附则", "第二章　其他规定")) == []  # headings are not articles


def test_added_and_removed_articles_count_as_changed():
    added = SMALL_DRAFT + "第四条　本条例由市人民政府负责解释。\n第五条　另一条。\n"
    assert _changed(added) == [4, 5]
    removed = SMALL_DRAFT.replace("第三条　本条例自公布之日起施行。\n", "")
    assert _changed(removed) == [3]
    assert changed_articles(parse_document(added), parse_document(SMALL_DRAFT)) == [4, 5]


def test_deadline_is_the_end_of_the_day_in_the_committees_time_zone():
    assert deadline_on(date(2026, 12, 31), ZoneInfo("Asia/Shanghai")) == datetime(
        2026, 12, 31, 15, 59, 59, tzinfo=timezone.utc)
    assert deadline_on(date(2026, 12, 31), ZoneInfo("Asia/Shanghai")).tzinfo is timezone.utc
    assert deadline_on(date(2026, 3, 1), timezone.utc) == datetime(2026, 3, 1, 23, 59, 59, tzinfo=timezone.utc)

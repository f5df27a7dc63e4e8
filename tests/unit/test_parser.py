"""drafts.parser.parse_document: the bundled drafts, numbering, structure, Markdown, and every DocumentError."""

from __future__ import annotations

import re

import pytest

from drafts.bundled import BUNDLED
from drafts.models import chinese_number
from drafts.parser import DocumentError, parse_document

TITLE = "长治市某某管理条例（草案）"
ITEM = re.compile(r"^（[一二三四五六七八九十]+）")
ITEM_NUMERALS = "一二三四五六七八九十"


def doc(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def refused(text: str) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        parse_document(text)
    return caught.value


@pytest.mark.parametrize("bundled", BUNDLED, ids=lambda b: b.stem)
def test_bundled_draft_follows_the_standard_form(bundled):
    document = parse_document(bundled.source)
    assert document.title.startswith("长治市")
    assert document.title.endswith("（草案）")
    assert document.chapters[0].title == "总则"
    assert document.chapters[-1].title == "附则"
    assert [c.number for c in document.chapters] == list(range(1, len(document.chapters) + 1))
    assert 25 <= len(document.articles) <= 45
    assert [a.number for a in document.articles] == list(range(1, len(document.articles) + 1))
    assert all(a.chapter == document.chapters[-1].number for a in document.articles_of(len(document.chapters)))
    for article in document.articles:
        assert "……" not in article.text and "XX" not in article.text.upper(), article.label
        assert article.text.strip(), article.label


@pytest.mark.parametrize("bundled", BUNDLED, ids=lambda b: b.stem)
def test_bundled_items_belong_to_the_paragraph_before_them(bundled):
    document = parse_document(bundled.source)
    with_items = [p for a in document.articles for p in a.paragraphs if p.items]
    assert with_items, "every bundled draft lists items somewhere"
    for article in document.articles:
        for paragraph in article.paragraphs:
            assert not ITEM.match(paragraph.text), f"{article.label}: an item was read as a paragraph"
    for paragraph in with_items:
        assert paragraph.text.endswith("：")
        for index, item in enumerate(paragraph.items):
            assert item.startswith(f"（{ITEM_NUMERALS[index]}）")


def test_bundled_note_is_not_empty():
    assert all(len(b.note) > 100 for b in BUNDLED)


def test_chinese_numerals_and_labels():
    articles = [f"第{chinese_number(n)}条　第{n}条的内容。" for n in range(1, 102)]
    document = parse_document(doc(TITLE, *articles))
    assert len(document.articles) == 101
    assert [a.number for a in document.articles] == list(range(1, 102))
    assert document.article(21).text == "第21条的内容。"
    assert document.article(21).label == "第二十一条"
    assert document.article(101).text == "第101条的内容。"
    assert document.article(101).label == "第一百零一条"
    assert document.article(10).label == "第十条"
    assert document.article(110) is None and document.article(0) is None
    assert document.chapters == ()
    assert {a.chapter for a in document.articles} == {0}


def test_literal_numerals_twenty_one_and_hundred_and_one():
    lines = [f"第{chinese_number(n)}条　内容{n}。" for n in range(1, 101)]
    assert lines[20].startswith("第二十一条")
    document = parse_document(doc(TITLE, *lines, "第一百零一条　最后一条。"))
    assert document.articles[-1].number == 101
    assert document.articles[-1].text == "最后一条。"


def test_paragraphs_and_items_are_kept_in_order():
    document = parse_document(doc(
        TITLE, "（征求意见稿）", "第一章　总则",
        "第一条　第一款。", "第二款，包括：", "（一）甲；", "（二）乙。", "第三款。",
    ))
    (article,) = document.articles
    assert [p.text for p in article.paragraphs] == ["第一款。", "第二款，包括：", "第三款。"]
    assert article.paragraphs[1].items == ("（一）甲；", "（二）乙。")
    assert article.paragraphs[0].items == () and article.paragraphs[2].items == ()
    assert article.text == "第一款。\n第二款，包括：\n（一）甲；\n（二）乙。\n第三款。"


def test_heading_without_text_takes_its_first_paragraph_from_the_next_line():
    document = parse_document(doc(TITLE, "第一条", "为了测试，制定本条例。"))
    assert document.article(1).text == "为了测试，制定本条例。"


def test_chapters_and_sections():
    document = parse_document(doc(
        TITLE, "第一章　总则", "第一条　甲。", "第二章　管理",
        "第一节　一般规定", "第二条　乙。", "第二节　特别规定", "第三条　丙。", "第四条　丁。",
        "第三章　附则", "第五条　戊。",
    ))
    assert [(c.number, c.title) for c in document.chapters] == [(1, "总则"), (2, "管理"), (3, "附则")]
    assert document.chapter(2).label == "第二章"
    assert [(s.number, s.title) for s in document.chapter(2).sections] == [(1, "一般规定"), (2, "特别规定")]
    assert document.chapter(1).sections == () and document.chapter(3).sections == ()
    assert [(a.number, a.chapter, a.section) for a in document.articles] == [
        (1, 1, None), (2, 2, 1), (3, 2, 2), (4, 2, 2), (5, 3, None),
    ]
    assert [a.number for a in document.articles_of(2)] == [2, 3, 4]


def test_markdown_input():
    document = parse_document(doc(
        "# 长治市某某管理条例（草案）", "", "## 第一章　总则", "", "**第一条**　为了**测试**，制定本条例。",
        "", "### 第一节 细则", "**第二条** 本条例适用于本市。",
    ))
    assert document.title == TITLE
    assert document.chapters[0].title == "总则"
    assert document.chapters[0].sections[0].title == "细则"
    assert document.article(1).text == "为了测试，制定本条例。"
    assert document.article(2).text == "本条例适用于本市。"


def test_full_width_indentation_bom_and_windows_line_ends():
    text = "\ufeff" + TITLE + "\r\n　　第一章　总则\r\n　　第一条　为了测试。\r\n　　第二款。\r\n"
    document = parse_document(text)
    assert document.title == TITLE
    assert document.chapters[0].title == "总则"
    assert [p.text for p in document.article(1).paragraphs] == ["为了测试。", "第二款。"]


def test_reference_to_another_article_stays_a_paragraph():
    document = parse_document(doc(
        TITLE, "第一条　甲。", "第二条　乙。", "第十条规定的情形除外。", "第一条规定的期限可以延长。", "第三条　丙。",
    ))
    assert [a.number for a in document.articles] == [1, 2, 3]
    assert [p.text for p in document.article(2).paragraphs] == ["乙。", "第十条规定的情形除外。", "第一条规定的期限可以延长。"]


def test_article_heading_with_space_is_always_a_heading():
    error = refused(doc(TITLE, "第一条　甲。", "第十条　乙。"))
    assert (error.code, error.line) == ("skipped_article", 3)


@pytest.mark.parametrize("text", ["", "\n\n", "　\n  \n\t\n"], ids=["nothing", "blank-lines", "whitespace"])
def test_empty_document(text):
    error = refused(text)
    assert (error.code, error.line) == ("empty", 1)


def test_no_title():
    error = refused(doc("", "", "第一章　总则", "第一条　甲。"))
    assert (error.code, error.line) == ("no_title", 3)
    error = refused(doc("随便写的一段话", "又一段话"))
    assert (error.code, error.line) == ("no_title", 1)


def test_text_before_the_title():
    error = refused(doc("", "附件1", TITLE, "第一条　甲。"))
    assert (error.code, error.line) == ("text_before_title", 2)


def test_no_articles():
    error = refused(doc(TITLE, "（征求意见稿）", "", "第一章　总则"))
    assert error.code == "no_articles"
    assert error.line == 4


def test_skipped_article_number():
    error = refused(doc(TITLE, "第一条　甲。", "第二条　乙。", "", "第四条　丁。"))
    assert (error.code, error.line) == ("skipped_article", 5)
    assert error.details == {"expected": 3, "found": 4}


def test_repeated_article_number():
    error = refused(doc(TITLE, "第一条　甲。", "第二条　乙。", "第二条　又是乙。"))
    assert (error.code, error.line) == ("repeated_article", 4)
    assert error.details == {"expected": 3, "found": 2}


def test_first_article_must_be_article_one():
    error = refused(doc(TITLE, "第二条　乙。"))
    assert (error.code, error.line) == ("skipped_article", 2)


def test_skipped_chapter():
    error = refused(doc(TITLE, "第一章　总则", "第一条　甲。", "第三章　附则", "第二条　乙。"))
    assert (error.code, error.line) == ("skipped_chapter", 4)
    assert error.details == {"expected": 2, "found": 3}


def test_skipped_section():
    error = refused(doc(TITLE, "第一章　总则", "第一节　甲", "第一条　甲。", "第三节　丙", "第二条　乙。"))
    assert (error.code, error.line) == ("skipped_section", 5)


def test_text_between_chapter_heading_and_first_article():
    error = refused(doc(TITLE, "第一章　总则", "第一条　甲。", "第二章　管理", "这一章规定管理。", "第二条　乙。"))
    assert (error.code, error.line) == ("text_outside_article", 5)


def test_text_between_title_and_first_chapter():
    error = refused(doc(TITLE, "（征求意见稿）", "说明：本稿供讨论。", "第一章　总则", "第一条　甲。"))
    assert (error.code, error.line) == ("text_outside_article", 3)


def test_article_with_no_text():
    error = refused(doc(TITLE, "第一条　甲。", "第二条", "", "第三条　丙。"))
    assert (error.code, error.line) == ("empty_article", 3)
    error = refused(doc(TITLE, "第一章　总则", "第一条　甲。", "第二条", "第二章　附则", "第三条　丙。"))
    assert (error.code, error.line) == ("empty_article", 4)
    error = refused(doc(TITLE, "第一条　甲。", "第二条"))
    assert (error.code, error.line) == ("empty_article", 3)


def test_bad_numeral():
    error = refused(doc(TITLE, "第一条　甲。", "第二二条　乙。"))
    assert (error.code, error.line) == ("bad_numeral", 3)


def test_error_message_names_the_line():
    error = refused(doc(TITLE, "第一条　甲。", "第三条　丙。"))
    assert str(error).startswith("line 3:")
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    "title", ["长治市养老服务条例（修订草案）", "长治市养老服务条例（草案征求意见稿）"], ids=["revised", "for-comment"]
)
def test_title_naming_a_regulation_with_a_longer_draft_mark(title):
    # The parser's docstring: the title is "a line naming a 条例/规定/办法/决定/细则 or （草案）".
    assert parse_document(doc(title, "第一条　甲。")).title == title


def test_section_heading_without_chapters_is_refused():
    # Sections live inside chapters; here 第一节 is silently appended to 第一条 as a paragraph.
    error = refused(doc(TITLE, "第一条　甲。", "第一节　总体要求", "第二条　乙。"))
    assert error.line == 3


def test_chapter_heading_without_a_space_is_still_a_heading():
    document = parse_document(doc(TITLE, "第一章　总则", "第一条　甲。", "第二章附则", "第二条　乙。"))
    assert [(c.number, c.title) for c in document.chapters] == [(1, "总则"), (2, "附则")]
    assert document.article(2).chapter == 2


def test_a_sentence_starting_with_a_chapter_reference_stays_a_paragraph():
    document = parse_document(doc(TITLE, "第一章　总则", "第一条　甲。", "第二章规定的事项，由市人民政府负责。"))
    assert len(document.chapters) == 1
    assert document.article(1).paragraphs[1].text == "第二章规定的事项，由市人民政府负责。"

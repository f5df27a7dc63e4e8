"""drafts.uploads.document_text: .txt (UTF-8, BOM, GB18030), .md and .docx uploads, and what is refused."""

from __future__ import annotations

import io

import docx
import pytest

from drafts.publishing import prepare
from drafts.uploads import MAX_UPLOAD_BYTES, UnsupportedUpload, document_text
from tests.unit.fakes import SMALL_DRAFT


def docx_bytes(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_utf8_text_with_a_byte_order_mark():
    content = "\ufeff".encode() + SMALL_DRAFT.encode("utf-8")
    assert content.startswith(b"\xef\xbb\xbf")
    assert document_text("草案.txt", content) == SMALL_DRAFT


def test_utf8_text_without_a_byte_order_mark():
    assert document_text("draft.TXT", SMALL_DRAFT.encode("utf-8")) == SMALL_DRAFT


def test_markdown():
    markdown = "# 长治市测试条例（草案）\n\n**第一条**　为了测试，制定本条例。\n"
    assert document_text("draft.md", markdown.encode("utf-8")) == markdown
    assert prepare(document_text("draft.md", markdown.encode("utf-8"))).summary == "为了测试"


def test_gb18030_text_from_windows():
    content = SMALL_DRAFT.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # the case the fallback exists for
    assert document_text("草案.txt", content) == SMALL_DRAFT


def test_docx_paragraphs_become_lines():
    content = docx_bytes("长治市测试条例（草案）", "第一条　为了测试，制定本条例。", "第二条　本条例自公布之日起施行。")
    text = document_text("草案.docx", content)
    assert text == "长治市测试条例（草案）\n第一条　为了测试，制定本条例。\n第二条　本条例自公布之日起施行。"
    assert [a.number for a in prepare(text).document.articles] == [1, 2]


@pytest.mark.parametrize("name", ["draft.pdf", "draft.doc", "draft", "", "draft.txt.exe", "draft.docx.zip"])
def test_unsupported_suffixes(name):
    with pytest.raises(UnsupportedUpload) as caught:
        document_text(name, SMALL_DRAFT.encode("utf-8"))
    assert caught.value.reason == "type"


def test_oversized_files_are_refused():
    assert document_text("big.txt", b"a" * MAX_UPLOAD_BYTES) == "a" * MAX_UPLOAD_BYTES
    for name in ("big.txt", "big.docx"):
        with pytest.raises(UnsupportedUpload) as caught:
            document_text(name, b"a" * (MAX_UPLOAD_BYTES + 1))
        assert caught.value.reason == "size"


@pytest.mark.parametrize("content", [b"", b"not a zip file", docx_bytes("x")[:200]])
def test_a_broken_docx(content):
    with pytest.raises(UnsupportedUpload) as caught:
        document_text("草案.docx", content)
    assert caught.value.reason == "docx"


def test_bytes_that_are_neither_utf8_nor_gb18030():
    with pytest.raises(UnsupportedUpload) as caught:
        document_text("draft.txt", b"\xff\xfe\xff\xfe")
    assert caught.value.reason == "encoding"

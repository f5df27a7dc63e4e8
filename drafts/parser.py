"""The document parser: plain text or Markdown in the standard form of a Chinese regulation.

    长治市某某条例（草案）          <- the title (a line naming a 条例/规定/办法/决定/细则 or （草案）)
    （征求意见稿）                  <- optional parenthesised lines under it
    第一章　总则                    <- chapters (optional), 第一节 sections inside them (optional)
    第一条　为了……，制定本条例。    <- an article; each further line is a paragraph (款)
    （一）……；                      <- items (项) belong to the paragraph before them

Markdown markup (`#` headings, `**bold**`) and indentation are ignored. Any break of the
standard form raises DocumentError naming the line, because staff fix documents by line.
"""

from __future__ import annotations

import re

import cn2an

from drafts.models import Article, Chapter, DraftDocument, Paragraph, Section

_NUMERAL = "零〇一二三四五六七八九十百千"
# A heading is a short line: "第二章　附则", or without the space "第二章附则", but never a sentence
# such as "第二章规定的……" (so a title glued to the numeral may not hold punctuation).
_HEADING_TITLE = r"(?:\s+(.*)|([^\s，。；：、,.;:]{1,20}))?$"
_CHAPTER = re.compile(rf"^第([{_NUMERAL}]+)章{_HEADING_TITLE}")
_SECTION = re.compile(rf"^第([{_NUMERAL}]+)节{_HEADING_TITLE}")
_ARTICLE = re.compile(rf"^第([{_NUMERAL}]+)条(\s*)(.*)$")
_ITEM = re.compile(rf"^[（(][{_NUMERAL}]+[）)]")
# A title names a regulation, possibly followed by a mark such as （草案） or （修订草案征求意见稿）.
_TITLE = re.compile(r"(条例|规定|办法|决定|细则|规则)\s*([（(][^（）()]*[）)])?$|[（(][^（）()]*草案[^（）()]*[）)]$")
_PARENTHESISED = re.compile(r"^[（(].*[）)]$")
# A title is one short line: a longer line ending like a title is text (the database keeps 200 characters).
TITLE_LIMIT = 200


class DocumentError(ValueError):
    """A document that does not follow the standard form. `code` is stable for translations."""

    def __init__(self, code: str, line: int, message: str, **details: object) -> None:
        super().__init__(f"line {line}: {message}")
        self.code = code
        self.line = line
        self.details = details


def _clean(line: str) -> str:
    line = line.replace("\ufeff", "").strip()
    line = re.sub(r"^#{1,6}\s*", "", line)  # Markdown headings
    line = re.sub(r"\*\*(.+?)\*\*", r"\1", line)  # Markdown bold, e.g. **第一条**
    return line.strip()


def _number(numeral: str, line: int) -> int:
    try:
        return int(cn2an.cn2an(numeral, "strict"))
    except ValueError as exc:
        raise DocumentError("bad_numeral", line, f"'{numeral}' is not a Chinese numeral") from exc


class _Builder:
    """Accumulates the structure while lines come in; checks numbering as it goes."""

    def __init__(self) -> None:
        self.chapters: list[Chapter] = []
        self.sections: list[Section] = []
        self.articles: list[Article] = []
        self.paragraphs: list[Paragraph] = []
        self.current: int | None = None  # the article being read; None between headings
        self.current_line = 0
        self.last_number = 0
        self.section: int | None = None

    def close_article(self) -> None:
        if self.current is None:
            return
        if not self.paragraphs:
            raise DocumentError(
                "empty_article", self.current_line, f"article {self.current} has no text"
            )
        chapter = self.chapters[-1].number if self.chapters else 0
        self.articles.append(Article(self.current, chapter, self.section, tuple(self.paragraphs)))
        self.paragraphs, self.current = [], None

    def close_chapter(self) -> None:
        if self.chapters:
            last = self.chapters[-1]
            self.chapters[-1] = Chapter(last.number, last.title, tuple(self.sections))
        self.sections, self.section = [], None


def _expect_next(kind: str, found: int, previous: int, line: int) -> None:
    expected = previous + 1
    if found == expected:
        return
    if found <= previous:
        code, message = f"repeated_{kind}", f"{kind} {found} repeats or goes back"
    else:
        code, message = f"skipped_{kind}", f"{kind} {found} skips {kind} {expected}"
    raise DocumentError(code, line, f"{message} (expected {expected})", expected=expected, found=found)


_NOTE_HEADING = re.compile(r"^(关于《.+》的)?起草说明$")


def split_note(text: str) -> tuple[str, str]:
    """An upload may carry its explanatory note after a heading 起草说明 (or 关于《…》的起草说明):
    returns (the draft, the note). Line numbers of the draft part are unchanged."""
    lines = text.splitlines()
    for index, raw in enumerate(lines):
        if index and _NOTE_HEADING.match(_clean(raw)):
            return "\n".join(lines[:index]), "\n".join(lines[index:]).strip()
    return text, ""


def parse_document(text: str) -> DraftDocument:
    lines = [_clean(raw) for raw in text.splitlines()]
    title, start = _find_title(lines)
    build = _Builder()
    for index in range(start, len(lines)):
        line, number = lines[index], index + 1
        if not line:
            continue
        if match := _CHAPTER.match(line):
            build.close_article()
            found = _number(match.group(1), number)
            _expect_next("chapter", found, len(build.chapters), number)
            build.close_chapter()
            build.chapters.append(Chapter(found, _heading_title(match)))
        elif match := _SECTION.match(line):
            if not build.chapters:
                raise DocumentError("section_outside_chapter", number, "a section (第…节) outside any chapter")
            build.close_article()
            found = _number(match.group(1), number)
            _expect_next("section", found, len(build.sections), number)
            build.sections.append(Section(found, _heading_title(match)))
            build.section = found
        elif (match := _ARTICLE.match(line)) and _starts_article(match, build.last_number):
            build.close_article()
            found = _number(match.group(1), number)
            _expect_next("article", found, build.last_number, number)
            build.current, build.current_line, build.last_number = found, number, found
            if match.group(3).strip():
                build.paragraphs.append(Paragraph(match.group(3).strip()))
        elif build.current is None:
            raise DocumentError("text_outside_article", number, "text outside any article")
        elif _ITEM.match(line) and build.paragraphs:
            last = build.paragraphs[-1]
            build.paragraphs[-1] = Paragraph(last.text, last.items + (line,))
        else:
            build.paragraphs.append(Paragraph(line))
    build.close_article()
    build.close_chapter()
    if not build.articles:
        raise DocumentError("no_articles", len(lines) or 1, "the document has no articles (第一条 …)")
    return DraftDocument(title, tuple(build.chapters), tuple(build.articles))


def _heading_title(match: re.Match[str]) -> str:
    return (match.group(2) or match.group(3) or "").strip()


def _starts_article(match: re.Match[str], last_number: int) -> bool:
    """`第十条　…` always starts an article; `第十条规定的…` (no space) only when 十 comes next.

    Drafted paragraphs sometimes open with a reference to another article; without a space
    we only read a heading where the numbering says one belongs.
    """
    if match.group(2) or not match.group(3):
        return True
    try:
        return int(cn2an.cn2an(match.group(1), "strict")) == last_number + 1
    except ValueError:
        return False


def _find_title(lines: list[str]) -> tuple[str, int]:
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None:
        raise DocumentError("empty", 1, "the document is empty")
    for index in range(first, len(lines)):
        line = lines[index]
        if not line:
            continue
        if _CHAPTER.match(line) or _ARTICLE.match(line):
            break
        if _TITLE.search(line) and len(line) <= TITLE_LIMIT:
            if index != first:
                raise DocumentError("text_before_title", first + 1, "text before the title")
            start = index + 1
            while start < len(lines) and (not lines[start] or _PARENTHESISED.match(lines[start])):
                start += 1
            return line, start
    raise DocumentError("no_title", first + 1, "the document has no title (e.g. 长治市某某条例（草案）)")

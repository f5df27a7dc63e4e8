"""Domain objects of a consultation: a draft's structure, the draft itself, comments, residents.

Plain dataclasses, no framework: storage maps its rows to these, handlers render them.
Names follow ../shared/context/GLOSSARY.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import cn2an


def chinese_number(number: int) -> str:
    """21 -> 二十一, as articles and chapters are numbered in Chinese law."""
    return cn2an.an2cn(number)


@dataclass(frozen=True)
class Paragraph:
    """A 款: one paragraph of an article, with the 项 (items) it introduces."""

    text: str
    items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    number: int
    chapter: int  # 0 when the document has no chapters
    section: int | None
    paragraphs: tuple[Paragraph, ...]

    @property
    def label(self) -> str:
        return f"第{chinese_number(self.number)}条"

    @property
    def text(self) -> str:
        lines: list[str] = []
        for paragraph in self.paragraphs:
            lines.append(paragraph.text)
            lines.extend(paragraph.items)
        return "\n".join(lines)


@dataclass(frozen=True)
class Section:
    number: int
    title: str


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str
    sections: tuple[Section, ...] = ()

    @property
    def label(self) -> str:
        return f"第{chinese_number(self.number)}章"


@dataclass(frozen=True)
class DraftDocument:
    """What the parser makes of a document: the text of a draft, structured."""

    title: str
    chapters: tuple[Chapter, ...]
    articles: tuple[Article, ...]

    def article(self, number: int) -> Article | None:
        # Articles are numbered 1..n without gaps (the parser guarantees it).
        if 1 <= number <= len(self.articles):
            return self.articles[number - 1]
        return None

    def chapter(self, number: int) -> Chapter | None:
        return next((c for c in self.chapters if c.number == number), None)

    def articles_of(self, chapter: int) -> tuple[Article, ...]:
        return tuple(a for a in self.articles if a.chapter == chapter)


class DraftStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class Draft:
    id: int
    title: str
    summary: str
    note: str
    document: DraftDocument
    opens_at: datetime
    closes_at: datetime
    status: DraftStatus
    version: int = 1

    def is_open(self, now: datetime) -> bool:
        return self.status is DraftStatus.OPEN and self.opens_at <= now < self.closes_at


@dataclass(frozen=True)
class DraftOverview:
    """A line of the open-drafts list: no document, so listing stays cheap."""

    id: int
    title: str
    summary: str
    closes_at: datetime
    comment_count: int


class CommentStatus(StrEnum):
    RECEIVED = "received"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Comment:
    id: int
    tracking_number: str
    draft_id: int
    article_number: int | None  # None: a comment on the whole draft
    resident_id: int | None  # None once the resident used /forget
    text: str
    language: str | None
    signed_name: str | None  # None: anonymous (the default)
    status: CommentStatus
    created_at: datetime
    updated_at: datetime
    hidden_reason: str | None = None  # set by moderation; a hidden comment still gets its answer

    @property
    def hidden(self) -> bool:
        return self.hidden_reason is not None


@dataclass(frozen=True)
class NewComment:
    draft_id: int
    article_number: int | None
    resident_id: int
    text: str
    language: str | None
    signed_name: str | None
    created_at: datetime


@dataclass(frozen=True)
class Resident:
    """The minimum kept about a person: their Telegram id, chosen language, privacy consent."""

    user_id: int
    language: str | None = None
    privacy_accepted_at: datetime | None = None
    created_at: datetime | None = None
    blocked_reason: str | None = None  # moderation: a blocked resident cannot comment
    subscribed: bool = False  # wants a notice when a new draft is published
    unreachable_at: datetime | None = None  # Telegram refused delivery (bot blocked): no more notices


@dataclass(frozen=True)
class SearchHit:
    draft_id: int
    draft_title: str
    article: Article
    snippet: str


@dataclass(frozen=True)
class NewDraft:
    title: str
    summary: str
    note: str
    source: str  # the document text; storage keeps it and re-parses on load
    opens_at: datetime
    closes_at: datetime
    status: DraftStatus = DraftStatus.OPEN
    published_by: int | None = None  # None: a bundled draft loaded at first start


class AnswerStatus(StrEnum):
    ADOPTED = "adopted"
    PARTLY_ADOPTED = "partly_adopted"
    NOT_ADOPTED = "not_adopted"
    NOTED = "noted"


@dataclass(frozen=True)
class Answer:
    """The committee's answer to one comment. Saved unpublished; published with the draft's batch."""

    comment_id: int
    status: AnswerStatus
    reply: str
    answered_by: int
    updated_at: datetime
    version: int = 1  # bumped on every edit; part of the feedback notice's idempotency key
    published_at: datetime | None = None


class Rating(StrEnum):
    """The resident's rating of the answer to their comment."""

    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    NOT_SATISFIED = "not_satisfied"


@dataclass(frozen=True)
class RatingRecord:
    comment_id: int
    rating: Rating
    rated_at: datetime
    follow_up: str | None = None

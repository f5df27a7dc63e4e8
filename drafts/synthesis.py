"""The synthesis of opinions (意见汇总) on one draft.

For staff: every comment (withdrawn ones included, marked so) with its answer, to export as
xlsx or CSV (drafts/synthesis_files.py). The rows are streamed from the database while the file is
written (Synthesis.export): memory stays the same for eight comments or a million. For residents,
once answers are published: the counts and the adopted opinions, anonymous and without hidden comments.

A resident appears in an export only under a pseudonym numbered on this draft (居民001 …), and
by name only when they signed the comment: a Telegram id never leaves the system.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from drafts.errors import DraftNotFound
from drafts.models import AnswerStatus, Comment, CommentStatus, Draft, chinese_number
from drafts.ports import Database
from drafts.staff import Permission
from drafts.staff_directory import audit, authorize
from drafts.synthesis_files import write_csv, write_xlsx  # noqa: F401  (part of this module's API)
from drafts.synthesis_source import ExportedComment

WHOLE_DRAFT = "（草案整体）"
PUBLIC_OPINIONS = 50  # adopted opinions read for the residents' summary; a message shows fewer
ANONYMOUS = "匿名"  # the resident used /forget: nothing links their comments to each other any more


@dataclass(frozen=True)
class SynthesisRow:
    tracking_number: str
    chapter: str  # "第二章 规划与设施建设", WHOLE_DRAFT, or "" in a document without chapters
    article: str  # "第八条" or WHOLE_DRAFT
    article_number: int | None
    text: str
    language: str | None
    date: date  # in the committee's time zone
    status: CommentStatus
    answer_status: AnswerStatus | None
    answer_text: str | None
    answer_published: bool
    hidden_reason: str | None
    pseudonym: str  # "居民001", or ANONYMOUS
    signed_name: str | None  # only when the resident signed the comment

    @property
    def withdrawn(self) -> bool:
        return self.status is CommentStatus.WITHDRAWN

    @property
    def hidden(self) -> bool:
        return self.hidden_reason is not None

    @property
    def commenter(self) -> str:
        return f"{self.signed_name}（{self.pseudonym}）" if self.signed_name else self.pseudonym


@dataclass(frozen=True)
class SynthesisData:
    draft: Draft
    exported_at: datetime  # in the committee's time zone
    # Oldest comment first. From Synthesis.export: a stream that can be read once, inside the `async with`.
    rows: AsyncIterable[SynthesisRow] | Iterable[SynthesisRow]


@dataclass(frozen=True)
class PublicOpinion:
    article: str
    text: str
    status: AnswerStatus  # adopted or partly adopted
    reply: str


@dataclass(frozen=True)
class PublicSummary:
    draft_title: str
    received: int  # comments not withdrawn
    adopted: int
    partly_adopted: int
    not_adopted: int
    noted: int
    opinions: tuple[PublicOpinion, ...]  # adopted and partly adopted, hidden comments left out; the first ones
    more: int = 0  # adopted opinions beyond PUBLIC_OPINIONS, counted but not read


def article_label(number: int | None) -> str:
    return WHOLE_DRAFT if number is None else f"第{chinese_number(number)}条"


def article_order(number: int | None) -> tuple[bool, int]:
    """Articles in document order, comments on the whole draft after them."""
    return number is None, number or 0


def chapter_label(draft: Draft, article_number: int | None) -> str:
    if article_number is None:
        return WHOLE_DRAFT
    article = draft.document.article(article_number)
    # A revised draft may have fewer articles than the one the comment was made on.
    chapter = draft.document.chapter(article.chapter) if article else None
    return f"{chapter.label} {chapter.title}".strip() if chapter else ""


class Pseudonyms:
    """居民001, 居民002 … by each resident's first comment, handed out as the comments come (oldest first).
    Holds one entry per resident, not per comment."""

    def __init__(self) -> None:
        self.names: dict[int | None, str] = {None: ANONYMOUS}

    def __call__(self, resident_id: int | None) -> str:
        name = self.names.get(resident_id)
        if name is None:  # len counts the None entry: numbering starts at 001
            name = self.names[resident_id] = f"居民{len(self.names):03d}"
        return name


def pseudonyms(comments: list[Comment]) -> dict[int | None, str]:
    names = Pseudonyms()
    for comment in comments:
        names(comment.resident_id)
    return names.names


async def synthesis_rows(draft: Draft, comments: AsyncIterable[ExportedComment], tz: tzinfo
                         ) -> AsyncIterator[SynthesisRow]:
    """The rows of the synthesis, one per comment, in the order the comments come."""
    names = Pseudonyms()
    chapters: dict[int | None, str] = {}  # a few hundred articles at most: labels computed once each
    async for c in comments:
        chapter = chapters.get(c.article_number)
        if chapter is None:
            chapter = chapters[c.article_number] = chapter_label(draft, c.article_number)
        yield SynthesisRow(
            c.tracking_number, chapter, article_label(c.article_number), c.article_number, c.text, c.language,
            c.created_at.astimezone(tz).date(), c.status, c.answer_status, c.answer_reply, c.answer_published,
            c.hidden_reason, names(c.resident_id), c.signed_name,
        )


class Synthesis:
    def __init__(self, db: Database, clock: Callable[[], datetime], tz: tzinfo = UTC) -> None:
        self._db = db
        self._clock = clock
        self._tz = tz  # dates in the export are the committee's dates, not UTC ones

    @asynccontextmanager
    async def export(self, actor: int, draft_id: int) -> AsyncIterator[SynthesisData]:
        """Authorise and audit the export, then stream its rows while the caller writes the file:

            async with synthesis.export(actor, draft_id) as data:
                count = await write_xlsx(data, stream)

        The rows are read in one read transaction that ends with the block."""
        now = self._clock()
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.VIEW, "synthesis.export", "draft", draft_id, now)
            draft = await uow.drafts.get(draft_id)
            if draft is None:
                raise DraftNotFound(draft_id)
            count = await uow.synthesis.count(draft_id)
            # The export leaves the system (a file on someone's computer): keep a trace of it.
            await audit(uow, actor, "synthesis.export", "draft", draft_id, now, details=f"comments={count}")
            await uow.commit()
        async with self._db.read() as uow, aclosing(uow.synthesis.stream(draft_id)) as comments, \
                aclosing(synthesis_rows(draft, comments, self._tz)) as rows:
            yield SynthesisData(draft, now.astimezone(self._tz), rows)

    async def public_summary(self, draft_id: int) -> PublicSummary | None:
        """None until the committee published an answer on the draft. Public: no actor, no names."""
        # Any resident may ask, on a draft that may have a million comments: counts come from the
        # database, and only the opinions that can be shown are read.
        async with self._db.read() as uow:
            draft = await uow.drafts.get(draft_id)
            if draft is None:
                raise DraftNotFound(draft_id)
            counts = await uow.synthesis.published_answers(draft_id)
            if not counts:
                return None
            received = await uow.comments.count_by_draft(draft_id)
            adopted, total = await uow.synthesis.adopted_opinions(draft_id, PUBLIC_OPINIONS)
        opinions = tuple(PublicOpinion(article_label(o.article_number), o.text, o.status, o.reply) for o in adopted)
        return PublicSummary(draft.title, received, counts.get(AnswerStatus.ADOPTED, 0),
                             counts.get(AnswerStatus.PARTLY_ADOPTED, 0), counts.get(AnswerStatus.NOT_ADOPTED, 0),
                             counts.get(AnswerStatus.NOTED, 0), opinions, total - len(opinions))

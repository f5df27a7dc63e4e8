"""Staff publish a draft from a document, revise it while open, extend or close it, archive it.

Publishing queues a notice to each subscriber; a revision queues one to each resident whose
comment sits on an article that changed, both in the same transaction as the change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from drafts.errors import DraftNotEditable, DraftNotFound, InvalidDeadline
from drafts.models import Draft, DraftDocument, DraftStatus, NewDraft
from drafts.notices import NewNotice, NoticeKind, article_changed_key, new_draft_key
from drafts.parser import parse_document, split_note
from drafts.ports import ALL_ARTICLES, Database, UnitOfWork
from drafts.staff import Permission
from drafts.staff_directory import audit, authorize

MAX_CONSULTATION = timedelta(days=365)
SUMMARY_LIMIT = 60


@dataclass(frozen=True)
class Upload:
    """A parsed upload, ready for the preview and for publishing."""

    source: str
    document: DraftDocument
    note: str
    summary: str


def prepare(text: str) -> Upload:
    """Parse an uploaded text (raises DocumentError naming the line)."""
    source, note = split_note(text)
    document = parse_document(source)
    return Upload(source, document, note, summarize(document))


def summarize(document: DraftDocument) -> str:
    """Article 1 of a Chinese regulation states its purpose (为了……，制定本条例): a fair summary."""
    first = document.articles[0].paragraphs[0].text
    purpose = re.split(r"，(?:根据|依据|依照|结合)|，制定|。", first)[0]
    return purpose if len(purpose) <= SUMMARY_LIMIT else purpose[:SUMMARY_LIMIT] + "…"


def deadline_on(day: date, tz: tzinfo) -> datetime:
    """A deadline given as a date means the whole of that day in the committee's time zone.
    (23:59:59 rather than next midnight, so that the date shown to residents is that day.)"""
    return datetime.combine(day, time(23, 59, 59), tz).astimezone(timezone.utc)


def changed_articles(old: DraftDocument, new: DraftDocument) -> list[int]:
    """Numbers of articles whose text differs, or that exist in only one version."""
    count = max(len(old.articles), len(new.articles))
    return [n for n in range(1, count + 1)
            if (a := old.article(n)) is None or (b := new.article(n)) is None or a.text != b.text]


class Publishing:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def drafts(self, actor: int, include_archived: bool = False) -> list[Draft]:
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.VIEW, "drafts.list", "draft", None, self._clock())
            return await uow.drafts.list_all(include_archived)

    async def publish(self, actor: int, upload: Upload, closes_at: datetime) -> Draft:
        now = self._clock()
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.EDIT, "draft.publish", "draft", None, now)
            _check_deadline(closes_at, now, now)
            draft = await uow.drafts.add(NewDraft(
                upload.document.title, upload.summary, upload.note, upload.source, now, closes_at,
                published_by=actor,
            ))
            for user_id in await uow.residents.subscribers():
                await uow.outbox.add(NewNotice(NoticeKind.NEW_DRAFT, user_id, new_draft_key(draft.id, user_id), now,
                                               {"draft_id": draft.id}))
            await audit(uow, actor, "draft.publish", "draft", draft.id, now,
                        details=f"closes_at={closes_at.isoformat()}")
            await uow.commit()
        return draft

    async def revise(self, actor: int, draft_id: int, upload: Upload) -> tuple[int, list[int]]:
        """A new version of an open draft; returns (version, changed article numbers)."""
        now = self._clock()
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.EDIT, "draft.revise", "draft", draft_id, now)
            draft = await _editable(uow, draft_id, now)
            changed = changed_articles(draft.document, upload.document)
            version = await uow.drafts.revise(draft_id, upload.document.title, upload.source, actor, now,
                                              note=upload.note or draft.note, summary=upload.summary)
            for comment in await uow.comments.list_by_draft(draft_id, ALL_ARTICLES, False, 0, 1_000_000):
                if comment.article_number in changed and comment.resident_id is not None:
                    await uow.outbox.add(NewNotice(
                        NoticeKind.ARTICLE_CHANGED, comment.resident_id,
                        article_changed_key(draft_id, version, comment.id), now,
                        {"draft_id": draft_id, "article": comment.article_number, "version": version,
                         "tracking_number": comment.tracking_number},
                    ))
            await audit(uow, actor, "draft.revise", "draft", draft_id, now,
                        details=f"version={version} changed={changed}")
            await uow.commit()
        return version, changed

    async def extend(self, actor: int, draft_id: int, closes_at: datetime) -> None:
        now = self._clock()
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.EDIT, "draft.extend", "draft", draft_id, now)
            draft = await _editable(uow, draft_id, now)
            _check_deadline(closes_at, now, draft.closes_at)
            await uow.drafts.set_closes_at(draft_id, closes_at)
            await audit(uow, actor, "draft.extend", "draft", draft_id, now,
                        details=f"{draft.closes_at.isoformat()} -> {closes_at.isoformat()}")
            await uow.commit()

    async def close(self, actor: int, draft_id: int) -> None:
        now = self._clock()
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.EDIT, "draft.close", "draft", draft_id, now)
            await _editable(uow, draft_id, now)
            await uow.drafts.set_closes_at(draft_id, now)
            await uow.drafts.set_status(draft_id, DraftStatus.CLOSED)
            await audit(uow, actor, "draft.close", "draft", draft_id, now)
            await uow.commit()

    async def archive(self, actor: int, draft_id: int) -> None:
        now = self._clock()
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.EDIT, "draft.archive", "draft", draft_id, now)
            draft = await uow.drafts.get(draft_id)
            if draft is None:
                raise DraftNotFound(draft_id)
            if draft.is_open(now) or draft.status is DraftStatus.ARCHIVED:
                raise DraftNotEditable(draft_id)
            await uow.drafts.set_status(draft_id, DraftStatus.ARCHIVED)
            await audit(uow, actor, "draft.archive", "draft", draft_id, now)
            await uow.commit()


async def _editable(uow: UnitOfWork, draft_id: int, now: datetime) -> Draft:
    draft = await uow.drafts.get(draft_id)
    if draft is None:
        raise DraftNotFound(draft_id)
    if not draft.is_open(now):
        raise DraftNotEditable(draft_id)
    return draft


def _check_deadline(closes_at: datetime, now: datetime, current: datetime) -> None:
    if closes_at <= now:
        raise InvalidDeadline("past")
    if closes_at <= current:
        raise InvalidDeadline("before_current")
    if closes_at > now + MAX_CONSULTATION:
        raise InvalidDeadline("too_far")

"""Commenting use cases: submit, edit and withdraw a comment; a resident's comments; tracking.

Rules: comments only while the draft's consultation is open; only the author changes a
comment; a withdrawn comment stays withdrawn; tracking numbers come from a per-year sequence
the repository never hands out twice. Everything is committed before the caller may
acknowledge it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone, tzinfo

from drafts.errors import (
    ArticleNotFound,
    CommentNotFound,
    CommentTooLong,
    CommentWithdrawn,
    ConsultationClosed,
    ConsultationNotOpenYet,
    DraftNotFound,
    EmptyComment,
    NotYourComment,
    PrivacyNotAccepted,
    ResidentBlocked,
)
from drafts.models import Comment, CommentStatus, Draft, NewComment
from drafts.ports import Database, LanguageDetector, UnitOfWork
from drafts.text import storable
from drafts.tracking import format_tracking_number

COMMENT_LIMIT = 2000


def check_comment_text(text: str, limit: int = COMMENT_LIMIT) -> str:
    """The text as it will be stored, or the reason it cannot be."""
    text = storable(text).strip()
    if not text:
        raise EmptyComment()
    if len(text) > limit:
        raise CommentTooLong(len(text), limit)
    return text


class Commenting:
    def __init__(self, db: Database, clock: Callable[[], datetime], detector: LanguageDetector,
                 tz: tzinfo = timezone.utc) -> None:
        self._db = db
        self._clock = clock
        self._detector = detector
        self._tz = tz  # the committee's time zone: a comment sent on 1 January local time is next year's

    async def submit(
        self, resident_id: int, draft_id: int, article_number: int | None, text: str,
        signed_name: str | None = None,
    ) -> Comment:
        text = check_comment_text(text)
        now = self._clock()
        async with self._db.write() as uow:
            await _may_comment(uow, resident_id)
            draft = await _open_draft(uow, draft_id, now)
            if article_number is not None and draft.document.article(article_number) is None:
                raise ArticleNotFound(article_number)
            year = now.astimezone(self._tz).year
            sequence = await uow.comments.next_sequence(year)
            comment = await uow.comments.add(
                NewComment(draft_id, article_number, resident_id, text, self._detector.detect(text),
                           storable(signed_name or "").strip() or None, now),
                format_tracking_number(year, sequence),
            )
            await uow.commit()
        return comment

    async def edit(self, resident_id: int, comment_id: int, text: str) -> Comment:
        text = check_comment_text(text)
        now = self._clock()
        async with self._db.write() as uow:
            comment = await _own_changeable(uow, resident_id, comment_id, now)
            await _may_comment(uow, resident_id)  # a blocked author may withdraw, not rewrite
            await uow.comments.update_text(comment.id, text, self._detector.detect(text), now)
            updated = await uow.comments.get(comment.id)
            await uow.commit()
        assert updated is not None
        return updated

    async def withdraw(self, resident_id: int, comment_id: int) -> Comment:
        now = self._clock()
        async with self._db.write() as uow:
            comment = await _own_changeable(uow, resident_id, comment_id, now)
            await uow.comments.set_status(comment.id, CommentStatus.WITHDRAWN, now)
            updated = await uow.comments.get(comment.id)
            await uow.commit()
        assert updated is not None
        return updated

    async def check_can_change(self, resident_id: int, comment_id: int) -> Comment:
        """Before asking for a new text: refuse early rather than after the resident typed it."""
        async with self._db.read() as uow:
            return await _own_changeable(uow, resident_id, comment_id, self._clock())

    async def check_can_comment(self, resident_id: int, draft_id: int) -> Draft:
        async with self._db.read() as uow:
            await _may_comment(uow, resident_id)
            return await _open_draft(uow, draft_id, self._clock())

    async def mine(self, resident_id: int, offset: int, limit: int) -> tuple[list[Comment], int]:
        async with self._db.read() as uow:
            comments = await uow.comments.list_by_resident(resident_id, offset, limit)
            total = await uow.comments.count_by_resident(resident_id)
        return comments, total

    async def comment(self, resident_id: int, comment_id: int) -> Comment:
        async with self._db.read() as uow:
            comment = await uow.comments.get(comment_id)
        if comment is None:
            raise CommentNotFound(comment_id)
        if comment.resident_id != resident_id:
            raise NotYourComment(comment_id)
        return comment

    async def track(self, tracking_number: str) -> Comment:
        async with self._db.read() as uow:
            comment = await uow.comments.get_by_tracking_number(tracking_number)
        if comment is None:
            raise CommentNotFound(tracking_number)
        return comment


async def _may_comment(uow: UnitOfWork, resident_id: int) -> None:
    resident = await uow.residents.get(resident_id)
    if resident is None or resident.privacy_accepted_at is None:
        raise PrivacyNotAccepted()
    if resident.blocked_reason is not None:
        raise ResidentBlocked()


async def _open_draft(uow: UnitOfWork, draft_id: int, now: datetime) -> Draft:
    draft = await uow.drafts.get(draft_id)
    if draft is None:
        raise DraftNotFound(draft_id)
    if now < draft.opens_at:
        raise ConsultationNotOpenYet(draft.opens_at)
    if not draft.is_open(now):
        raise ConsultationClosed(draft.closes_at)
    return draft


async def _own_changeable(uow: UnitOfWork, resident_id: int, comment_id: int, now: datetime) -> Comment:
    comment = await uow.comments.get(comment_id)
    if comment is None:
        raise CommentNotFound(comment_id)
    if comment.resident_id != resident_id:
        raise NotYourComment(comment_id)
    if comment.status is CommentStatus.WITHDRAWN:
        raise CommentWithdrawn(comment_id)
    await _open_draft(uow, comment.draft_id, now)
    return comment

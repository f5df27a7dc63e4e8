"""What staff read: a draft's comment counts, its comments (newest first, filterable), one comment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from drafts.errors import CommentNotFound, DraftNotFound
from drafts.models import Answer, Comment, Draft, RatingRecord
from drafts.ports import ALL_ARTICLES, Database
from drafts.staff import Permission
from drafts.staff_directory import authorize


@dataclass(frozen=True)
class DraftReview:
    draft: Draft
    total: int
    unanswered: int
    unpublished_answers: int
    per_article: dict[int | None, int]  # None: comments on the whole draft


@dataclass(frozen=True)
class CommentReview:
    comment: Comment
    answer: Answer | None
    draft: Draft
    author_blocked: bool
    rating: RatingRecord | None = None  # the resident's rating of the answer, with any follow-up


class Review:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def overview(self, actor: int, draft_id: int) -> DraftReview:
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.VIEW, "draft.review", "draft", draft_id, self._clock())
            draft = await uow.drafts.get(draft_id)
            if draft is None:
                raise DraftNotFound(draft_id)
            answers = await uow.answers.of_draft(draft_id)
            return DraftReview(
                draft,
                await uow.comments.count_by_draft_filtered(draft_id, ALL_ARTICLES, False),
                await uow.comments.count_by_draft_filtered(draft_id, ALL_ARTICLES, True),
                sum(1 for a in answers.values() if a.published_at is None),
                await uow.comments.count_by_article(draft_id),
            )

    async def comments(self, actor: int, draft_id: int, article: int | None, unanswered_only: bool,
                       offset: int, limit: int) -> tuple[list[tuple[Comment, Answer | None]], int]:
        """`article`: ALL_ARTICLES, None (whole-draft comments) or an article number."""
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.VIEW, "comments.list", "draft", draft_id, self._clock())
            comments = await uow.comments.list_by_draft(draft_id, article, unanswered_only, offset, limit)
            total = await uow.comments.count_by_draft_filtered(draft_id, article, unanswered_only)
            return [(c, await uow.answers.get(c.id)) for c in comments], total

    async def comment(self, actor: int, comment_id: int) -> CommentReview:
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.VIEW, "comment.read", "comment", comment_id, self._clock())
            comment = await uow.comments.get(comment_id)
            if comment is None:
                raise CommentNotFound(comment_id)
            draft = await uow.drafts.get(comment.draft_id)
            assert draft is not None
            resident = await uow.residents.get(comment.resident_id) if comment.resident_id else None
            return CommentReview(comment, await uow.answers.get(comment_id), draft,
                                 bool(resident and resident.blocked_reason), await uow.answers.rating(comment_id))

    async def unanswered_ids(self, actor: int, draft_id: int, article: int | None) -> list[int]:
        """For "answer all unanswered comments of this article"."""
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.VIEW, "comments.list", "draft", draft_id, self._clock())
            comments = await uow.comments.list_by_draft(draft_id, article, True, 0, 1_000_000)
            return [c.id for c in comments]

    async def failed_notices(self, actor: int) -> int:
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.VIEW, "notices.failed", "outbox", None, self._clock())
            return await uow.outbox.failed_count()

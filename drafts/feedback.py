"""The feedback notice's content, and the resident's rating of the answer (with a follow-up).

A feedback notice is rendered when it is sent, from the answer version it was queued for: if
the answer was edited since, that version is superseded (the edit queues its own notice).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from drafts.errors import CommentNotFound, ConsultationError, NotYourComment
from drafts.models import Answer, Comment, CommentStatus, Rating, RatingRecord
from drafts.ports import Database
from drafts.text import storable

RATING_WINDOW = timedelta(days=7)
FOLLOW_UP_LIMIT = 1000


class RatingClosed(ConsultationError):
    """The rating can be changed for 7 days after the answer was published."""


class NoAnswerYet(ConsultationError):
    pass


@dataclass(frozen=True)
class FeedbackView:
    comment: Comment
    answer: Answer
    draft_title: str
    language: str | None  # the resident's language, None: the default


class Feedback:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def view(self, comment_id: int, answer_version: int) -> FeedbackView | None:
        """What the notice says; None when there is nothing (left) to send."""
        return (await self.view_many([(comment_id, answer_version)])).get(comment_id)

    async def view_many(self, wanted: list[tuple[int, int]]) -> dict[int, FeedbackView]:
        """The views of many feedback notices, (comment id, answer version) each, read together:
        a few queries for a whole batch instead of four per notice. Comments with nothing (left)
        to send are absent from the result."""
        ids = [comment_id for comment_id, _ in wanted]
        views: dict[int, FeedbackView] = {}
        async with self._db.read() as uow:
            comments = await uow.comments.get_many(ids)
            answers = await uow.answers.get_many(ids)
            languages = await uow.residents.languages(
                sorted({c.resident_id for c in comments.values() if c.resident_id is not None}))
            titles: dict[int, str] = {}
            for comment_id, version in wanted:
                comment, answer = comments.get(comment_id), answers.get(comment_id)
                if comment is None or answer is None or comment.resident_id is None:
                    continue
                if comment.status is CommentStatus.WITHDRAWN:
                    continue  # withdrawn after the answer was queued: it wants no answer
                if answer.version != version or answer.published_at is None:
                    continue  # superseded by an edit; that edit's own notice carries it
                if comment.draft_id not in titles:
                    draft = await uow.drafts.get(comment.draft_id)
                    assert draft is not None
                    titles[comment.draft_id] = draft.title
                views[comment_id] = FeedbackView(comment, answer, titles[comment.draft_id],
                                                 languages.get(comment.resident_id))
        return views

    async def rate(self, resident_id: int, comment_id: int, rating: Rating) -> RatingRecord:
        now = self._clock()
        async with self._db.write() as uow:
            comment = await uow.comments.get(comment_id)
            if comment is None:
                raise CommentNotFound(comment_id)
            if comment.resident_id != resident_id:
                raise NotYourComment(comment_id)
            answer = await uow.answers.get(comment_id)
            if answer is None or answer.published_at is None:
                raise NoAnswerYet(comment_id)
            if now > answer.published_at + RATING_WINDOW:
                raise RatingClosed(comment_id)
            previous = await uow.answers.rating(comment_id)
            # A changed rating keeps the follow-up only while it stays "not satisfied".
            follow_up = previous.follow_up if previous and rating is Rating.NOT_SATISFIED else None
            record = RatingRecord(comment_id, rating, now, follow_up)
            await uow.answers.save_rating(record)
            await uow.commit()
        return record

    async def follow_up(self, resident_id: int, comment_id: int, text: str) -> RatingRecord:
        text = storable(text).strip()[:FOLLOW_UP_LIMIT]
        async with self._db.write() as uow:
            comment = await uow.comments.get(comment_id)
            if comment is None or comment.resident_id != resident_id:
                raise NotYourComment(comment_id)
            record = await uow.answers.rating(comment_id)
            if record is None or record.rating is not Rating.NOT_SATISFIED or not text:
                raise NoAnswerYet(comment_id)
            record = RatingRecord(comment_id, record.rating, record.rated_at, text)
            await uow.answers.save_rating(record)
            await uow.commit()
        return record

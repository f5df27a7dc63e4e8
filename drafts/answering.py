"""Answering comments (one, several, or all unanswered of an article) and publishing the answers.

Answers are saved unpublished and can be edited; an editor publishes a draft's answers as a
batch (the committee approves them together). Publishing queues one feedback notice per
comment whose resident can still be reached, keyed by comment and answer version, so the same
answer is never queued twice and an edited answer is sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from drafts.errors import CommentNotFound, CommentWithdrawn, DraftNotFound, ReplyRequired
from drafts.models import Answer, AnswerStatus, CommentStatus
from drafts.notices import NewNotice, NoticeKind, feedback_key
from drafts.ports import Database
from drafts.staff import Permission
from drafts.staff_directory import audit, authorize
from drafts.text import storable

REPLY_LIMIT = 2000


class Answering:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def answer(self, actor: int, comment_ids: list[int], status: AnswerStatus, reply: str) -> int:
        """Save the same answer for each comment; returns how many were answered."""
        reply = storable(reply).strip()
        if not reply or len(reply) > REPLY_LIMIT:
            raise ReplyRequired()  # every status needs its reason or reply, within the limit
        now = self._clock()
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.EDIT, "answer.save", "comment",
                            comment_ids[0] if comment_ids else None, now)
            # In id order: two editors answering overlapping sets lock the rows in the same order
            # (PostgreSQL would otherwise stop one of them with a deadlock).
            for comment_id in sorted(set(comment_ids)):
                comment = await uow.comments.get(comment_id)
                if comment is None:
                    raise CommentNotFound(comment_id)
                if comment.status is CommentStatus.WITHDRAWN:
                    raise CommentWithdrawn(comment_id)
                previous = await uow.answers.get(comment_id)
                # An edit of a published answer is a new version, to be published (and sent) again.
                version = (previous.version + (previous.published_at is not None)) if previous else 1
                await uow.answers.save(Answer(comment_id, status, reply, actor, now, version, None))
                await audit(uow, actor, "answer.save", "comment", comment_id, now,
                            details=f"status={status.value} version={version}")
            await uow.commit()
        return len(set(comment_ids))

    async def publish(self, actor: int, draft_id: int) -> int:
        """Publish every unpublished answer of the draft; returns how many were published."""
        now = self._clock()
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.EDIT, "answers.publish", "draft", draft_id, now)
            draft = await uow.drafts.get(draft_id)
            if draft is None:
                raise DraftNotFound(draft_id)
            answers = [a for a in (await uow.answers.of_draft(draft_id)).values() if a.published_at is None]
            for answer in answers:
                comment = await uow.comments.get(answer.comment_id)
                assert comment is not None
                if comment.status is CommentStatus.RECEIVED:
                    await uow.comments.set_status(comment.id, CommentStatus.ANSWERED, now)
                # Nobody is left to tell after /forget; a comment withdrawn meanwhile wants no answer.
                if comment.resident_id is not None and comment.status is not CommentStatus.WITHDRAWN:
                    await uow.outbox.add(NewNotice(
                        NoticeKind.FEEDBACK, comment.resident_id, feedback_key(comment.id, answer.version), now,
                        {"comment_id": comment.id, "answer_version": answer.version},
                    ))
                await uow.answers.save(replace(answer, published_at=now))
            await audit(uow, actor, "answers.publish", "draft", draft_id, now, details=f"count={len(answers)}")
            await uow.commit()
        return len(answers)

"""Answers to comments, and the notification outbox, in SQL."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from drafts.models import Answer, AnswerStatus, Rating, RatingRecord
from drafts.notices import NewNotice
from storage.tables import AnswerRow, CommentRow, NotificationRow, RatingRow, as_utc
from storage.upsert import upsert


def _to_domain(row: AnswerRow) -> Answer:
    return Answer(row.comment_id, AnswerStatus(row.status), row.reply, row.answered_by, as_utc(row.updated_at),
                  row.version, as_utc(row.published_at) if row.published_at else None)


class SqlAnswerRepository:
    def __init__(self, session: AsyncSession, lock_rows: bool = False) -> None:
        self._session = session
        # Write units of work on PostgreSQL lock the answer and rating they read (see SqlResidentRepository).
        self._for_update = True if lock_rows else None

    async def get(self, comment_id: int) -> Answer | None:
        row = await self._session.get(AnswerRow, comment_id, populate_existing=True, with_for_update=self._for_update)
        return _to_domain(row) if row else None

    async def get_many(self, comment_ids: list[int]) -> dict[int, Answer]:
        if not comment_ids:
            return {}
        # Plain rows, not ORM objects: the notifier reads hundreds at a time, and building
        # (and tracking) entities cost most of a batch's time.
        rows = await self._session.execute(select(AnswerRow.__table__).where(AnswerRow.comment_id.in_(comment_ids)))
        return {row.comment_id: _to_domain(row) for row in rows}  # type: ignore[arg-type]

    async def save(self, answer: Answer) -> None:
        row = await self._session.get(AnswerRow, answer.comment_id)
        if row is None:  # a first answer may race another staff member's first answer
            await upsert(self._session, AnswerRow.__table__, {
                "comment_id": answer.comment_id, "status": answer.status.value, "reply": answer.reply,
                "answered_by": answer.answered_by, "updated_at": answer.updated_at, "version": answer.version,
                "published_at": answer.published_at}, keys=["comment_id"])
            return
        row.status, row.reply, row.answered_by = answer.status.value, answer.reply, answer.answered_by
        row.updated_at, row.version, row.published_at = answer.updated_at, answer.version, answer.published_at
        await self._session.flush()

    async def of_draft(self, draft_id: int) -> dict[int, Answer]:
        rows = await self._session.scalars(
            select(AnswerRow).join(CommentRow, CommentRow.id == AnswerRow.comment_id)
            .where(CommentRow.draft_id == draft_id)
        )
        return {row.comment_id: _to_domain(row) for row in rows}

    async def mark_published(self, comment_ids: list[int], at: datetime) -> None:
        if comment_ids:
            await self._session.execute(
                update(AnswerRow).where(AnswerRow.comment_id.in_(comment_ids)).values(published_at=at)
            )


    async def rating(self, comment_id: int) -> RatingRecord | None:
        row = await self._session.get(RatingRow, comment_id, populate_existing=True, with_for_update=self._for_update)
        return _rating(row) if row else None

    async def save_rating(self, record: RatingRecord) -> None:
        row = await self._session.get(RatingRow, record.comment_id)
        if row is None:  # a double press may rate twice at once
            await upsert(self._session, RatingRow.__table__, {
                "comment_id": record.comment_id, "rating": record.rating.value, "rated_at": record.rated_at,
                "follow_up": record.follow_up}, keys=["comment_id"])
            return
        row.rating, row.rated_at, row.follow_up = record.rating.value, record.rated_at, record.follow_up
        await self._session.flush()

    async def ratings_of_draft(self, draft_id: int) -> dict[int, RatingRecord]:
        rows = await self._session.scalars(
            select(RatingRow).join(CommentRow, CommentRow.id == RatingRow.comment_id)
            .where(CommentRow.draft_id == draft_id)
        )
        return {row.comment_id: _rating(row) for row in rows}


def _rating(row: RatingRow) -> RatingRecord:
    return RatingRecord(row.comment_id, Rating(row.rating), as_utc(row.rated_at), row.follow_up)


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, notice: NewNotice) -> bool:
        # INSERT … ON CONFLICT DO NOTHING: the idempotency key makes a second queueing a no-op.
        dialect = postgresql if self._session.bind.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(NotificationRow.__table__).values(
            kind=notice.kind.value, chat_id=notice.chat_id, idempotency_key=notice.idempotency_key,
            payload=json.dumps(notice.payload, ensure_ascii=False), status="pending", attempts=0,
            due_at=notice.due_at, created_at=datetime.now(timezone.utc),
        ).on_conflict_do_nothing(index_elements=["idempotency_key"])
        result = await self._session.execute(statement)
        return bool(result.rowcount)

    async def failed_count(self) -> int:
        query = select(func.count()).select_from(NotificationRow).where(NotificationRow.status == "failed")
        return int(await self._session.scalar(query) or 0)

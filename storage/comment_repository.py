"""Comments in SQL, and the per-year tracking-number sequence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from drafts.models import Comment, CommentStatus, NewComment
from drafts.ports import ALL_ARTICLES
from storage.tables import AnswerRow, CommentRow, TrackingSequenceRow, as_utc


def _to_domain(row: CommentRow) -> Comment:
    return Comment(
        id=row.id, tracking_number=row.tracking_number, draft_id=row.draft_id,
        article_number=row.article_number, resident_id=row.resident_id, text=row.text,
        language=row.language, signed_name=row.signed_name, status=CommentStatus(row.status),
        created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at), hidden_reason=row.hidden_reason,
    )


class SqlCommentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def next_sequence(self, year: int) -> int:
        # One statement that both creates the year's counter and bumps it: the row lock it
        # takes (PostgreSQL) or the write lock we already hold (SQLite) serialises writers.
        dialect = postgresql if self._session.bind.dialect.name == "postgresql" else sqlite
        table = TrackingSequenceRow.__table__
        statement = dialect.insert(table).values(year=year, last=1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.year], set_={"last": table.c.last + 1}
        ).returning(table.c.last)
        return int((await self._session.execute(statement)).scalar_one())

    async def add(self, comment: NewComment, tracking_number: str) -> Comment:
        row = CommentRow(
            tracking_number=tracking_number, draft_id=comment.draft_id,
            article_number=comment.article_number, resident_id=comment.resident_id,
            text=comment.text, language=comment.language, signed_name=comment.signed_name,
            status=CommentStatus.RECEIVED.value, created_at=comment.created_at,
            updated_at=comment.created_at,
        )
        self._session.add(row)
        await self._session.flush()
        return _to_domain(row)

    async def get(self, comment_id: int) -> Comment | None:
        row = await self._session.get(CommentRow, comment_id, populate_existing=True)
        return _to_domain(row) if row else None

    async def get_many(self, comment_ids: list[int]) -> dict[int, Comment]:
        if not comment_ids:
            return {}
        # Plain rows, not ORM objects: the notifier reads hundreds at a time, and building
        # (and tracking) entities cost most of a batch's time.
        rows = await self._session.execute(select(CommentRow.__table__).where(CommentRow.id.in_(comment_ids)))
        return {row.id: _to_domain(row) for row in rows}  # type: ignore[arg-type]

    async def get_by_tracking_number(self, tracking_number: str) -> Comment | None:
        row = await self._session.scalar(select(CommentRow).where(CommentRow.tracking_number == tracking_number))
        return _to_domain(row) if row else None

    async def update_text(self, comment_id: int, text: str, language: str | None, at: datetime) -> None:
        await self._session.execute(
            update(CommentRow).where(CommentRow.id == comment_id)
            .values(text=text, language=language, updated_at=at)
        )

    async def set_status(self, comment_id: int, status: str, at: datetime) -> None:
        await self._session.execute(
            update(CommentRow).where(CommentRow.id == comment_id).values(status=str(status), updated_at=at)
        )

    async def list_by_resident(self, resident_id: int, offset: int, limit: int) -> list[Comment]:
        rows = await self._session.scalars(
            select(CommentRow).where(CommentRow.resident_id == resident_id)
            .order_by(CommentRow.id.desc()).offset(offset).limit(limit)
        )
        return [_to_domain(row) for row in rows]

    async def count_by_resident(self, resident_id: int) -> int:
        query = select(func.count()).select_from(CommentRow).where(CommentRow.resident_id == resident_id)
        return int(await self._session.scalar(query) or 0)

    async def count_by_draft(self, draft_id: int) -> int:
        query = select(func.count()).select_from(CommentRow).where(
            CommentRow.draft_id == draft_id, CommentRow.status != CommentStatus.WITHDRAWN.value
        )
        return int(await self._session.scalar(query) or 0)

    async def anonymise_resident(self, resident_id: int) -> int:
        result = await self._session.execute(
            update(CommentRow).where(CommentRow.resident_id == resident_id)
            .values(resident_id=None, signed_name=None)
        )
        return int(result.rowcount or 0)

    def _of_draft(self, query: Select, draft_id: int, article: int | None, unanswered_only: bool) -> Select:  # type: ignore[type-arg]
        query = query.where(CommentRow.draft_id == draft_id, CommentRow.status != CommentStatus.WITHDRAWN.value)
        if article is None:
            query = query.where(CommentRow.article_number.is_(None))
        elif article != ALL_ARTICLES:
            query = query.where(CommentRow.article_number == article)
        if unanswered_only:
            query = query.where(~select(AnswerRow.comment_id).where(AnswerRow.comment_id == CommentRow.id).exists())
        return query

    async def list_by_draft(self, draft_id: int, article: int | None, unanswered_only: bool,
                            offset: int, limit: int) -> list[Comment]:
        query = self._of_draft(select(CommentRow), draft_id, article, unanswered_only)
        rows = await self._session.scalars(query.order_by(CommentRow.id.desc()).offset(offset).limit(limit))
        return [_to_domain(row) for row in rows]

    async def count_by_draft_filtered(self, draft_id: int, article: int | None, unanswered_only: bool) -> int:
        query = self._of_draft(select(func.count()).select_from(CommentRow), draft_id, article, unanswered_only)
        return int(await self._session.scalar(query) or 0)

    async def count_by_article(self, draft_id: int) -> dict[int | None, int]:
        query = (
            select(CommentRow.article_number, func.count())
            .where(CommentRow.draft_id == draft_id, CommentRow.status != CommentStatus.WITHDRAWN.value)
            .group_by(CommentRow.article_number)
        )
        return {article: int(count) for article, count in (await self._session.execute(query)).all()}

    async def set_hidden(self, comment_id: int, reason: str | None) -> None:
        await self._session.execute(update(CommentRow).where(CommentRow.id == comment_id).values(hidden_reason=reason))

    async def all_of_draft(self, draft_id: int) -> list[Comment]:
        rows = await self._session.scalars(
            select(CommentRow).where(CommentRow.draft_id == draft_id).order_by(CommentRow.id)
        )
        return [_to_domain(row) for row in rows]

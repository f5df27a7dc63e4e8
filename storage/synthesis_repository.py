"""The synthesis stream and the statistics aggregates in SQL. Implements drafts.synthesis_source.

The stream is a server-side cursor read in batches (yield_per): a million comments pass through a
few thousand rows of memory. The statistics are GROUP BY / COUNT queries and one ORDER BY … OFFSET
for the median, so the database does the counting and only a handful of numbers come back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import ColumnElement, Select, case, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from drafts.models import AnswerStatus, CommentStatus
from drafts.synthesis_source import AdoptedOpinion, DraftFigures, ExportedComment
from storage.tables import AnswerRow, CommentRow, RatingRow

BATCH = 2000  # rows per fetch from the cursor: large enough to amortise round trips, small in memory
SECONDS_PER_DAY = 86400


class SqlSynthesisRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def count(self, draft_id: int) -> int:
        query = select(func.count()).select_from(CommentRow).where(CommentRow.draft_id == draft_id)
        return int(await self._session.scalar(query) or 0)

    async def stream(self, draft_id: int) -> AsyncIterator[ExportedComment]:
        c, a = CommentRow, AnswerRow
        query = (
            select(c.tracking_number, c.article_number, c.resident_id, c.text, c.language, c.signed_name, c.status,
                   c.created_at, c.hidden_reason, a.status, a.reply, a.published_at)
            .outerjoin(a, a.comment_id == c.id).where(c.draft_id == draft_id).order_by(c.id)
            .execution_options(yield_per=BATCH)
        )
        result = await self._session.stream(query)
        try:
            async for (number, article, resident, text, language, signed, status, created, hidden,
                       answer_status, reply, published) in result:
                yield ExportedComment(number, article, resident, text, language, signed, CommentStatus(status),
                                      created, hidden, AnswerStatus(answer_status) if answer_status else None,
                                      reply, published is not None)
        finally:
            await result.close()  # a consumer that stops early must not leave the cursor open

    async def figures(self, draft_id: int) -> DraftFigures:
        live = (CommentRow.draft_id == draft_id, CommentRow.status != CommentStatus.WITHDRAWN.value)
        comments, residents, forgotten = (await self._session.execute(
            select(func.count(), func.count(distinct(CommentRow.resident_id)),
                   func.coalesce(func.sum(case((CommentRow.resident_id.is_(None), 1), else_=0)), 0)).where(*live)
        )).one()
        per_article = await self._grouped(select(CommentRow.article_number, func.count()).where(*live)
                                          .group_by(CommentRow.article_number))
        languages = await self._grouped(select(CommentRow.language, func.count()).where(*live)
                                        .group_by(CommentRow.language))
        satisfaction = await self._grouped(
            select(RatingRow.rating, func.count()).join(CommentRow, CommentRow.id == RatingRow.comment_id)
            .where(CommentRow.draft_id == draft_id).group_by(RatingRow.rating))
        answered, median = await self._answer_delays(live)
        return DraftFigures(int(comments), int(residents) + int(forgotten), per_article, answered, median,
                            languages, satisfaction)

    async def published_answers(self, draft_id: int) -> dict[AnswerStatus, int]:
        query = (select(AnswerRow.status, func.count()).join(CommentRow, CommentRow.id == AnswerRow.comment_id)
                 .where(*self._published(draft_id)).group_by(AnswerRow.status))
        return {AnswerStatus(status): count for status, count in (await self._grouped(query)).items()}

    async def adopted_opinions(self, draft_id: int, limit: int) -> tuple[list[AdoptedOpinion], int]:
        adopted = (*self._published(draft_id), CommentRow.hidden_reason.is_(None),
                   AnswerRow.status.in_([AnswerStatus.ADOPTED.value, AnswerStatus.PARTLY_ADOPTED.value]))
        joined = select(func.count()).select_from(CommentRow).join(AnswerRow, AnswerRow.comment_id == CommentRow.id)
        total = int(await self._session.scalar(joined.where(*adopted)) or 0)
        first = await self._session.execute(
            select(CommentRow.article_number, CommentRow.text, AnswerRow.status, AnswerRow.reply)
            .join(AnswerRow, AnswerRow.comment_id == CommentRow.id).where(*adopted)
            .order_by(CommentRow.article_number.is_(None), CommentRow.article_number, CommentRow.id).limit(limit))
        return [AdoptedOpinion(n, text, AnswerStatus(status), reply) for n, text, status, reply in first], total

    @staticmethod
    def _published(draft_id: int) -> tuple[ColumnElement[bool], ...]:
        return (CommentRow.draft_id == draft_id, CommentRow.status != CommentStatus.WITHDRAWN.value,
                AnswerRow.published_at.is_not(None))

    async def _grouped(self, query: Select[Any]) -> dict[Any, int]:
        return {key: int(count) for key, count in (await self._session.execute(query)).all()}

    async def _answer_delays(self, live: tuple[ColumnElement[bool], ...]) -> tuple[int, float | None]:
        """How many live comments have a published answer, and the median days from comment to publication."""
        published = (*live, AnswerRow.published_at.is_not(None))
        joined = select(func.count()).select_from(CommentRow).join(AnswerRow, AnswerRow.comment_id == CommentRow.id)
        answered = int(await self._session.scalar(joined.where(*published)) or 0)
        if not answered:
            return 0, None
        delay = self._days(AnswerRow.published_at, CommentRow.created_at)
        # The middle one (odd count) or the middle two (even count) in order; their mean is the median.
        middle = (select(delay).select_from(CommentRow).join(AnswerRow, AnswerRow.comment_id == CommentRow.id)
                  .where(*published).order_by(delay).offset((answered - 1) // 2).limit(2 - answered % 2))
        values = [float(v) for v in (await self._session.scalars(middle)).all()]
        return answered, sum(values) / len(values)

    def _days(self, later: Any, earlier: Any) -> ColumnElement[float]:
        if self._session.bind.dialect.name == "postgresql":
            return func.extract("epoch", later - earlier) / SECONDS_PER_DAY
        return func.julianday(later) - func.julianday(earlier)  # SQLite stores UTC text that julianday reads

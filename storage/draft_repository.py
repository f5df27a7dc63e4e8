"""Drafts in SQL, returned as domain objects (drafts.models.Draft)."""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from drafts.models import CommentStatus, Draft, DraftDocument, DraftOverview, DraftStatus, NewDraft
from drafts.parser import parse_document
from storage.tables import CommentRow, DraftRow, DraftVersionRow, as_utc


@lru_cache(maxsize=64)
def _document(source: str) -> DraftDocument:
    # Parsing is deterministic, so a draft's structure is cached by its text.
    return parse_document(source)



def _to_domain(row: DraftRow) -> Draft:
    return Draft(
        id=row.id, title=row.title, summary=row.summary, note=row.note,
        document=_document(row.source), opens_at=as_utc(row.opens_at), closes_at=as_utc(row.closes_at),
        status=DraftStatus(row.status), version=row.version,
    )


def _open_filter(now: datetime):  # type: ignore[no-untyped-def]
    return (DraftRow.status == DraftStatus.OPEN.value, DraftRow.opens_at <= now, DraftRow.closes_at > now)


class SqlDraftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, draft: NewDraft) -> Draft:
        row = DraftRow(
            title=draft.title, summary=draft.summary, note=draft.note, source=draft.source,
            opens_at=draft.opens_at, closes_at=draft.closes_at, status=draft.status.value,
            created_at=datetime.now(timezone.utc),
        )
        self._session.add(row)
        await self._session.flush()
        self._session.add(DraftVersionRow(draft_id=row.id, version=1, title=row.title, source=row.source,
                                          created_by=draft.published_by, created_at=row.created_at))
        return _to_domain(row)

    async def get(self, draft_id: int) -> Draft | None:
        row = await self._session.get(DraftRow, draft_id)
        return _to_domain(row) if row else None

    async def list_open(self, now: datetime) -> list[DraftOverview]:
        counted = (
            select(CommentRow.draft_id, func.count().label("n"))
            .where(CommentRow.status != CommentStatus.WITHDRAWN.value)
            .group_by(CommentRow.draft_id)
            .subquery()
        )
        query = (
            select(DraftRow.id, DraftRow.title, DraftRow.summary, DraftRow.closes_at, counted.c.n)
            .outerjoin(counted, counted.c.draft_id == DraftRow.id)
            .where(*_open_filter(now))
            .order_by(DraftRow.closes_at, DraftRow.id)
        )
        rows = (await self._session.execute(query)).all()
        return [DraftOverview(r.id, r.title, r.summary, r.closes_at, r.n or 0) for r in rows]

    async def open_drafts(self, now: datetime) -> list[Draft]:
        rows = await self._session.scalars(select(DraftRow).where(*_open_filter(now)).order_by(DraftRow.id))
        return [_to_domain(row) for row in rows]

    async def count(self) -> int:
        return int(await self._session.scalar(select(func.count()).select_from(DraftRow)) or 0)

    async def list_all(self, include_archived: bool = False) -> list[Draft]:
        query = select(DraftRow).order_by(DraftRow.id.desc())
        if not include_archived:
            query = query.where(DraftRow.status != DraftStatus.ARCHIVED.value)
        return [_to_domain(row) for row in await self._session.scalars(query)]

    async def revise(self, draft_id: int, title: str, source: str, by: int, at: datetime,
                     note: str, summary: str) -> int:
        row = await self._session.get(DraftRow, draft_id, with_for_update=True)
        assert row is not None
        row.version += 1
        row.title, row.source, row.note, row.summary = title, source, note, summary
        self._session.add(DraftVersionRow(draft_id=draft_id, version=row.version, title=title, source=source,
                                          created_by=by, created_at=at))
        await self._session.flush()
        return row.version

    async def set_closes_at(self, draft_id: int, closes_at: datetime) -> None:
        await self._session.execute(update(DraftRow).where(DraftRow.id == draft_id).values(closes_at=closes_at))

    async def set_status(self, draft_id: int, status: DraftStatus) -> None:
        await self._session.execute(update(DraftRow).where(DraftRow.id == draft_id).values(status=status.value))

    async def version_source(self, draft_id: int, version: int) -> str | None:
        row = await self._session.get(DraftVersionRow, (draft_id, version))
        return row.source if row else None

"""Residents in SQL: the minimum we keep about a person."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from drafts.models import Resident
from storage.tables import DraftReaderRow, ResidentRow
from storage.upsert import upsert


class SqlResidentRepository:
    def __init__(self, session: AsyncSession, lock_rows: bool = False) -> None:
        self._session = session
        # In a write unit of work on PostgreSQL, a row read is locked until the commit, so that a
        # read-modify-write cannot lose another's update (SQLite's write lock does this for us).
        self._lock = lock_rows

    async def get(self, user_id: int) -> Resident | None:
        row = await self._session.get(ResidentRow, user_id, with_for_update=True if self._lock else None,
                                      populate_existing=self._lock)
        if row is None:
            return None
        return Resident(row.user_id, row.language, row.privacy_accepted_at, row.created_at,
                        row.blocked_reason, row.subscribed, row.unreachable_at)

    async def save(self, resident: Resident) -> None:
        row = await self._session.get(ResidentRow, resident.user_id)
        if row is None:  # a first save may race another process's first save of the same person
            await upsert(self._session, ResidentRow.__table__, {
                "user_id": resident.user_id, "created_at": resident.created_at or datetime.now(timezone.utc),
                "language": resident.language, "privacy_accepted_at": resident.privacy_accepted_at,
                "blocked_reason": resident.blocked_reason, "subscribed": resident.subscribed,
                "unreachable_at": resident.unreachable_at}, keys=["user_id"], keep=("created_at",))
            return
        row.language = resident.language
        row.privacy_accepted_at = resident.privacy_accepted_at
        row.blocked_reason = resident.blocked_reason
        row.subscribed = resident.subscribed
        row.unreachable_at = resident.unreachable_at
        await self._session.flush()

    async def delete(self, user_id: int) -> None:
        await self._session.execute(delete(DraftReaderRow).where(DraftReaderRow.user_id == user_id))
        await self._session.execute(delete(ResidentRow).where(ResidentRow.user_id == user_id))

    async def subscribers(self) -> list[int]:
        query = select(ResidentRow.user_id).where(
            ResidentRow.subscribed.is_(True), ResidentRow.privacy_accepted_at.is_not(None)
        ).order_by(ResidentRow.user_id)
        return list(await self._session.scalars(query))

    async def record_reader(self, draft_id: int, user_id: int, at: datetime) -> None:
        dialect = postgresql if self._session.bind.dialect.name == "postgresql" else sqlite
        await self._session.execute(
            dialect.insert(DraftReaderRow.__table__).values(draft_id=draft_id, user_id=user_id, first_read_at=at)
            .on_conflict_do_nothing(index_elements=["draft_id", "user_id"])
        )

    async def readers(self, draft_id: int) -> list[int]:
        query = select(DraftReaderRow.user_id).where(DraftReaderRow.draft_id == draft_id).order_by(DraftReaderRow.user_id)
        return list(await self._session.scalars(query))

    async def drafts_read_by(self, user_id: int) -> list[int]:
        query = select(DraftReaderRow.draft_id).where(DraftReaderRow.user_id == user_id).order_by(DraftReaderRow.draft_id)
        return list(await self._session.scalars(query))

    async def languages(self, user_ids: list[int]) -> dict[int, str | None]:
        if not user_ids:
            return {}
        query = select(ResidentRow.user_id, ResidentRow.language).where(ResidentRow.user_id.in_(user_ids))
        return {user_id: language for user_id, language in (await self._session.execute(query)).all()}

"""Staff members and the audit log in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from drafts.staff import AuditEntry, StaffMember, StaffRole
from storage.tables import AuditRow, StaffRow, as_utc
from storage.upsert import upsert


def _fit(value: str | None, column: Any) -> str | None:
    return value[:column.type.length] if value is not None else None


class SqlStaffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, user_id: int) -> StaffMember | None:
        row = await self._session.get(StaffRow, user_id)
        return StaffMember(row.user_id, StaffRole(row.role), row.added_by, as_utc(row.added_at)) if row else None

    async def list(self) -> list[StaffMember]:
        rows = await self._session.scalars(select(StaffRow).order_by(StaffRow.added_at, StaffRow.user_id))
        return [StaffMember(r.user_id, StaffRole(r.role), r.added_by, as_utc(r.added_at)) for r in rows]

    async def save(self, member: StaffMember) -> None:
        row = await self._session.get(StaffRow, member.user_id)
        if row is None:  # two admins may add the same person at once: the role is then the last one's
            await upsert(self._session, StaffRow.__table__, {
                "user_id": member.user_id, "role": member.role.value, "added_by": member.added_by,
                "added_at": member.added_at}, keys=["user_id"], keep=("added_by", "added_at"))
        else:
            row.role = member.role.value
        await self._session.flush()

    async def delete(self, user_id: int) -> None:
        await self._session.execute(delete(StaffRow).where(StaffRow.user_id == user_id))


class SqlAuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, entry: AuditEntry) -> None:
        # A trace of a refused action may quote forged input ("button:<callback data>"); PostgreSQL,
        # unlike SQLite, refuses a string longer than its column, and the trace must still be kept.
        self._session.add(AuditRow(at=entry.at, actor_id=entry.actor_id, action=_fit(entry.action, AuditRow.action),
                                   object_type=_fit(entry.object_type, AuditRow.object_type),
                                   object_id=_fit(entry.object_id, AuditRow.object_id),
                                   allowed=entry.allowed, details=entry.details))
        await self._session.flush()

    async def recent(self, limit: int) -> list[AuditEntry]:
        rows = await self._session.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))
        return [AuditEntry(r.actor_id, r.action, r.object_type, r.object_id, as_utc(r.at), r.allowed, r.details, r.id)
                for r in rows]

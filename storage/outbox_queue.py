"""The delivery side of the notification outbox: claim due notices with a lease, then settle them.

A claim is one statement (SQLite: UPDATE … RETURNING under the write lock; PostgreSQL: the rows
picked FOR UPDATE SKIP LOCKED), so two senders never get the same row. A sender that dies leaves
its rows leased; when the lease ends they are due again. A row is marked sent right after its
message went out, so a crash repeats at most the messages in flight.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update

from drafts.notices import Notice, NoticeKind
from storage.database import SqlDatabase
from storage.tables import NotificationRow, ResidentRow, as_utc


class OutboxQueue:
    def __init__(self, db: SqlDatabase, lease: timedelta) -> None:
        self._db = db
        self._lease = lease

    async def claim(self, now: datetime, limit: int, skip_kinds: Iterable[NoticeKind] = ()) -> list[Notice]:
        due = (
            select(NotificationRow.id)
            .where(NotificationRow.status == "pending", NotificationRow.due_at <= now,
                   or_(NotificationRow.lease_until.is_(None), NotificationRow.lease_until < now))
            .order_by(NotificationRow.due_at, NotificationRow.id)
            .limit(limit)
        )
        skipped = [kind.value for kind in skip_kinds]
        if skipped:
            due = due.where(NotificationRow.kind.not_in(skipped))
        if not self._db.is_sqlite:
            due = due.with_for_update(skip_locked=True)
        statement = (
            update(NotificationRow)
            .where(NotificationRow.id.in_(due.scalar_subquery()))
            .values(lease_until=now + self._lease, attempts=NotificationRow.attempts + 1)
            .returning(NotificationRow.id, NotificationRow.kind, NotificationRow.chat_id,
                       NotificationRow.idempotency_key, NotificationRow.status, NotificationRow.due_at,
                       NotificationRow.payload, NotificationRow.attempts)
        )
        async with self._db.write() as uow:
            rows = (await uow.session.execute(statement)).all()
            await uow.commit()
        return sorted((Notice(r.id, NoticeKind(r.kind), r.chat_id, r.idempotency_key, r.status, as_utc(r.due_at),
                              json.loads(r.payload), r.attempts) for r in rows), key=lambda n: n.id)

    async def _settle(self, notice_id: int, **values: object) -> None:
        # Only a row still pending is settled: one already marked unreachable (its chat refused
        # another notice meanwhile) must not be put back in the queue.
        async with self._db.write() as uow:
            await uow.session.execute(update(NotificationRow)
                                      .where(NotificationRow.id == notice_id, NotificationRow.status == "pending")
                                      .values(**values))
            await uow.commit()

    async def sent(self, notice_id: int, at: datetime) -> None:
        await self._settle(notice_id, status="sent", sent_at=at, lease_until=None)

    async def sent_many(self, notice_ids: list[int], at: datetime) -> None:
        async with self._db.write() as uow:
            await uow.session.execute(update(NotificationRow)
                                      .where(NotificationRow.id.in_(notice_ids), NotificationRow.status == "pending")
                                      .values(status="sent", sent_at=at, lease_until=None))
            await uow.commit()

    async def skipped(self, notice_id: int, reason: str) -> None:
        """Nothing to send any more (an answer edited since, a comment withdrawn)."""
        await self._settle(notice_id, status="skipped", last_error=reason, lease_until=None)

    async def retry(self, notice_id: int, due_at: datetime, error: str) -> None:
        await self._settle(notice_id, status="pending", due_at=due_at, lease_until=None, last_error=error[:500])

    async def failed(self, notice_id: int, error: str) -> None:
        await self._settle(notice_id, status="failed", lease_until=None, last_error=error[:500])

    async def unreachable(self, chat_id: int, at: datetime, error: str) -> None:
        """The chat is gone: mark the resident, and every notice still waiting for that chat."""
        async with self._db.write() as uow:
            await uow.session.execute(
                update(NotificationRow).where(NotificationRow.chat_id == chat_id,
                                              NotificationRow.status == "pending")
                .values(status="unreachable", lease_until=None, last_error=error[:500]))
            await uow.session.execute(
                update(ResidentRow).where(ResidentRow.user_id == chat_id).values(unreachable_at=at))
            await uow.commit()

    async def counts(self) -> dict[str, int]:
        async with self._db.read() as uow:
            rows = (await uow.session.execute(
                select(NotificationRow.status, func.count()).group_by(NotificationRow.status))).all()
        return {status: int(count) for status, count in rows}

"""Work that falls due with time: close consultations at their deadline and tell staff, remind
residents before a deadline, warn editors about comments left unanswered, a weekly digest.

Each job only writes outbox rows whose idempotency keys make it safe to run as often as the
scheduler likes, and after a restart: a reminder goes to a person once per draft, a digest
once per staff member per ISO week.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

from drafts.models import CommentStatus, DraftStatus, Rating
from drafts.notices import NewNotice, NoticeKind, reminder_key
from drafts.ports import ALL_ARTICLES, Database, UnitOfWork
from drafts.staff import Permission, allows
from drafts.staff_directory import COMMAND_LINE, audit


class Housekeeping:
    def __init__(self, db: Database, clock: Callable[[], datetime], tz: tzinfo, reminder_days: int,
                 unanswered_days: int) -> None:
        self._db, self._clock, self._tz = db, clock, tz
        self._reminder = timedelta(days=reminder_days)
        self._unanswered = timedelta(days=unanswered_days)

    async def run(self) -> dict[str, int]:
        return {"closed": await self.close_due(), "reminders": await self.remind(),
                "warnings": await self.warn_unanswered(), "digests": await self.weekly_digest()}

    async def close_due(self) -> int:
        now = self._clock()
        closed = 0
        async with self._db.write() as uow:
            for draft in await uow.drafts.list_all():
                if draft.status is DraftStatus.OPEN and draft.closes_at <= now:
                    await uow.drafts.set_status(draft.id, DraftStatus.CLOSED)
                    await audit(uow, COMMAND_LINE, "draft.close_at_deadline", "draft", draft.id, now)
                    total = await uow.comments.count_by_draft_filtered(draft.id, ALL_ARTICLES, False)
                    unanswered = await uow.comments.count_by_draft_filtered(draft.id, ALL_ARTICLES, True)
                    await _tell_staff(uow, NoticeKind.STAFF_CLOSED, f"closed:{draft.id}", now,
                                      {"draft_id": draft.id, "title": draft.title, "comments": total,
                                       "unanswered": unanswered})
                    closed += 1
            await uow.commit()
        return closed

    async def remind(self) -> int:
        """Residents who subscribed, read or commented: once per person per draft, N days before."""
        if not self._reminder:
            return 0
        now = self._clock()
        queued = 0
        async with self._db.write() as uow:
            for draft in await uow.drafts.list_all():
                if not (draft.is_open(now) and draft.closes_at - self._reminder <= now):
                    continue
                people = set(await uow.residents.subscribers()) | set(await uow.residents.readers(draft.id))
                people |= {c.resident_id for c in await uow.comments.all_of_draft(draft.id)
                           if c.resident_id is not None and c.status is not CommentStatus.WITHDRAWN}
                for user_id in sorted(people):
                    resident = await uow.residents.get(user_id)
                    if resident is None or resident.unreachable_at is not None:
                        continue
                    queued += await uow.outbox.add(NewNotice(NoticeKind.REMINDER, user_id,
                                                             reminder_key(draft.id, user_id), now,
                                                             {"draft_id": draft.id}))
            await uow.commit()
        return queued

    async def warn_unanswered(self) -> int:
        now = self._clock()
        warned = 0
        async with self._db.write() as uow:
            for draft in await uow.drafts.list_all():
                if draft.is_open(now) or draft.closes_at + self._unanswered > now:
                    continue
                unanswered = await uow.comments.count_by_draft_filtered(draft.id, ALL_ARTICLES, True)
                if unanswered:
                    days = (now - draft.closes_at).days
                    warned += await _tell_staff(uow, NoticeKind.STAFF_UNANSWERED, f"unanswered:{draft.id}", now,
                                                {"draft_id": draft.id, "title": draft.title,
                                                 "unanswered": unanswered, "days": days})
            await uow.commit()
        return warned

    async def weekly_digest(self) -> int:
        now = self._clock()
        year, week, _ = now.astimezone(self._tz).isocalendar()
        async with self._db.write() as uow:
            lines = []
            for draft in await uow.drafts.list_all():
                total = await uow.comments.count_by_draft_filtered(draft.id, ALL_ARTICLES, False)
                unanswered = await uow.comments.count_by_draft_filtered(draft.id, ALL_ARTICLES, True)
                ratings = await uow.answers.ratings_of_draft(draft.id)
                satisfied = sum(1 for r in ratings.values() if r.rating is not Rating.NOT_SATISFIED)
                if draft.status is not DraftStatus.ARCHIVED:
                    lines.append({"draft_id": draft.id, "title": draft.title, "comments": total,
                                  "unanswered": unanswered, "ratings": len(ratings), "satisfied": satisfied})
            queued = await _tell_staff(uow, NoticeKind.STAFF_DIGEST, f"digest:{year}-W{week:02d}", now,
                                       {"drafts": lines}, permission=Permission.VIEW)
            await uow.commit()
        return queued


async def _tell_staff(uow: UnitOfWork, kind: NoticeKind, key: str, now: datetime, payload: dict[str, object],
                      permission: Permission = Permission.EDIT) -> int:
    queued = 0
    for member in await uow.staff.list():
        if allows(member.role, permission):
            queued += await uow.outbox.add(NewNotice(kind, member.user_id, f"{key}:{member.user_id}", now, payload))
    return queued

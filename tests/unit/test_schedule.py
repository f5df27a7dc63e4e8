"""drafts.schedule.Housekeeping: close at the deadline, reminders, unanswered warnings, weekly digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from drafts.commenting import Commenting
from drafts.models import DraftStatus, Rating
from drafts.notices import NewNotice, NoticeKind
from drafts.reading import Reading
from drafts.residents import Residents
from drafts.schedule import Housekeeping
from drafts.staff import AuditEntry, StaffRole
from tests.unit.fakes import (
    Clock,
    FakeDatabase,
    FixedDetector,
    add_answer,
    add_comment,
    add_draft,
    add_rating,
    add_resident,
    add_staff,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)  # Sunday 17:00 in Shanghai, ISO week 2026-W09
ADMIN, EDITOR, VIEWER = 10, 11, 12
SUB, READER, COMMENTER, WITHDRAWER, FORGOTTEN, UNREACHABLE, STRANGER, NEWCOMER = range(1001, 1009)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def db() -> FakeDatabase:
    database = FakeDatabase()
    for user_id, role in ((ADMIN, StaffRole.ADMIN), (EDITOR, StaffRole.EDITOR), (VIEWER, StaffRole.VIEWER)):
        await add_staff(database, user_id, role, NOW)
    return database


def housekeeping(db: FakeDatabase, clock: Clock, reminder_days: int = 2, unanswered_days: int = 3) -> Housekeeping:
    return Housekeeping(db, clock, SHANGHAI, reminder_days, unanswered_days)


def staff_notices(kind: NoticeKind, key: str, at: datetime, payload: dict, staff=(ADMIN, EDITOR)) -> list[NewNotice]:
    return [NewNotice(kind, user_id, f"{key}:{user_id}", at, payload) for user_id in staff]


async def test_close_due_closes_open_drafts_past_their_deadline_once(db: FakeDatabase, clock: Clock):
    await add_draft(db, NOW - timedelta(days=9), NOW + timedelta(minutes=1))  # 1: still open
    await add_draft(db, NOW - timedelta(days=9), NOW - timedelta(minutes=1))  # 2: due
    await add_draft(db, NOW - timedelta(days=9), NOW - timedelta(days=1), status=DraftStatus.CLOSED)  # 3
    await add_draft(db, NOW - timedelta(days=9), NOW)  # 4: due at this very moment
    for resident_id, article in ((SUB, 1), (READER, 2), (COMMENTER, None)):
        await add_comment(db, 2, resident_id, article, NOW - timedelta(days=2))
    await add_answer(db, 1, EDITOR, NOW - timedelta(days=1))
    jobs = housekeeping(db, clock)
    assert await jobs.close_due() == 2
    assert [d.status for d in db.committed.drafts.values()] == [
        DraftStatus.OPEN, DraftStatus.CLOSED, DraftStatus.CLOSED, DraftStatus.CLOSED]
    assert db.committed.audit == [AuditEntry(0, "draft.close_at_deadline", "draft", "4", NOW, True, "", id=1),
                                  AuditEntry(0, "draft.close_at_deadline", "draft", "2", NOW, True, "", id=2)]
    title = db.committed.drafts[2].title
    assert db.committed.notices() == (
        staff_notices(NoticeKind.STAFF_CLOSED, "closed:4", NOW,
                      {"draft_id": 4, "title": title, "comments": 0, "unanswered": 0})
        + staff_notices(NoticeKind.STAFF_CLOSED, "closed:2", NOW,
                        {"draft_id": 2, "title": title, "comments": 3, "unanswered": 2})
    )  # list_all is newest first; viewers are not told
    before = db.committed.copy()
    clock.advance(seconds=59)
    assert await jobs.close_due() == 0
    assert db.committed == before


@pytest.fixture
async def audience(db: FakeDatabase, clock: Clock) -> FakeDatabase:
    """Draft 1 closes in 2 days and 1 hour; residents who read, subscribed, commented, or not."""
    await add_draft(db, NOW - timedelta(days=9), NOW + timedelta(days=2, hours=1))
    for user_id in (SUB, READER, COMMENTER, WITHDRAWER, FORGOTTEN, UNREACHABLE, STRANGER):
        await add_resident(db, user_id, NOW, subscribed=user_id in (SUB, UNREACHABLE))
    await Reading(db, clock).note_reader(db.committed.residents[READER], 1)
    for user_id in (COMMENTER, COMMENTER, WITHDRAWER, FORGOTTEN, UNREACHABLE):
        await add_comment(db, 1, user_id, 1, NOW)
    await Commenting(db, clock, FixedDetector()).withdraw(WITHDRAWER, 3)
    await Residents(db, clock).forget(FORGOTTEN)
    unreachable = db.committed.residents[UNREACHABLE]
    db.committed.residents[UNREACHABLE] = replace(unreachable, unreachable_at=NOW)
    return db


def reminders(draft_id: int, at: datetime, *user_ids: int) -> list[NewNotice]:
    return [NewNotice(NoticeKind.REMINDER, u, f"reminder:{draft_id}:{u}", at, {"draft_id": draft_id}) for u in user_ids]


async def test_remind_once_per_person_within_the_window(audience: FakeDatabase, clock: Clock):
    jobs = housekeeping(audience, clock)
    assert await jobs.remind() == 0  # 2 days and 1 hour before the deadline: not yet
    assert audience.committed.notices() == []
    clock.advance(hours=1)
    assert await jobs.remind() == 3
    assert audience.committed.notices() == reminders(1, clock.now, SUB, READER, COMMENTER)
    clock.advance(days=1)
    await add_resident(audience, NEWCOMER, clock.now, subscribed=True)
    assert await jobs.remind() == 1
    assert audience.committed.notices()[3:] == reminders(1, clock.now, NEWCOMER)


async def test_each_draft_has_its_own_reminder(audience: FakeDatabase, clock: Clock):
    await add_draft(audience, NOW - timedelta(days=1), NOW + timedelta(days=1))  # 2: nobody read or commented
    jobs = housekeeping(audience, clock)
    assert await jobs.remind() == 1
    assert audience.committed.notices() == reminders(2, NOW, SUB)
    clock.advance(hours=1)
    assert await jobs.remind() == 3
    assert audience.committed.notices()[1:] == reminders(1, clock.now, SUB, READER, COMMENTER)


async def test_no_reminder_after_closing_nor_when_disabled(audience: FakeDatabase, clock: Clock):
    clock.advance(days=1)
    assert await housekeeping(audience, clock, reminder_days=0).remind() == 0
    clock.now = NOW + timedelta(days=2, hours=1)  # the deadline
    assert await housekeeping(audience, clock).remind() == 0
    assert audience.committed.notices() == []


async def test_reminded_again_once_reachable(audience: FakeDatabase, clock: Clock):
    clock.advance(hours=1)
    await Residents(audience, clock).reachable_again(UNREACHABLE)
    assert await housekeeping(audience, clock).remind() == 4
    assert [n.chat_id for n in audience.committed.notices()] == [SUB, READER, COMMENTER, UNREACHABLE]


@pytest.fixture
async def closed(db: FakeDatabase) -> FakeDatabase:
    """Draft 1 closed at NOW with one of two comments answered; draft 2 closed, all answered; 3 open."""
    await add_draft(db, NOW - timedelta(days=9), NOW, status=DraftStatus.CLOSED)
    await add_draft(db, NOW - timedelta(days=9), NOW - timedelta(days=5), status=DraftStatus.CLOSED)
    await add_draft(db, NOW - timedelta(days=9), NOW + timedelta(days=9))
    for draft_id in (1, 1, 2, 3):
        await add_comment(db, draft_id, SUB, None, NOW - timedelta(days=6))
    await add_answer(db, 1, EDITOR, NOW)
    await add_answer(db, 3, EDITOR, NOW - timedelta(days=5))
    return db


async def test_warn_unanswered_after_m_days_once_per_staff_member(closed: FakeDatabase, clock: Clock):
    jobs = housekeeping(closed, clock)
    clock.now = NOW + timedelta(days=3) - timedelta(seconds=1)
    assert await jobs.warn_unanswered() == 0
    clock.now = NOW + timedelta(days=3)
    assert await jobs.warn_unanswered() == 2
    payload = {"draft_id": 1, "title": closed.committed.drafts[1].title, "unanswered": 1, "days": 3}
    assert closed.committed.notices() == staff_notices(NoticeKind.STAFF_UNANSWERED, "unanswered:1", clock.now, payload)
    clock.advance(days=1)
    assert await jobs.warn_unanswered() == 0
    await add_staff(closed, 13, StaffRole.EDITOR, clock.now)
    assert await jobs.warn_unanswered() == 1
    assert closed.committed.notices()[-1].chat_id == 13


async def test_weekly_digest_once_per_iso_week_in_local_time(closed: FakeDatabase, clock: Clock):
    await add_draft(closed, NOW - timedelta(days=30), NOW - timedelta(days=20), status=DraftStatus.ARCHIVED)
    await add_rating(closed, 1, Rating.BASICALLY_SATISFIED, NOW)
    await add_rating(closed, 3, Rating.NOT_SATISFIED, NOW)
    jobs = housekeeping(closed, clock)
    assert await jobs.weekly_digest() == 3
    titles = {i: d.title for i, d in closed.committed.drafts.items()}
    lines = [{"draft_id": 3, "title": titles[3], "comments": 1, "unanswered": 1, "ratings": 0, "satisfied": 0},
             {"draft_id": 2, "title": titles[2], "comments": 1, "unanswered": 0, "ratings": 1, "satisfied": 0},
             {"draft_id": 1, "title": titles[1], "comments": 2, "unanswered": 1, "ratings": 1, "satisfied": 1}]
    assert closed.committed.notices() == staff_notices(NoticeKind.STAFF_DIGEST, "digest:2026-W09", NOW,
                                                       {"drafts": lines}, staff=(ADMIN, EDITOR, VIEWER))
    clock.now = datetime(2026, 3, 1, 15, 59, tzinfo=timezone.utc)  # Sunday 23:59 in Shanghai
    assert await jobs.weekly_digest() == 0
    clock.now = datetime(2026, 3, 1, 16, 0, tzinfo=timezone.utc)  # Monday 00:00 in Shanghai: W10
    assert await jobs.weekly_digest() == 3
    assert [n.idempotency_key for n in closed.committed.notices()][3:] == [
        f"digest:2026-W10:{user_id}" for user_id in (ADMIN, EDITOR, VIEWER)]


async def test_run_does_everything_and_returns_the_counts(closed: FakeDatabase, clock: Clock):
    clock.now = NOW + timedelta(days=3)
    await add_draft(closed, NOW, clock.now - timedelta(minutes=1))  # 4: due to close
    await add_draft(closed, NOW, clock.now + timedelta(days=1))  # 5: its reminders are due
    await add_resident(closed, SUB, NOW, subscribed=True)
    jobs = housekeeping(closed, clock)
    assert await jobs.run() == {"closed": 1, "reminders": 1, "warnings": 2, "digests": 3}
    assert [n.kind for n in closed.committed.notices()] == [NoticeKind.STAFF_CLOSED] * 2 + [NoticeKind.REMINDER] + \
        [NoticeKind.STAFF_UNANSWERED] * 2 + [NoticeKind.STAFF_DIGEST] * 3
    assert await jobs.run() == {"closed": 0, "reminders": 0, "warnings": 0, "digests": 0}

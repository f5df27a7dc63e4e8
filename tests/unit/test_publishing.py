"""drafts.publishing.Publishing: publish, revise, extend, close, archive, list; notices, refusals, audit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from drafts.errors import DraftNotEditable, DraftNotFound, InvalidDeadline, NotAllowed
from drafts.models import CommentStatus, DraftStatus
from drafts.notices import NewNotice, NoticeKind
from drafts.publishing import Publishing, prepare
from drafts.residents import Residents
from drafts.staff import AuditEntry, StaffRole
from tests.unit.fakes import (
    SMALL_DRAFT,
    Clock,
    FakeDatabase,
    add_comment,
    add_resident,
    add_staff,
    refused_and_audited,
    refused_without_trace,
)

EDITOR, VIEWER, STRANGER = 21, 22, 23
SUBSCRIBED, NO_CONSENT, NOT_SUBSCRIBED, SUBSCRIBED_TOO = 101, 102, 103, 104
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
IN_30_DAYS = NOW + timedelta(days=30)
REVISED = SMALL_DRAFT.replace("噪声管理", "噪声和光污染管理") + "第四条　本条例由市人民政府负责解释。\n"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def db() -> FakeDatabase:
    database = FakeDatabase()
    await add_staff(database, EDITOR, StaffRole.EDITOR, NOW)
    await add_staff(database, VIEWER, StaffRole.VIEWER, NOW)
    await add_resident(database, SUBSCRIBED, NOW, subscribed=True)
    await add_resident(database, NO_CONSENT, None, subscribed=True)
    await add_resident(database, NOT_SUBSCRIBED, NOW)
    await add_resident(database, SUBSCRIBED_TOO, NOW, subscribed=True)
    return database


@pytest.fixture
def publishing(db: FakeDatabase, clock: Clock) -> Publishing:
    return Publishing(db, clock)


async def published(publishing: Publishing, db: FakeDatabase, source: str = SMALL_DRAFT) -> int:
    """Publish a draft, then drop its notices and audit rows so that a test sees only its own."""
    draft = await publishing.publish(EDITOR, prepare(source), IN_30_DAYS)
    db.committed.outbox.clear()
    db.committed.audit.clear()
    return draft.id


async def test_publish_stores_the_draft(publishing: Publishing, db: FakeDatabase):
    draft = await publishing.publish(EDITOR, prepare(SMALL_DRAFT + "\n起草说明\n说明。"), IN_30_DAYS)
    assert (draft.id, draft.title, draft.summary, draft.note) == (1, "长治市测试管理条例（草案）", "为了测试", "起草说明\n说明。")
    assert (draft.opens_at, draft.closes_at, draft.status, draft.version) == (NOW, IN_30_DAYS, DraftStatus.OPEN, 1)
    assert db.committed.drafts[1] == draft
    assert db.committed.versions[(1, 1)].created_by == EDITOR
    assert db.committed.audit == [AuditEntry(EDITOR, "draft.publish", "draft", "1", NOW, True,
                                             f"closes_at={IN_30_DAYS.isoformat()}", id=1)]


async def test_publish_queues_one_notice_per_consenting_subscriber(publishing: Publishing, db: FakeDatabase):
    first = await publishing.publish(EDITOR, prepare(SMALL_DRAFT), IN_30_DAYS)
    second = await publishing.publish(EDITOR, prepare(REVISED), IN_30_DAYS)
    assert db.committed.notices() == [
        NewNotice(NoticeKind.NEW_DRAFT, SUBSCRIBED, f"new_draft:{first.id}:{SUBSCRIBED}", NOW, {"draft_id": 1}),
        NewNotice(NoticeKind.NEW_DRAFT, SUBSCRIBED_TOO, f"new_draft:{first.id}:{SUBSCRIBED_TOO}", NOW, {"draft_id": 1}),
        NewNotice(NoticeKind.NEW_DRAFT, SUBSCRIBED, f"new_draft:{second.id}:{SUBSCRIBED}", NOW, {"draft_id": 2}),
        NewNotice(NoticeKind.NEW_DRAFT, SUBSCRIBED_TOO, f"new_draft:{second.id}:{SUBSCRIBED_TOO}", NOW, {"draft_id": 2}),
    ]


@pytest.mark.parametrize("actor", [VIEWER, STRANGER])
async def test_only_editors_publish(publishing: Publishing, db: FakeDatabase, actor):
    row = await refused_and_audited(db, NotAllowed, publishing.publish(actor, prepare(SMALL_DRAFT), IN_30_DAYS))
    assert row == AuditEntry(actor, "draft.publish", "draft", None, NOW, allowed=False, id=1)


@pytest.mark.parametrize(("closes_at", "reason"), [
    (NOW - timedelta(days=1), "past"),
    (NOW, "past"),
    (NOW + timedelta(days=365, seconds=1), "too_far"),
])
async def test_publish_refuses_a_bad_deadline(publishing: Publishing, db: FakeDatabase, closes_at, reason):
    error = await refused_without_trace(db, InvalidDeadline, publishing.publish(EDITOR, prepare(SMALL_DRAFT), closes_at))
    assert error.reason == reason


async def test_a_deadline_exactly_a_year_ahead_is_accepted(publishing: Publishing):
    draft = await publishing.publish(EDITOR, prepare(SMALL_DRAFT), NOW + timedelta(days=365))
    assert draft.closes_at == datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)


async def set_comment_status(db: FakeDatabase, comment_id: int, status: CommentStatus) -> None:
    async with db.write() as uow:
        await uow.comments.set_status(comment_id, status, NOW)
        await uow.commit()


async def test_revise_notifies_authors_of_comments_on_changed_articles(publishing, db: FakeDatabase, clock: Clock):
    draft_id = await published(publishing, db)
    on_changed = await add_comment(db, draft_id, SUBSCRIBED, 2, NOW)
    await add_comment(db, draft_id, NOT_SUBSCRIBED, 1, NOW)  # article 1 does not change
    await add_comment(db, draft_id, NOT_SUBSCRIBED, None, NOW)  # on the whole draft
    withdrawn = await add_comment(db, draft_id, NOT_SUBSCRIBED, 2, NOW)
    await set_comment_status(db, withdrawn.id, CommentStatus.WITHDRAWN)
    await add_comment(db, draft_id, SUBSCRIBED_TOO, 2, NOW)
    await Residents(db, clock).forget(SUBSCRIBED_TOO)
    second = await add_comment(db, draft_id, NOT_SUBSCRIBED, 2, NOW)
    clock.advance(hours=2)
    assert await publishing.revise(EDITOR, draft_id, prepare(REVISED)) == (2, [2, 4])
    payload = {"draft_id": draft_id, "article": 2, "version": 2}
    assert db.committed.notices() == [
        NewNotice(NoticeKind.ARTICLE_CHANGED, NOT_SUBSCRIBED, f"article_changed:{draft_id}:2:{second.id}", clock.now,
                  payload | {"tracking_number": second.tracking_number}),
        NewNotice(NoticeKind.ARTICLE_CHANGED, SUBSCRIBED, f"article_changed:{draft_id}:2:{on_changed.id}",
                  clock.now, payload | {"tracking_number": on_changed.tracking_number}),
    ]
    assert db.committed.audit == [AuditEntry(EDITOR, "draft.revise", "draft", str(draft_id), clock.now, True,
                                             "version=2 changed=[2, 4]", id=1)]


async def test_revise_stores_a_new_version(publishing: Publishing, db: FakeDatabase):
    draft_id = await published(publishing, db)
    assert await publishing.revise(EDITOR, draft_id, prepare(REVISED)) == (2, [2, 4])
    assert await publishing.revise(EDITOR, draft_id, prepare(REVISED)) == (3, [])
    draft = db.committed.drafts[draft_id]
    assert (draft.version, len(draft.document.articles)) == (3, 4)
    assert draft.document.article(2).text == "本条例适用于本市行政区域内的噪声和光污染管理。"
    async with db.read() as uow:
        assert await uow.drafts.version_source(draft_id, 1) == SMALL_DRAFT
        assert await uow.drafts.version_source(draft_id, 3) == REVISED


async def test_extend_moves_the_deadline_later(publishing: Publishing, db: FakeDatabase):
    draft_id = await published(publishing, db)
    later = IN_30_DAYS + timedelta(days=7)
    await publishing.extend(EDITOR, draft_id, later)
    assert db.committed.drafts[draft_id].closes_at == later
    assert db.committed.audit == [AuditEntry(EDITOR, "draft.extend", "draft", str(draft_id), NOW, True,
                                             f"{IN_30_DAYS.isoformat()} -> {later.isoformat()}", id=1)]


@pytest.mark.parametrize(("closes_at", "reason"), [
    (IN_30_DAYS - timedelta(days=1), "before_current"),
    (IN_30_DAYS, "before_current"),
    (NOW - timedelta(minutes=1), "past"),
    (NOW + timedelta(days=366), "too_far"),
])
async def test_extend_refuses_a_deadline_that_is_not_later(publishing, db: FakeDatabase, closes_at, reason):
    draft_id = await published(publishing, db)
    error = await refused_without_trace(db, InvalidDeadline, publishing.extend(EDITOR, draft_id, closes_at))
    assert error.reason == reason


async def test_close_ends_the_consultation_now(publishing: Publishing, db: FakeDatabase, clock: Clock):
    draft_id = await published(publishing, db)
    clock.advance(days=2)
    await publishing.close(EDITOR, draft_id)
    draft = db.committed.drafts[draft_id]
    assert (draft.status, draft.closes_at) == (DraftStatus.CLOSED, clock.now)
    assert db.committed.audit == [AuditEntry(EDITOR, "draft.close", "draft", str(draft_id), clock.now, True, "", 1)]


ON_OPEN_DRAFTS = {
    "revise": lambda p, actor, draft_id: p.revise(actor, draft_id, prepare(REVISED)),
    "extend": lambda p, actor, draft_id: p.extend(actor, draft_id, IN_30_DAYS + timedelta(days=1)),
    "close": lambda p, actor, draft_id: p.close(actor, draft_id),
}


@pytest.mark.parametrize("name", ON_OPEN_DRAFTS)
async def test_revise_extend_close_need_an_open_draft(publishing: Publishing, db: FakeDatabase, clock, name):
    call = ON_OPEN_DRAFTS[name]
    await refused_without_trace(db, DraftNotFound, call(publishing, EDITOR, 99))
    closed = await published(publishing, db)
    await publishing.close(EDITOR, closed)
    await refused_without_trace(db, DraftNotEditable, call(publishing, EDITOR, closed))
    expired = await published(publishing, db)
    clock.now = IN_30_DAYS
    await refused_without_trace(db, DraftNotEditable, call(publishing, EDITOR, expired))


@pytest.mark.parametrize("name", ON_OPEN_DRAFTS)
@pytest.mark.parametrize("actor", [VIEWER, STRANGER])
async def test_revise_extend_close_are_for_editors(publishing: Publishing, db: FakeDatabase, actor, name):
    draft_id = await published(publishing, db)
    row = await refused_and_audited(db, NotAllowed, ON_OPEN_DRAFTS[name](publishing, actor, draft_id))
    assert row == AuditEntry(actor, f"draft.{name}", "draft", str(draft_id), NOW, allowed=False, id=1)


async def test_archive_only_a_closed_draft(publishing: Publishing, db: FakeDatabase):
    draft_id = await published(publishing, db)
    await refused_without_trace(db, DraftNotEditable, publishing.archive(EDITOR, draft_id))
    await publishing.close(EDITOR, draft_id)
    await publishing.archive(EDITOR, draft_id)
    assert db.committed.drafts[draft_id].status is DraftStatus.ARCHIVED
    assert db.committed.audit[-1] == AuditEntry(EDITOR, "draft.archive", "draft", str(draft_id), NOW, True, "", 2)
    await refused_without_trace(db, DraftNotEditable, publishing.archive(EDITOR, draft_id))
    await refused_without_trace(db, DraftNotFound, publishing.archive(EDITOR, 99))
    row = await refused_and_audited(db, NotAllowed, publishing.archive(VIEWER, draft_id))
    assert (row.action, row.object_id, row.allowed) == ("draft.archive", str(draft_id), False)


async def test_drafts_lists_newest_first_archived_on_request(publishing: Publishing, db: FakeDatabase):
    old, new = await published(publishing, db), await published(publishing, db, REVISED)
    await publishing.close(EDITOR, old)
    await publishing.archive(EDITOR, old)
    assert [d.id for d in await publishing.drafts(VIEWER)] == [new]
    assert [d.id for d in await publishing.drafts(VIEWER, include_archived=True)] == [new, old]
    row = await refused_and_audited(db, NotAllowed, publishing.drafts(STRANGER))
    assert (row.actor_id, row.action, row.allowed) == (STRANGER, "drafts.list", False)

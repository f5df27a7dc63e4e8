"""drafts.commenting.Commenting: submit, edit, withdraw and their refusals, against in-memory fakes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from drafts.commenting import COMMENT_LIMIT, Commenting
from drafts.errors import (
    ArticleNotFound,
    CommentNotFound,
    CommentTooLong,
    CommentWithdrawn,
    ConsultationClosed,
    ConsultationNotOpenYet,
    DraftNotFound,
    EmptyComment,
    NotYourComment,
    PrivacyNotAccepted,
)
from drafts.models import CommentStatus, DraftStatus
from tests.unit.fakes import Clock, FakeDatabase, FixedDetector, add_draft, add_resident, refused_without_trace

ALICE, BOB, STRANGER = 1001, 1002, 1003


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc))


@pytest.fixture
def detector() -> FixedDetector:
    return FixedDetector("zh")


@pytest.fixture
async def db(clock: Clock) -> FakeDatabase:
    database = FakeDatabase()
    await add_draft(database, clock.now - timedelta(days=1), clock.now + timedelta(days=30))
    await add_resident(database, ALICE, clock.now)
    await add_resident(database, BOB, clock.now)
    return database


@pytest.fixture
def commenting(db: FakeDatabase, clock: Clock, detector: FixedDetector) -> Commenting:
    return Commenting(db, clock, detector)


async def test_fake_unit_of_work_rolls_back_without_commit(db: FakeDatabase):
    async with db.write() as uow:
        await uow.comments.next_sequence(2026)
        await uow.residents.delete(ALICE)
    async with db.read() as uow:
        assert await uow.residents.get(ALICE) is not None
    assert db.committed.sequences == {}


async def test_submit_returns_the_stored_comment(commenting: Commenting, db: FakeDatabase, clock: Clock):
    comment = await commenting.submit(ALICE, 1, 2, "  建议增加社区养老床位。 ")
    assert comment.tracking_number == "YJ-2026-000001"
    assert (comment.draft_id, comment.article_number, comment.resident_id) == (1, 2, ALICE)
    assert comment.text == "建议增加社区养老床位。"
    assert comment.status is CommentStatus.RECEIVED
    assert comment.created_at == comment.updated_at == clock.now
    assert comment.signed_name is None
    assert db.committed.comments[comment.id] == comment
    assert await commenting.track("YJ-2026-000001") == comment


async def test_tracking_numbers_follow_each_other(commenting: Commenting):
    first = await commenting.submit(ALICE, 1, 1, "第一条意见")
    second = await commenting.submit(BOB, 1, None, "对整部草案的意见")
    assert (first.tracking_number, second.tracking_number) == ("YJ-2026-000001", "YJ-2026-000002")
    assert second.article_number is None


async def test_tracking_numbers_are_unique_and_restart_each_year(commenting: Commenting, db: FakeDatabase, clock):
    numbers = [(await commenting.submit(ALICE, 1, 1, f"意见{i}")).tracking_number for i in range(150)]
    assert len(set(numbers)) == 150
    assert numbers[-1] == "YJ-2026-000150"
    await add_draft(db, datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2027, 2, 1, tzinfo=timezone.utc))
    clock.now = datetime(2027, 1, 2, tzinfo=timezone.utc)
    assert (await commenting.submit(BOB, 2, 1, "新年的意见")).tracking_number == "YJ-2027-000001"
    assert (await commenting.submit(BOB, 2, 1, "又一条")).tracking_number == "YJ-2027-000002"


async def test_tracking_year_is_the_committees_local_year(db: FakeDatabase, clock: Clock, detector: FixedDetector):
    # 2026-12-31 17:00 UTC is already 1 January 2027 in Changzhi (UTC+8).
    await add_draft(db, datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2027, 2, 1, tzinfo=timezone.utc))
    clock.now = datetime(2026, 12, 31, 17, 0, tzinfo=timezone.utc)
    local = Commenting(db, clock, detector, ZoneInfo("Asia/Shanghai"))
    assert (await local.submit(ALICE, 2, 1, "元旦的意见")).tracking_number == "YJ-2027-000001"
    utc = Commenting(db, clock, detector)
    assert (await utc.submit(ALICE, 2, 1, "按协调世界时")).tracking_number == "YJ-2026-000001"


async def test_signed_name_is_stripped_and_stored_only_when_given(commenting: Commenting):
    assert (await commenting.submit(ALICE, 1, 1, "意见", signed_name="  王小明 ")).signed_name == "王小明"
    assert (await commenting.submit(ALICE, 1, 1, "意见", signed_name="   ")).signed_name is None
    assert (await commenting.submit(ALICE, 1, 1, "意见", signed_name=None)).signed_name is None


async def test_detected_language_is_stored(commenting: Commenting, detector: FixedDetector):
    detector.code = "en"
    comment = await commenting.submit(ALICE, 1, 1, "  More parking, please. ")
    assert comment.language == "en"
    assert detector.seen == ["More parking, please."]
    detector.code = None
    assert (await commenting.submit(ALICE, 1, 1, "？？")).language is None


async def test_text_limits(commenting: Commenting, db: FakeDatabase):
    assert len((await commenting.submit(ALICE, 1, 1, "字" * COMMENT_LIMIT)).text) == 2000
    for empty in ["", "   ", "\n\t　"]:
        await refused_without_trace(db, EmptyComment, commenting.submit(ALICE, 1, 1, empty))
    error = await refused_without_trace(db, CommentTooLong, commenting.submit(ALICE, 1, 1, "字" * 2001))
    assert (error.length, error.limit) == (2001, 2000)


async def test_privacy_notice_must_be_accepted(commenting: Commenting, db: FakeDatabase):
    await refused_without_trace(db, PrivacyNotAccepted, commenting.submit(STRANGER, 1, 1, "意见"))
    await add_resident(db, STRANGER, accepted_at=None)
    await refused_without_trace(db, PrivacyNotAccepted, commenting.submit(STRANGER, 1, 1, "意见"))
    with pytest.raises(PrivacyNotAccepted):
        await commenting.check_can_comment(STRANGER, 1)


async def test_unknown_draft_and_article(commenting: Commenting, db: FakeDatabase):
    await refused_without_trace(db, DraftNotFound, commenting.submit(ALICE, 99, 1, "意见"))
    for article in (0, 4, 100):
        await refused_without_trace(db, ArticleNotFound, commenting.submit(ALICE, 1, article, "意见"))
    assert (await commenting.submit(ALICE, 1, 3, "意见")).tracking_number == "YJ-2026-000001"


async def test_no_comment_outside_the_consultation_period(commenting: Commenting, db: FakeDatabase, clock: Clock):
    draft = db.committed.drafts[1]
    clock.now = draft.closes_at
    error = await refused_without_trace(db, ConsultationClosed, commenting.submit(ALICE, 1, 1, "晚了"))
    assert error.closes_at == draft.closes_at
    clock.now = draft.opens_at - timedelta(seconds=1)
    early = await refused_without_trace(db, ConsultationNotOpenYet, commenting.submit(ALICE, 1, 1, "早了"))
    assert early.opens_at == draft.opens_at
    clock.now = draft.opens_at
    assert (await commenting.check_can_comment(ALICE, 1)).id == 1


async def test_no_comment_on_a_draft_with_status_closed(commenting: Commenting, db: FakeDatabase, clock: Clock):
    start, end = clock.now - timedelta(days=1), clock.now + timedelta(days=1)
    closed = await add_draft(db, start, end, status=DraftStatus.CLOSED)
    archived = await add_draft(db, start, end, status=DraftStatus.ARCHIVED)
    for draft in (closed, archived):
        await refused_without_trace(db, ConsultationClosed, commenting.submit(ALICE, draft.id, 1, "意见"))


async def test_edit_by_the_author_while_open(commenting: Commenting, detector: FixedDetector, clock: Clock):
    comment = await commenting.submit(ALICE, 1, 1, "初稿")
    clock.advance(hours=1)
    detector.code = "en"
    edited = await commenting.edit(ALICE, comment.id, "  revised text ")
    assert edited.text == "revised text" and edited.language == "en"
    assert edited.tracking_number == comment.tracking_number
    assert (edited.created_at, edited.updated_at) == (comment.created_at, clock.now)
    assert await commenting.comment(ALICE, comment.id) == edited


async def test_edit_refusals_leave_nothing_behind(commenting: Commenting, db: FakeDatabase, clock: Clock):
    comment = await commenting.submit(ALICE, 1, 1, "原文")
    await refused_without_trace(db, NotYourComment, commenting.edit(BOB, comment.id, "篡改"))
    await refused_without_trace(db, CommentNotFound, commenting.edit(ALICE, 999, "新文"))
    await refused_without_trace(db, EmptyComment, commenting.edit(ALICE, comment.id, "  "))
    await refused_without_trace(db, CommentTooLong, commenting.edit(ALICE, comment.id, "字" * 2001))
    clock.now = db.committed.drafts[1].closes_at + timedelta(minutes=1)
    await refused_without_trace(db, ConsultationClosed, commenting.edit(ALICE, comment.id, "新文"))
    assert db.committed.comments[comment.id].text == "原文"


async def test_withdraw_by_the_author_while_open(commenting: Commenting, db: FakeDatabase, clock: Clock):
    comment = await commenting.submit(ALICE, 1, 1, "意见")
    await refused_without_trace(db, NotYourComment, commenting.withdraw(BOB, comment.id))
    clock.advance(minutes=5)
    withdrawn = await commenting.withdraw(ALICE, comment.id)
    assert withdrawn.status is CommentStatus.WITHDRAWN
    assert withdrawn.updated_at == clock.now
    assert db.committed.comments[comment.id].status is CommentStatus.WITHDRAWN


async def test_no_withdrawal_after_closing(commenting: Commenting, db: FakeDatabase, clock: Clock):
    comment = await commenting.submit(ALICE, 1, 1, "意见")
    clock.now = db.committed.drafts[1].closes_at
    await refused_without_trace(db, ConsultationClosed, commenting.withdraw(ALICE, comment.id))
    with pytest.raises(ConsultationClosed):
        await commenting.check_can_change(ALICE, comment.id)
    assert db.committed.comments[comment.id].status is CommentStatus.RECEIVED


async def test_withdrawn_comment_stays_withdrawn(commenting: Commenting, db: FakeDatabase):
    comment = await commenting.submit(ALICE, 1, 1, "意见")
    await commenting.withdraw(ALICE, comment.id)
    await refused_without_trace(db, CommentWithdrawn, commenting.edit(ALICE, comment.id, "改一下"))
    await refused_without_trace(db, CommentWithdrawn, commenting.withdraw(ALICE, comment.id))
    with pytest.raises(CommentWithdrawn):
        await commenting.check_can_change(ALICE, comment.id)


async def test_reading_someone_elses_comment_is_refused(commenting: Commenting):
    comment = await commenting.submit(ALICE, 1, 1, "意见")
    with pytest.raises(NotYourComment):
        await commenting.comment(BOB, comment.id)
    with pytest.raises(CommentNotFound):
        await commenting.comment(ALICE, 999)
    with pytest.raises(CommentNotFound):
        await commenting.track("YJ-2026-000999")


async def test_mine_lists_own_comments_newest_first(commenting: Commenting):
    ids = [(await commenting.submit(ALICE, 1, 1, f"意见{i}")).id for i in range(5)]
    await commenting.submit(BOB, 1, 1, "别人的意见")
    page, total = await commenting.mine(ALICE, offset=1, limit=2)
    assert total == 5
    assert [c.id for c in page] == [ids[3], ids[2]]
    assert (await commenting.mine(STRANGER, 0, 10)) == ([], 0)

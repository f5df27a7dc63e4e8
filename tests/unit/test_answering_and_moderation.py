"""drafts.answering.Answering (answer, publish with feedback notices) and drafts.moderation.Moderation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from drafts.answering import Answering
from drafts.commenting import Commenting
from drafts.errors import CommentNotFound, CommentWithdrawn, DraftNotFound, NotAllowed, ReplyRequired, ResidentBlocked
from drafts.models import Answer, AnswerStatus, CommentStatus
from drafts.moderation import Moderation
from drafts.notices import NewNotice, NoticeKind
from drafts.residents import Residents
from drafts.review import Review
from drafts.staff import AuditEntry, StaffRole
from tests.unit.fakes import (
    Clock,
    FakeDatabase,
    FixedDetector,
    add_comment,
    add_draft,
    add_resident,
    add_staff,
    refused_and_audited,
    refused_without_trace,
)

EDITOR, VIEWER, ALICE, BOB = 31, 32, 1001, 1002
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
C1, C2, C3 = 1, 2, 3  # Alice on article 1, Bob on article 2, Alice on the whole draft


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def db() -> FakeDatabase:
    database = FakeDatabase()
    await add_draft(database, NOW - timedelta(days=1), NOW + timedelta(days=30))
    for user_id in (ALICE, BOB):
        await add_resident(database, user_id, NOW)
    assert (await add_comment(database, 1, ALICE, 1, NOW)).id == C1
    assert (await add_comment(database, 1, BOB, 2, NOW)).id == C2
    assert (await add_comment(database, 1, ALICE, None, NOW)).id == C3
    await add_staff(database, EDITOR, StaffRole.EDITOR, NOW)
    await add_staff(database, VIEWER, StaffRole.VIEWER, NOW)
    return database


@pytest.fixture
def answering(db: FakeDatabase, clock: Clock) -> Answering:
    return Answering(db, clock)


@pytest.fixture
def moderation(db: FakeDatabase, clock: Clock) -> Moderation:
    return Moderation(db, clock)


async def test_answer_one_comment(answering: Answering, db: FakeDatabase):
    assert await answering.answer(EDITOR, [C1], AnswerStatus.ADOPTED, "  已采纳。 ") == 1
    assert db.committed.answers == {C1: Answer(C1, AnswerStatus.ADOPTED, "已采纳。", EDITOR, NOW, 1, None)}
    assert db.committed.audit == [
        AuditEntry(EDITOR, "answer.save", "comment", str(C1), NOW, True, "status=adopted version=1", id=1),
    ]
    assert db.committed.comments[C1].status is CommentStatus.RECEIVED  # answered only once published


async def test_answer_many_counts_duplicates_once(answering: Answering, db: FakeDatabase):
    assert await answering.answer(EDITOR, [C1, C2, C1, C2], AnswerStatus.NOTED, "已收悉。") == 2
    assert sorted(db.committed.answers) == [C1, C2]
    assert {a.reply for a in db.committed.answers.values()} == {"已收悉。"}
    assert [e.object_id for e in db.committed.audit] == [str(C1), str(C2)]


@pytest.mark.parametrize("reply", ["", "   ", "\n\t　", "字" * 2001])
async def test_a_reply_is_required_within_the_limit(answering: Answering, db: FakeDatabase, reply):
    await refused_without_trace(db, ReplyRequired, answering.answer(EDITOR, [C1], AnswerStatus.NOT_ADOPTED, reply))
    assert await answering.answer(EDITOR, [C1], AnswerStatus.NOT_ADOPTED, "字" * 2000) == 1


async def test_withdrawn_or_unknown_comments_are_refused_and_nothing_is_saved(answering, db: FakeDatabase, clock):
    await Commenting(db, clock, FixedDetector()).withdraw(BOB, C2)
    await refused_without_trace(db, CommentWithdrawn, answering.answer(EDITOR, [C1, C2], AnswerStatus.NOTED, "好"))
    await refused_without_trace(db, CommentNotFound, answering.answer(EDITOR, [C1, 99], AnswerStatus.NOTED, "好"))
    assert db.committed.answers == {}


async def test_editing_an_unpublished_answer_keeps_version_one(answering: Answering, db: FakeDatabase, clock):
    await answering.answer(EDITOR, [C1], AnswerStatus.NOTED, "初稿")
    clock.advance(hours=1)
    await answering.answer(EDITOR, [C1], AnswerStatus.PARTLY_ADOPTED, "改稿")
    assert db.committed.answers[C1] == Answer(C1, AnswerStatus.PARTLY_ADOPTED, "改稿", EDITOR, clock.now, 1, None)


async def test_editing_a_published_answer_makes_version_two(answering: Answering, db: FakeDatabase, clock):
    await answering.answer(EDITOR, [C1], AnswerStatus.NOTED, "初稿")
    await answering.publish(EDITOR, 1)
    clock.advance(hours=1)
    await answering.answer(EDITOR, [C1], AnswerStatus.ADOPTED, "改稿")
    assert db.committed.answers[C1] == Answer(C1, AnswerStatus.ADOPTED, "改稿", EDITOR, clock.now, 2, None)
    assert db.committed.audit[-1].details == "status=adopted version=2"


def feedback(comment_id: int, resident: int, version: int, at: datetime) -> NewNotice:
    return NewNotice(NoticeKind.FEEDBACK, resident, f"feedback:{comment_id}:{version}", at,
                     {"comment_id": comment_id, "answer_version": version})


async def test_publish_answers_marks_comments_and_queues_feedback(answering: Answering, db: FakeDatabase, clock):
    await answering.answer(EDITOR, [C1, C2], AnswerStatus.ADOPTED, "采纳")
    clock.advance(hours=1)
    assert await answering.publish(EDITOR, 1) == 2
    assert [db.committed.comments[i].status for i in (C1, C2, C3)] == [
        CommentStatus.ANSWERED, CommentStatus.ANSWERED, CommentStatus.RECEIVED]
    assert db.committed.comments[C1].updated_at == clock.now
    assert {a.published_at for a in db.committed.answers.values()} == {clock.now}
    assert db.committed.notices() == [feedback(C1, ALICE, 1, clock.now), feedback(C2, BOB, 1, clock.now)]
    assert db.committed.audit[-1] == AuditEntry(EDITOR, "answers.publish", "draft", "1", clock.now, True, "count=2", 3)


async def test_publish_skips_forgotten_residents_but_publishes(answering: Answering, db: FakeDatabase, clock):
    await answering.answer(EDITOR, [C1, C2], AnswerStatus.NOTED, "收悉")
    await Residents(db, clock).forget(BOB)
    assert await answering.publish(EDITOR, 1) == 2
    assert db.committed.answers[C2].published_at == NOW
    assert db.committed.comments[C2].status is CommentStatus.ANSWERED
    assert db.committed.notices() == [feedback(C1, ALICE, 1, NOW)]


async def test_a_second_publish_publishes_and_queues_nothing(answering: Answering, db: FakeDatabase, clock):
    await answering.answer(EDITOR, [C1], AnswerStatus.NOTED, "收悉")
    await answering.publish(EDITOR, 1)
    answers, outbox = dict(db.committed.answers), dict(db.committed.outbox)
    clock.advance(days=1)
    assert await answering.publish(EDITOR, 1) == 0
    assert (db.committed.answers, db.committed.outbox) == (answers, outbox)


async def test_republishing_an_edited_answer_sends_version_two(answering: Answering, db: FakeDatabase, clock):
    await answering.answer(EDITOR, [C1], AnswerStatus.NOTED, "收悉")
    await answering.publish(EDITOR, 1)
    clock.advance(days=1)
    await answering.answer(EDITOR, [C1], AnswerStatus.ADOPTED, "经研究，予以采纳")
    assert await answering.publish(EDITOR, 1) == 1
    assert db.committed.notices() == [feedback(C1, ALICE, 1, NOW), feedback(C1, ALICE, 2, clock.now)]
    assert db.committed.answers[C1].published_at == clock.now


async def test_publish_of_an_unknown_draft(answering: Answering, db: FakeDatabase):
    await refused_without_trace(db, DraftNotFound, answering.publish(EDITOR, 99))


async def test_review_counts_follow_the_answers(answering: Answering, db: FakeDatabase, clock: Clock):
    await answering.answer(EDITOR, [C1], AnswerStatus.NOTED, "收悉")
    review = await Review(db, clock).overview(VIEWER, 1)
    assert (review.total, review.unanswered, review.unpublished_answers) == (3, 2, 1)
    assert review.per_article == {1: 1, 2: 1, None: 1}


async def test_hide_and_show_again_with_a_reason(moderation: Moderation, db: FakeDatabase):
    await moderation.hide(EDITOR, C1, "  含有个人信息 ")
    assert db.committed.comments[C1].hidden_reason == "含有个人信息"
    await moderation.hide(EDITOR, C1, None)
    assert db.committed.comments[C1].hidden_reason is None
    assert [(e.action, e.object_id, e.details) for e in db.committed.audit] == [
        ("comment.hide", str(C1), "含有个人信息"), ("comment.unhide", str(C1), "")]
    await moderation.hide(EDITOR, C2, "广" * 600)
    assert db.committed.comments[C2].hidden_reason == "广" * 500


async def test_hiding_needs_a_reason_and_a_comment(moderation: Moderation, db: FakeDatabase):
    await refused_without_trace(db, ReplyRequired, moderation.hide(EDITOR, C1, "  "))
    await refused_without_trace(db, CommentNotFound, moderation.hide(EDITOR, 99, "垃圾信息"))


async def test_block_and_unblock_the_author(moderation: Moderation, db: FakeDatabase, clock: Clock):
    commenting = Commenting(db, clock, FixedDetector())
    assert await moderation.block_author(EDITOR, C1, " 辱骂他人 ") is True
    assert db.committed.residents[ALICE].blocked_reason == "辱骂他人"
    await refused_without_trace(db, ResidentBlocked, commenting.submit(ALICE, 1, 1, "又来了"))
    assert db.committed.audit[-1] == AuditEntry(EDITOR, "resident.block", "comment", str(C1), NOW, True, "辱骂他人", 1)
    assert await moderation.block_author(EDITOR, C3, None) is True
    assert db.committed.residents[ALICE].blocked_reason is None
    assert (await commenting.submit(ALICE, 1, 1, "好好说")).resident_id == ALICE
    assert db.committed.audit[-1].action == "resident.unblock"


async def test_blocking_a_forgotten_author_returns_false(moderation: Moderation, db: FakeDatabase, clock: Clock):
    await Residents(db, clock).forget(BOB)
    before = db.committed.copy()
    assert await moderation.block_author(EDITOR, C2, "广告") is False
    assert db.committed == before
    await refused_without_trace(db, CommentNotFound, moderation.block_author(EDITOR, 99, "广告"))


async def test_a_blocked_author_cannot_edit_their_comments(moderation: Moderation, db: FakeDatabase, clock):
    await moderation.block_author(EDITOR, C1, "辱骂他人")
    await refused_without_trace(db, ResidentBlocked, Commenting(db, clock, FixedDetector()).edit(ALICE, C1, "更多辱骂"))


VIEWER_REFUSED = {
    "answer": (lambda a, m: a.answer(VIEWER, [C1], AnswerStatus.NOTED, "收悉"), "answer.save", "comment"),
    "publish": (lambda a, m: a.publish(VIEWER, 1), "answers.publish", "draft"),
    "hide": (lambda a, m: m.hide(VIEWER, C1, "广告"), "comment.hide", "comment"),
    "unhide": (lambda a, m: m.hide(VIEWER, C1, None), "comment.unhide", "comment"),
    "block": (lambda a, m: m.block_author(VIEWER, C1, "广告"), "resident.block", "comment"),
    "unblock": (lambda a, m: m.block_author(VIEWER, C1, None), "resident.unblock", "comment"),
}


@pytest.mark.parametrize("name", VIEWER_REFUSED)
async def test_a_viewer_is_refused_and_audited(answering, moderation, db: FakeDatabase, name):
    call, action, object_type = VIEWER_REFUSED[name]
    row = await refused_and_audited(db, NotAllowed, call(answering, moderation))
    assert (row.actor_id, row.action, row.object_type, row.allowed, row.at) == (VIEWER, action, object_type, False, NOW)


@pytest.mark.parametrize("name", ["answer", "publish", "hide", "unhide", "block", "unblock"])
async def test_a_refused_action_names_its_object(answering, moderation, db: FakeDatabase, name):
    row = await refused_and_audited(db, NotAllowed, VIEWER_REFUSED[name][0](answering, moderation))
    assert row.object_id == ("1" if name == "publish" else str(C1))

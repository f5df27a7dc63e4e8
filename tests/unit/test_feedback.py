"""drafts.feedback.Feedback: the feedback notice's view, the resident's rating and follow-up."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from drafts.answering import Answering
from drafts.commenting import Commenting
from drafts.errors import CommentNotFound, NotYourComment
from drafts.feedback import RATING_WINDOW, Feedback, FeedbackView, NoAnswerYet, RatingClosed
from drafts.models import AnswerStatus, CommentStatus, Rating, RatingRecord
from drafts.residents import Residents
from drafts.staff import StaffRole
from tests.unit.fakes import (
    Clock,
    FakeDatabase,
    FixedDetector,
    add_comment,
    add_draft,
    add_resident,
    add_staff,
    refused_without_trace,
)

EDITOR, ALICE, BOB = 31, 1001, 1002
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
C1, C2, C3 = 1, 2, 3  # Alice's and Bob's comments are answered and published; Alice's C3 is not answered


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def db(clock: Clock) -> FakeDatabase:
    database = FakeDatabase()
    await add_draft(database, NOW - timedelta(days=1), NOW + timedelta(days=30))
    await add_staff(database, EDITOR, StaffRole.EDITOR, NOW)
    for user_id in (ALICE, BOB):
        await add_resident(database, user_id, NOW)
    for user_id in (ALICE, BOB, ALICE):
        await add_comment(database, 1, user_id, 1, NOW)
    await Residents(database, clock).choose_language(ALICE, "en")
    answering = Answering(database, clock)
    await answering.answer(EDITOR, [C1, C2], AnswerStatus.ADOPTED, "已采纳。")
    await answering.publish(EDITOR, 1)
    return database


@pytest.fixture
def feedback(db: FakeDatabase, clock: Clock) -> Feedback:
    return Feedback(db, clock)


async def test_view_of_the_current_published_answer(feedback: Feedback, db: FakeDatabase):
    view = await feedback.view(C1, 1)
    assert view == FeedbackView(db.committed.comments[C1], db.committed.answers[C1], db.committed.drafts[1].title, "en")
    assert view.answer.published_at == NOW and view.answer.reply == "已采纳。"
    assert (await feedback.view(C2, 1)).language is None  # Bob chose no language


async def test_a_superseded_version_has_nothing_to_send(feedback: Feedback, db: FakeDatabase, clock: Clock):
    clock.advance(hours=1)
    answering = Answering(db, clock)
    await answering.answer(EDITOR, [C1], AnswerStatus.NOTED, "改稿")
    assert await feedback.view(C1, 1) is None  # edited: version 2, not yet published
    assert await feedback.view(C1, 2) is None
    await answering.publish(EDITOR, 1)
    assert await feedback.view(C1, 1) is None
    assert (await feedback.view(C1, 2)).answer.reply == "改稿"


async def test_nothing_to_send_without_a_published_answer_comment_or_resident(feedback: Feedback, db, clock):
    await Answering(db, clock).answer(EDITOR, [C3], AnswerStatus.NOTED, "收悉")
    assert await feedback.view(C3, 1) is None  # saved, unpublished
    assert await feedback.view(99, 1) is None
    await Residents(db, clock).forget(BOB)
    assert await feedback.view(C2, 1) is None


async def test_a_comment_withdrawn_after_publication_gets_no_notice(feedback: Feedback, db, clock: Clock):
    await Commenting(db, clock, FixedDetector()).withdraw(ALICE, C1)
    assert db.committed.comments[C1].status is CommentStatus.WITHDRAWN
    assert await feedback.view(C1, 1) is None


async def test_the_author_rates_the_answer(feedback: Feedback, db: FakeDatabase, clock: Clock):
    clock.advance(days=1)
    record = await feedback.rate(ALICE, C1, Rating.SATISFIED)
    assert record == RatingRecord(C1, Rating.SATISFIED, clock.now, None)
    assert db.committed.ratings == {C1: record}


async def test_only_the_author_may_rate(feedback: Feedback, db: FakeDatabase, clock: Clock):
    await refused_without_trace(db, NotYourComment, feedback.rate(BOB, C1, Rating.SATISFIED))
    await refused_without_trace(db, CommentNotFound, feedback.rate(ALICE, 99, Rating.SATISFIED))
    await Residents(db, clock).forget(BOB)
    await refused_without_trace(db, NotYourComment, feedback.rate(BOB, C2, Rating.SATISFIED))


async def test_no_rating_before_publication(feedback: Feedback, db: FakeDatabase, clock: Clock):
    await refused_without_trace(db, NoAnswerYet, feedback.rate(ALICE, C3, Rating.SATISFIED))  # no answer
    await Answering(db, clock).answer(EDITOR, [C3], AnswerStatus.NOTED, "收悉")
    await refused_without_trace(db, NoAnswerYet, feedback.rate(ALICE, C3, Rating.SATISFIED))  # unpublished


async def test_the_rating_can_be_changed_for_seven_days(feedback: Feedback, db: FakeDatabase, clock: Clock):
    assert RATING_WINDOW == timedelta(days=7)
    await feedback.rate(ALICE, C1, Rating.SATISFIED)
    clock.now = NOW + timedelta(days=7)
    changed = await feedback.rate(ALICE, C1, Rating.BASICALLY_SATISFIED)
    assert db.committed.ratings[C1] == changed == RatingRecord(C1, Rating.BASICALLY_SATISFIED, clock.now)
    clock.advance(seconds=1)
    await refused_without_trace(db, RatingClosed, feedback.rate(ALICE, C1, Rating.NOT_SATISFIED))
    await refused_without_trace(db, RatingClosed, feedback.rate(BOB, C2, Rating.SATISFIED))
    assert db.committed.ratings == {C1: changed}


async def test_a_follow_up_to_not_satisfied_is_stripped_and_cut(feedback: Feedback, db: FakeDatabase, clock):
    rated = await feedback.rate(ALICE, C1, Rating.NOT_SATISFIED)
    clock.advance(minutes=5)
    record = await feedback.follow_up(ALICE, C1, "  答复没有回应噪声问题。\n ")
    assert record == RatingRecord(C1, Rating.NOT_SATISFIED, rated.rated_at, "答复没有回应噪声问题。")
    assert db.committed.ratings[C1] == record
    await feedback.follow_up(ALICE, C1, "  " + "字" * 1200)
    assert db.committed.ratings[C1].follow_up == "字" * 1000


async def test_a_follow_up_needs_a_not_satisfied_rating_text_and_the_author(feedback: Feedback, db: FakeDatabase):
    await refused_without_trace(db, NoAnswerYet, feedback.follow_up(ALICE, C1, "不满意"))  # not rated
    await feedback.rate(ALICE, C1, Rating.BASICALLY_SATISFIED)
    await refused_without_trace(db, NoAnswerYet, feedback.follow_up(ALICE, C1, "不满意"))
    await feedback.rate(ALICE, C1, Rating.NOT_SATISFIED)
    await refused_without_trace(db, NoAnswerYet, feedback.follow_up(ALICE, C1, " \n\t "))
    await refused_without_trace(db, NotYourComment, feedback.follow_up(BOB, C1, "不满意"))
    assert db.committed.ratings[C1].follow_up is None


async def test_changing_the_rating_away_from_not_satisfied_drops_the_follow_up(feedback: Feedback, db, clock):
    await feedback.rate(ALICE, C1, Rating.NOT_SATISFIED)
    await feedback.follow_up(ALICE, C1, "请再研究")
    clock.advance(hours=1)
    again = await feedback.rate(ALICE, C1, Rating.NOT_SATISFIED)
    assert again == RatingRecord(C1, Rating.NOT_SATISFIED, clock.now, "请再研究")  # unchanged rating keeps it
    await feedback.rate(ALICE, C1, Rating.SATISFIED)
    assert db.committed.ratings[C1] == RatingRecord(C1, Rating.SATISFIED, clock.now, None)
    await feedback.rate(ALICE, C1, Rating.NOT_SATISFIED)
    assert db.committed.ratings[C1].follow_up is None  # dropped for good

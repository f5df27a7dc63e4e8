"""Residents' language hint, reachability, subscription and export; readers; ratings seen by staff."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from drafts.errors import NotAllowed, PrivacyNotAccepted
from drafts.models import Rating, RatingRecord
from drafts.notices import NewNotice, NoticeKind
from drafts.reading import Reading
from drafts.residents import Residents
from drafts.review import Review
from drafts.staff import StaffRole
from drafts.statistics import Statistics
from tests.unit.fakes import (
    Clock,
    FakeDatabase,
    add_comment,
    add_draft,
    add_rating,
    add_resident,
    add_staff,
    refused_and_audited,
    refused_without_trace,
    settle_notice,
)

VIEWER, ALICE, BOB, CAROL = 32, 2001, 2002, 2003
NOW = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def db() -> FakeDatabase:
    database = FakeDatabase()
    await add_draft(database, NOW - timedelta(days=1), NOW + timedelta(days=30))
    await add_draft(database, NOW - timedelta(days=1), NOW + timedelta(days=30))
    await add_staff(database, VIEWER, StaffRole.VIEWER, NOW)
    return database


@pytest.fixture
def residents(db: FakeDatabase, clock: Clock) -> Residents:
    return Residents(db, clock)


@pytest.mark.parametrize("hint, kept", [("en", "en"), ("zh", "zh"), ("fr", None), ("EN", None), (None, None)])
async def test_accept_privacy_keeps_a_supported_language_hint(residents: Residents, db: FakeDatabase, hint, kept):
    accepted = await residents.accept_privacy(ALICE, hint)
    assert accepted.language == kept and accepted.privacy_accepted_at == NOW
    assert db.committed.residents[ALICE] == accepted


async def test_a_chosen_language_wins_over_the_hint(residents: Residents, db: FakeDatabase, clock: Clock):
    await residents.choose_language(ALICE, "zh")
    assert (await residents.accept_privacy(ALICE, "en")).language == "zh"
    await residents.accept_privacy(BOB, "en")
    await residents.choose_language(BOB, "zh")
    clock.advance(days=1)
    again = await residents.accept_privacy(BOB, "en")  # consent given before: nothing changes
    assert (again.language, again.privacy_accepted_at) == ("zh", NOW)
    assert db.committed.residents[BOB] == again


async def test_reachable_again_clears_unreachable_at(residents: Residents, db: FakeDatabase):
    resident = await add_resident(db, ALICE, NOW)
    db.committed.residents[ALICE] = replace(resident, unreachable_at=NOW + timedelta(hours=1))
    await residents.reachable_again(ALICE)
    assert db.committed.residents[ALICE] == resident
    commits = db.commits
    await residents.reachable_again(ALICE)  # already reachable
    await residents.reachable_again(BOB)  # unknown
    assert (db.commits, sorted(db.committed.residents)) == (commits, [ALICE])


async def test_set_subscribed_needs_consent(residents: Residents, db: FakeDatabase):
    await refused_without_trace(db, PrivacyNotAccepted, residents.set_subscribed(ALICE, True))
    await residents.choose_language(ALICE, "en")
    await refused_without_trace(db, PrivacyNotAccepted, residents.set_subscribed(ALICE, True))
    await residents.accept_privacy(ALICE)
    assert (await residents.set_subscribed(ALICE, True)).subscribed is True
    async with db.read() as uow:
        assert await uow.residents.subscribers() == [ALICE]
    assert (await residents.set_subscribed(ALICE, False)).subscribed is False
    assert db.committed.residents[ALICE].subscribed is False


async def test_note_reader_records_consenting_residents_once(db: FakeDatabase, clock: Clock):
    reading = Reading(db, clock)
    await reading.note_reader(None, 1)
    await reading.note_reader(await add_resident(db, BOB, None), 1)  # no consent
    assert db.committed.readers == {}
    alice = await add_resident(db, ALICE, NOW)
    await reading.note_reader(alice, 1)
    clock.advance(hours=2)
    await reading.note_reader(alice, 1)
    await reading.note_reader(alice, 2)
    assert db.committed.readers == {(1, ALICE): NOW, (2, ALICE): clock.now}
    async with db.read() as uow:
        assert (await uow.residents.readers(1), await uow.residents.readers(2)) == ([ALICE], [ALICE])


async def test_export_names_drafts_opened_and_ratings(residents: Residents, db: FakeDatabase, clock: Clock):
    alice = await add_resident(db, ALICE, NOW, subscribed=True)
    await Reading(db, clock).note_reader(alice, 2)
    rated, _ = [await add_comment(db, 1, ALICE, 1, NOW) for _ in range(2)]
    await add_rating(db, rated.id, Rating.NOT_SATISFIED, NOW + timedelta(days=1), "请再研究")
    data = await residents.export(ALICE)
    assert (data["drafts_opened"], data["subscribed_to_new_drafts"]) == ([2], True)
    assert [c["rating_of_the_answer"] for c in data["comments"]] == [
        None, {"rating": "not_satisfied", "rated_at": (NOW + timedelta(days=1)).isoformat(), "follow_up": "请再研究"}]


async def test_satisfaction_counts_ratings_by_value(db: FakeDatabase, clock: Clock):
    statistics = Statistics(db, clock)
    assert (await statistics.of_draft(VIEWER, 1)).satisfaction == {}
    for rating in (Rating.SATISFIED, Rating.NOT_SATISFIED, Rating.SATISFIED, Rating.BASICALLY_SATISFIED):
        comment = await add_comment(db, 1, ALICE, None, NOW)
        await add_rating(db, comment.id, rating, NOW)
    other = await add_comment(db, 2, ALICE, None, NOW)
    await add_rating(db, other.id, Rating.NOT_SATISFIED, NOW)
    assert (await statistics.of_draft(VIEWER, 1)).satisfaction == {
        "satisfied": 2, "not_satisfied": 1, "basically_satisfied": 1}
    assert (await statistics.of_draft(VIEWER, 2)).satisfaction == {"not_satisfied": 1}


async def test_review_of_a_comment_exposes_its_rating(db: FakeDatabase, clock: Clock):
    rated, unrated = [await add_comment(db, 1, ALICE, 1, NOW) for _ in range(2)]
    record = await add_rating(db, rated.id, Rating.NOT_SATISFIED, NOW, "答复太笼统")
    review = Review(db, clock)
    assert (await review.comment(VIEWER, rated.id)).rating == record == RatingRecord(
        rated.id, Rating.NOT_SATISFIED, NOW, "答复太笼统")
    assert (await review.comment(VIEWER, unrated.id)).rating is None


async def test_failed_notices_are_counted_for_staff(db: FakeDatabase, clock: Clock):
    review = Review(db, clock)
    assert await review.failed_notices(VIEWER) == 0
    async with db.write() as uow:
        for user_id in (ALICE, BOB, CAROL):
            await uow.outbox.add(NewNotice(NoticeKind.REMINDER, user_id, f"reminder:1:{user_id}", NOW))
        await uow.commit()
    settle_notice(db, f"reminder:1:{ALICE}", "failed")
    settle_notice(db, f"reminder:1:{BOB}", "unreachable")
    assert await review.failed_notices(VIEWER) == 1
    settle_notice(db, f"reminder:1:{CAROL}", "failed")
    assert await review.failed_notices(VIEWER) == 2


async def test_failed_notices_are_refused_to_residents(db: FakeDatabase, clock: Clock):
    row = await refused_and_audited(db, NotAllowed, Review(db, clock).failed_notices(ALICE))
    assert (row.actor_id, row.action, row.object_type, row.object_id, row.at, row.allowed) == (
        ALICE, "notices.failed", "outbox", None, NOW, False)

"""drafts.residents.Residents (consent, language, export, erasure) and drafts.reading.Reading (lists, search)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from drafts.bundled import BUNDLED
from drafts.commenting import Commenting
from drafts.errors import ArticleNotFound, DraftNotFound
from drafts.models import CommentStatus, DraftStatus
from drafts.reading import Reading
from drafts.residents import Residents
from tests.unit.fakes import Clock, FakeDatabase, FixedDetector, add_draft

ALICE, BOB = 2001, 2002

ENGLISH_DRAFT = """Changzhi Test Regulations（草案）

第一条　Noise from Construction sites is limited at night.
第二条　Residents may report NOISE to the district office.
第三条　Parks close at ten in the evening.
"""


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc))


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def residents(db: FakeDatabase, clock: Clock) -> Residents:
    return Residents(db, clock)


@pytest.fixture
def reading(db: FakeDatabase, clock: Clock) -> Reading:
    return Reading(db, clock)


async def open_draft(db: FakeDatabase, clock: Clock, source: str | None = None, **kwargs):
    start, end = clock.now - timedelta(days=1), clock.now + timedelta(days=kwargs.pop("days", 30))
    return await add_draft(db, start, end, **({"source": source} if source else {}), **kwargs)


async def test_accept_privacy_is_idempotent(residents: Residents, db: FakeDatabase, clock: Clock):
    first_seen = clock.now
    accepted = await residents.accept_privacy(ALICE)
    assert accepted.privacy_accepted_at == first_seen and accepted.created_at == first_seen
    clock.advance(days=3)
    again = await residents.accept_privacy(ALICE)
    assert again.privacy_accepted_at == first_seen
    assert db.committed.residents[ALICE].privacy_accepted_at == first_seen
    assert await residents.get(ALICE) == accepted


async def test_choose_language(residents: Residents, db: FakeDatabase, clock: Clock):
    await residents.accept_privacy(ALICE)
    chosen = await residents.choose_language(ALICE, "en")
    assert chosen.language == "en" and chosen.privacy_accepted_at == clock.now
    assert db.committed.residents[ALICE].language == "en"
    assert (await residents.choose_language(ALICE, "zh")).language == "zh"


@pytest.mark.parametrize("code", ["fr", "EN", "", "zh-TW", "english"])
async def test_choose_language_rejects_unsupported_codes(residents: Residents, db: FakeDatabase, code):
    await residents.accept_privacy(ALICE)
    before = db.committed.copy()
    with pytest.raises(ValueError):
        await residents.choose_language(ALICE, code)
    assert db.committed == before


async def test_choose_language_before_consent_stores_only_the_language(residents: Residents, db: FakeDatabase):
    # A resident may need English to read the privacy notice itself, so the choice is kept
    # (the notice says so), but it is not taken as consent.
    await residents.choose_language(ALICE, "en")
    [resident] = db.committed.residents.values()
    assert resident.language == "en" and resident.privacy_accepted_at is None


async def two_residents_commenting(db: FakeDatabase, clock: Clock, residents: Residents) -> Commenting:
    await open_draft(db, clock)
    await residents.accept_privacy(ALICE)
    await residents.accept_privacy(BOB)
    commenting = Commenting(db, clock, FixedDetector("zh"))
    for i in range(3):
        await commenting.submit(ALICE, 1, i + 1, f"Alice 意见 {i}", signed_name="Alice" if i == 0 else None)
    await commenting.submit(BOB, 1, None, "Bob 的意见", signed_name="Bob")
    return commenting


async def test_export_contains_all_and_only_the_residents_comments(residents: Residents, db: FakeDatabase, clock):
    commenting = await two_residents_commenting(db, clock, residents)
    await commenting.withdraw(ALICE, 2)
    await residents.choose_language(ALICE, "en")
    data = await residents.export(ALICE)
    assert data["telegram_user_id"] == ALICE
    assert data["language"] == "en"
    assert data["privacy_accepted_at"] == data["first_seen_at"] == clock.now.isoformat()
    comments = data["comments"]
    assert sorted(c["text"] for c in comments) == ["Alice 意见 0", "Alice 意见 1", "Alice 意见 2"]
    assert {c["tracking_number"] for c in comments} == {"YJ-2026-000001", "YJ-2026-000002", "YJ-2026-000003"}
    assert [c["status"] for c in comments if c["article"] == 2] == [CommentStatus.WITHDRAWN.value]
    assert [c["signed_name"] for c in comments if c["article"] == 1] == ["Alice"]
    assert all(c["draft_id"] == 1 and c["language"] == "zh" for c in comments)
    assert "Bob" not in repr(data)


async def test_export_of_a_stranger_is_empty(residents: Residents):
    assert await residents.export(BOB) == {
        "telegram_user_id": BOB, "language": None, "privacy_accepted_at": None, "first_seen_at": None, "comments": [],
        "subscribed_to_new_drafts": False, "blocked": False, "drafts_opened": [],
    }


async def test_forget_anonymises_comments_and_deletes_the_resident(residents: Residents, db: FakeDatabase, clock):
    await two_residents_commenting(db, clock, residents)
    assert await residents.forget(ALICE) == 3
    assert await residents.get(ALICE) is None
    alices = [c for c in db.committed.comments.values() if c.text.startswith("Alice")]
    assert len(alices) == 3
    assert all(c.resident_id is None and c.signed_name is None for c in alices)
    bobs = [c for c in db.committed.comments.values() if c.text.startswith("Bob")]
    assert [(c.resident_id, c.signed_name) for c in bobs] == [(BOB, "Bob")]
    assert (await residents.export(ALICE))["comments"] == []
    assert await residents.forget(ALICE) == 0


async def test_open_drafts_lists_open_ones_with_live_comment_counts(reading: Reading, residents, db, clock):
    commenting = await two_residents_commenting(db, clock, residents)
    await commenting.withdraw(ALICE, 1)
    await open_draft(db, clock, days=5)
    await open_draft(db, clock, status=DraftStatus.CLOSED)
    await add_draft(db, clock.now + timedelta(days=1), clock.now + timedelta(days=9))
    await add_draft(db, clock.now - timedelta(days=9), clock.now)
    overview = await reading.open_drafts()
    assert [(o.id, o.comment_count) for o in overview] == [(2, 0), (1, 3)]
    draft, count = await reading.draft_with_count(1)
    assert (draft.id, count) == (1, 3)
    assert reading.is_open(draft) and not reading.is_open(await reading.draft(3))


async def test_draft_and_article_lookups(reading: Reading, db: FakeDatabase, clock: Clock):
    await open_draft(db, clock)
    draft, article = await reading.article(1, 2)
    assert (draft.id, article.number, article.label) == (1, 2, "第二条")
    with pytest.raises(ArticleNotFound):
        await reading.article(1, 4)
    with pytest.raises(DraftNotFound):
        await reading.draft(7)
    with pytest.raises(DraftNotFound):
        await reading.draft_with_count(7)


async def test_search_every_word_must_match_case_insensitively(reading: Reading, db: FakeDatabase, clock: Clock):
    await open_draft(db, clock, ENGLISH_DRAFT)
    hits, total = await reading.search("noise")
    assert total == 2 and [h.article.number for h in hits] == [1, 2]
    hits, total = await reading.search("  NOISE   construction ")
    assert total == 1 and hits[0].article.number == 1
    assert hits[0].draft_title == "Changzhi Test Regulations（草案）"
    assert hits[0].snippet == "Noise from Construction sites is li…"
    hits, _ = await reading.search("report")
    assert hits[0].snippet == "Residents may report NOISE to the district office."
    assert await reading.search("noise parks") == ([], 0)
    assert await reading.search("   ") == ([], 0)


async def test_search_only_open_drafts(reading: Reading, db: FakeDatabase, clock: Clock):
    await open_draft(db, clock, ENGLISH_DRAFT, status=DraftStatus.CLOSED)
    await add_draft(db, clock.now - timedelta(days=9), clock.now, source=ENGLISH_DRAFT)
    await add_draft(db, clock.now + timedelta(seconds=1), clock.now + timedelta(days=9), source=ENGLISH_DRAFT)
    assert await reading.search("noise") == ([], 0)
    await open_draft(db, clock, ENGLISH_DRAFT)
    hits, total = await reading.search("noise")
    assert total == 2 and {h.draft_id for h in hits} == {4}


async def test_search_snippet_limit_and_total(reading: Reading, db: FakeDatabase, clock: Clock):
    for bundled in BUNDLED:
        await open_draft(db, clock, bundled.source)
    hits, total = await reading.search("人民政府", limit=5)
    assert len(hits) == 5 and total > 5
    everything, same_total = await reading.search("人民政府", limit=1000)
    assert same_total == total == len(everything)
    assert hits == everything[:5]
    assert {h.draft_id for h in everything} == {1, 2, 3}
    for hit in everything:
        assert "人民政府" in hit.snippet and "\n" not in hit.snippet
        assert len(hit.snippet) <= 30 + len("人民政府") + 30 + 2
    long_hits = [h for h in everything if len(h.article.text) > 100]
    assert long_hits and all(h.snippet.startswith("…") or h.snippet.endswith("…") for h in long_hits)

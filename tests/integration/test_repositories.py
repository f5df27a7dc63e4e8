"""The SQL repositories behind drafts.ports, used through SqlDatabase's units of work."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError

from drafts.bundled import BUNDLED, seed_bundled_drafts
from drafts.models import Comment, CommentStatus, DraftStatus, Resident
from drafts.parser import parse_document
from storage.database import SqlDatabase
from storage.tables import CommentRow, DraftRow
from tests.integration.helpers import NOW, SHANGHAI, TINY_SOURCE, new_comment, new_draft


async def _add_draft(db: SqlDatabase, **kwargs: object) -> int:
    async with db.write() as uow:
        draft = await uow.drafts.add(new_draft(**kwargs))  # type: ignore[arg-type]
        await uow.commit()
    return draft.id


async def _add_comment(db: SqlDatabase, draft_id: int, resident_id: int, number: int, **kwargs: object) -> Comment:
    async with db.write() as uow:
        comment = await uow.comments.add(
            new_comment(draft_id, resident_id, **kwargs),  # type: ignore[arg-type]
            f"YJ-2026-{number:06d}",
        )
        await uow.commit()
    return comment


async def _reread(db: SqlDatabase, comment_id: int) -> Comment:
    async with db.read() as uow:
        comment = await uow.comments.get(comment_id)
    assert comment is not None
    return comment


# --- drafts ----------------------------------------------------------------------------------


async def test_seed_bundled_drafts_loads_three_drafts_once(db: SqlDatabase) -> None:
    assert await seed_bundled_drafts(db, NOW, days=30) == 3
    assert await seed_bundled_drafts(db, NOW, days=30) == 0

    async with db.read() as uow:
        assert await uow.drafts.count() == 3
        drafts = await uow.drafts.open_drafts(NOW)
    assert [d.title for d in drafts] == [parse_document(b.source).title for b in BUNDLED]
    assert [d.summary for d in drafts] == [b.summary for b in BUNDLED]


async def test_get_returns_the_draft_with_its_parsed_document(db: SqlDatabase) -> None:
    await seed_bundled_drafts(db, NOW, days=30)
    async with db.read() as uow:
        ids = [d.id for d in await uow.drafts.open_drafts(NOW)]
        drafts = [await uow.drafts.get(draft_id) for draft_id in ids]

    for bundled, draft in zip(BUNDLED, drafts, strict=True):
        assert draft is not None
        assert draft.document == parse_document(bundled.source)
        assert len(draft.document.articles) > 10
        assert draft.note == bundled.note
        assert draft.status is DraftStatus.OPEN
        assert draft.opens_at == NOW
        assert draft.closes_at == NOW + timedelta(days=30)


async def test_get_of_an_unknown_draft_is_none(db: SqlDatabase) -> None:
    async with db.read() as uow:
        assert await uow.drafts.get(999) is None


async def test_list_open_respects_dates_and_status(db: SqlDatabase) -> None:
    later = await _add_draft(db, title="晚截止", closes_at=NOW + timedelta(days=20))
    sooner = await _add_draft(db, title="早截止", closes_at=NOW + timedelta(days=5))
    opens_now = await _add_draft(db, title="刚开始", opens_at=NOW, closes_at=NOW + timedelta(days=20))
    await _add_draft(db, title="已关闭", status=DraftStatus.CLOSED)
    await _add_draft(db, title="已归档", status=DraftStatus.ARCHIVED)
    await _add_draft(db, title="未开始", opens_at=NOW + timedelta(microseconds=1))
    await _add_draft(db, title="刚截止", closes_at=NOW)  # closes_at is exclusive

    async with db.read() as uow:
        overviews = await uow.drafts.list_open(NOW)
        open_drafts = await uow.drafts.open_drafts(NOW)

    # Soonest deadline first; equal deadlines by id.
    assert [(o.id, o.title) for o in overviews] == [(sooner, "早截止"), (later, "晚截止"), (opens_now, "刚开始")]
    assert overviews[0].closes_at == NOW + timedelta(days=5)
    assert overviews[0].summary == "摘要"
    assert [d.id for d in open_drafts] == [later, sooner, opens_now]


async def test_list_open_accepts_a_non_utc_now(db: SqlDatabase) -> None:
    draft_id = await _add_draft(db, opens_at=NOW, closes_at=NOW + timedelta(hours=1))

    async with db.read() as uow:
        # 17:30 in Shanghai is 09:30 UTC: open. Compared as local wall time it would not be.
        assert [o.id for o in await uow.drafts.list_open(NOW.astimezone(SHANGHAI))] == [draft_id]
        assert await uow.drafts.list_open((NOW + timedelta(hours=1)).astimezone(SHANGHAI)) == []


async def test_list_open_counts_comments_except_withdrawn(db: SqlDatabase) -> None:
    busy = await _add_draft(db, title="热门")
    quiet = await _add_draft(db, title="冷门")
    for number in (1, 2, 3):
        await _add_comment(db, busy, resident_id=100 + number, number=number)
    withdrawn = await _add_comment(db, busy, resident_id=200, number=4)
    async with db.write() as uow:
        await uow.comments.set_status(withdrawn.id, CommentStatus.WITHDRAWN, NOW)
        await uow.commit()

    async with db.read() as uow:
        counts = {o.id: o.comment_count for o in await uow.drafts.list_open(NOW)}
        assert await uow.comments.count_by_draft(busy) == 3
        assert await uow.comments.count_by_draft(quiet) == 0
    assert counts == {busy: 3, quiet: 0}


# --- comments --------------------------------------------------------------------------------


async def test_add_then_get_and_get_by_tracking_number(db: SqlDatabase) -> None:
    draft_id = await _add_draft(db)
    added = await _add_comment(db, draft_id, 7, 1, text="第一条太笼统。", signed_name="王芳", article_number=1)

    async with db.read() as uow:
        by_id = await uow.comments.get(added.id)
        by_number = await uow.comments.get_by_tracking_number("YJ-2026-000001")
        assert await uow.comments.get(added.id + 1) is None
        assert await uow.comments.get_by_tracking_number("YJ-2026-000002") is None

    expected = Comment(
        added.id, "YJ-2026-000001", draft_id, 1, 7, "第一条太笼统。", "zh", "王芳",
        CommentStatus.RECEIVED, NOW, NOW,
    )
    assert by_id == expected
    assert by_number == expected
    assert added == expected


async def test_a_comment_on_the_whole_draft_has_no_article(db: SqlDatabase) -> None:
    draft_id = await _add_draft(db)
    added = await _add_comment(db, draft_id, 7, 1, article_number=None)
    assert (await _reread(db, added.id)).article_number is None


async def test_a_tracking_number_is_unique(db: SqlDatabase) -> None:
    draft_id = await _add_draft(db)
    await _add_comment(db, draft_id, 7, 1)
    with pytest.raises(IntegrityError):
        await _add_comment(db, draft_id, 8, 1)


async def test_a_comment_needs_an_existing_draft(db: SqlDatabase) -> None:
    # PRAGMA foreign_keys=ON is set on every SQLite connection.
    with pytest.raises(IntegrityError):
        await _add_comment(db, 999, 7, 1)


async def test_update_text_changes_text_language_and_updated_at(db: SqlDatabase) -> None:
    draft_id = await _add_draft(db)
    added = await _add_comment(db, draft_id, 7, 1)
    later = NOW + timedelta(hours=2, microseconds=7)

    async with db.write() as uow:
        await uow.comments.update_text(added.id, "Please extend the deadline.", "en", later)
        await uow.commit()

    updated = await _reread(db, added.id)
    assert (updated.text, updated.language, updated.updated_at) == ("Please extend the deadline.", "en", later)
    assert updated.created_at == NOW
    assert updated.status is CommentStatus.RECEIVED


async def test_get_in_the_same_unit_of_work_sees_an_update(db: SqlDatabase) -> None:
    # Commenting.edit updates and then re-reads in one transaction.
    draft_id = await _add_draft(db)
    added = await _add_comment(db, draft_id, 7, 1)
    async with db.write() as uow:
        before = await uow.comments.get(added.id)
        await uow.comments.update_text(added.id, "改过的意见", None, NOW + timedelta(minutes=1))
        after = await uow.comments.get(added.id)
    assert before is not None and before.text == "建议增加公示期。"
    assert after is not None and (after.text, after.language) == ("改过的意见", None)


async def test_set_status(db: SqlDatabase) -> None:
    draft_id = await _add_draft(db)
    added = await _add_comment(db, draft_id, 7, 1)
    later = NOW + timedelta(days=1)

    async with db.write() as uow:
        await uow.comments.set_status(added.id, CommentStatus.ANSWERED, later)
        await uow.commit()

    answered = await _reread(db, added.id)
    assert (answered.status, answered.updated_at, answered.created_at) == (CommentStatus.ANSWERED, later, NOW)


async def test_list_by_resident_is_newest_first_with_offset_and_limit(db: SqlDatabase) -> None:
    draft_id = await _add_draft(db)
    mine = [await _add_comment(db, draft_id, 7, n, text=f"意见{n}") for n in range(1, 6)]
    await _add_comment(db, draft_id, 8, 6, text="别人的意见")

    async with db.read() as uow:
        first_page = await uow.comments.list_by_resident(7, 0, 2)
        second_page = await uow.comments.list_by_resident(7, 2, 2)
        last_page = await uow.comments.list_by_resident(7, 4, 2)
        beyond = await uow.comments.list_by_resident(7, 5, 2)
        assert await uow.comments.count_by_resident(7) == 5
        assert await uow.comments.count_by_resident(8) == 1
        assert await uow.comments.count_by_resident(9) == 0

    assert [c.text for c in first_page] == ["意见5", "意见4"]
    assert [c.text for c in second_page] == ["意见3", "意见2"]
    assert [c.text for c in last_page] == ["意见1"]
    assert beyond == []
    assert [c.id for c in first_page + second_page + last_page] == [c.id for c in reversed(mine)]


async def test_count_by_resident_includes_withdrawn_comments(db: SqlDatabase) -> None:
    # The resident's own list shows withdrawn comments too; only the public count hides them.
    draft_id = await _add_draft(db)
    added = await _add_comment(db, draft_id, 7, 1)
    async with db.write() as uow:
        await uow.comments.set_status(added.id, CommentStatus.WITHDRAWN, NOW)
        await uow.commit()
    async with db.read() as uow:
        assert await uow.comments.count_by_resident(7) == 1
        assert await uow.comments.count_by_draft(draft_id) == 0
        assert [c.status for c in await uow.comments.list_by_resident(7, 0, 10)] == [CommentStatus.WITHDRAWN]


async def test_anonymise_resident_detaches_only_their_comments(db: SqlDatabase) -> None:
    draft_id = await _add_draft(db)
    signed = await _add_comment(db, draft_id, 7, 1, signed_name="王芳")
    unsigned = await _add_comment(db, draft_id, 7, 2)
    other = await _add_comment(db, draft_id, 8, 3, signed_name="李华")

    async with db.write() as uow:
        assert await uow.comments.anonymise_resident(7) == 2
        await uow.commit()

    for kept in (await _reread(db, signed.id), await _reread(db, unsigned.id)):
        assert (kept.resident_id, kept.signed_name) == (None, None)
        assert kept.text == "建议增加公示期。"
        assert kept.tracking_number.startswith("YJ-2026-")
    assert await _reread(db, other.id) == other
    async with db.read() as uow:
        assert await uow.comments.count_by_resident(7) == 0
        assert await uow.comments.count_by_draft(draft_id) == 3
        assert await uow.comments.anonymise_resident(7) == 0


async def test_next_sequence_counts_per_year(db: SqlDatabase) -> None:
    async with db.write() as uow:
        numbers = [await uow.comments.next_sequence(2026) for _ in range(3)]
        numbers.append(await uow.comments.next_sequence(2027))
        await uow.commit()
    async with db.write() as uow:
        numbers.append(await uow.comments.next_sequence(2026))
        # Not committed: the number is handed out again next time.
    async with db.write() as uow:
        numbers.append(await uow.comments.next_sequence(2026))
        await uow.commit()
    assert numbers == [1, 2, 3, 1, 4, 4]


# --- datetimes -------------------------------------------------------------------------------


async def test_datetimes_come_back_as_equal_aware_utc(db: SqlDatabase) -> None:
    local = datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=SHANGHAI)  # 15:59:59.999999 UTC
    draft_id = await _add_draft(db, opens_at=local - timedelta(days=1), closes_at=local + timedelta(days=1))
    added = await _add_comment(db, draft_id, 7, 1, created_at=local)
    async with db.write() as uow:
        await uow.residents.save(Resident(7, "zh", privacy_accepted_at=local, created_at=local))
        await uow.commit()

    async with db.read() as uow:
        draft = await uow.drafts.get(draft_id)
        [overview] = await uow.drafts.list_open(local)
        resident = await uow.residents.get(7)
    comment = await _reread(db, added.id)
    assert draft is not None and resident is not None

    moments = [draft.opens_at, draft.closes_at, overview.closes_at, comment.created_at, comment.updated_at,
               resident.privacy_accepted_at, resident.created_at]
    assert all(m is not None and m.tzinfo is timezone.utc for m in moments), moments
    assert comment.created_at == comment.updated_at == local
    assert comment.created_at.isoformat() == "2026-12-31T15:59:59.999999+00:00"
    assert draft.opens_at == local - timedelta(days=1)
    assert resident.privacy_accepted_at == resident.created_at == local


async def test_add_returns_utc_datetimes_too(db: SqlDatabase) -> None:
    local = NOW.astimezone(SHANGHAI)
    async with db.write() as uow:
        draft = await uow.drafts.add(new_draft(opens_at=local, closes_at=local + timedelta(days=1)))
        comment = await uow.comments.add(new_comment(draft.id, 7, created_at=local), "YJ-2026-000001")
        await uow.commit()
    assert draft.opens_at.tzinfo is timezone.utc
    assert comment.created_at.tzinfo is timezone.utc


async def test_a_naive_datetime_is_refused(db: SqlDatabase) -> None:
    with pytest.raises(StatementError, match="naive datetime") as raised:
        await _add_draft(db, opens_at=datetime(2026, 1, 1))
    assert isinstance(raised.value.orig, ValueError)
    async with db.read() as uow:
        assert await uow.drafts.count() == 0


# --- units of work ---------------------------------------------------------------------------


async def test_leaving_a_write_without_commit_keeps_nothing(db: SqlDatabase) -> None:
    async with db.write() as uow:
        draft = await uow.drafts.add(new_draft())
        await uow.comments.add(new_comment(draft.id, 7), "YJ-2026-000001")
        await uow.comments.next_sequence(2026)
        await uow.residents.save(Resident(7, "zh", NOW, NOW))
        assert await uow.drafts.count() == 1  # visible inside the transaction

    async with db.read() as uow:
        assert await uow.drafts.count() == 0
        assert await uow.comments.get_by_tracking_number("YJ-2026-000001") is None
        assert await uow.residents.get(7) is None
        assert await uow.comments.count_by_resident(7) == 0
    async with db.write() as uow:
        assert await uow.comments.next_sequence(2026) == 1


async def test_an_exception_inside_a_write_rolls_it_back(db: SqlDatabase) -> None:
    with pytest.raises(RuntimeError):
        async with db.write() as uow:
            await uow.drafts.add(new_draft())
            raise RuntimeError("boom")
    async with db.read() as uow:
        assert await uow.drafts.count() == 0


async def test_a_commit_is_visible_to_a_later_read(db: SqlDatabase) -> None:
    async with db.write() as uow:
        draft = await uow.drafts.add(new_draft())
        await uow.commit()
    async with db.read() as uow:
        stored = await uow.drafts.get(draft.id)
    assert stored is not None
    assert stored.document == parse_document(TINY_SOURCE)
    async with db.read_engine.connect() as connection:
        assert await connection.scalar(select(func.count()).select_from(DraftRow)) == 1
        assert await connection.scalar(select(func.count()).select_from(CommentRow)) == 0


# --- residents -------------------------------------------------------------------------------


async def test_residents_save_get_and_delete(db: SqlDatabase) -> None:
    async with db.write() as uow:
        await uow.residents.save(Resident(7, None, None, NOW))
        await uow.residents.save(Resident(8, "en", NOW, NOW))
        await uow.commit()
    async with db.read() as uow:
        assert await uow.residents.get(7) == Resident(7, None, None, NOW)
        assert await uow.residents.get(8) == Resident(8, "en", NOW, NOW)
        assert await uow.residents.get(9) is None

    accepted = NOW + timedelta(minutes=3)
    async with db.write() as uow:
        # Saving again updates language and consent; the first-seen time stays.
        await uow.residents.save(Resident(7, "zh", accepted, NOW + timedelta(days=9)))
        await uow.commit()
    async with db.read() as uow:
        assert await uow.residents.get(7) == Resident(7, "zh", accepted, NOW)

    async with db.write() as uow:
        await uow.residents.delete(7)
        await uow.residents.delete(12345)  # unknown: nothing happens
        await uow.commit()
    async with db.read() as uow:
        assert await uow.residents.get(7) is None
        assert await uow.residents.get(8) == Resident(8, "en", NOW, NOW)


async def test_a_resident_without_created_at_gets_the_current_time(db: SqlDatabase) -> None:
    before = datetime.now(timezone.utc)
    async with db.write() as uow:
        await uow.residents.save(Resident(7))
        await uow.commit()
    after = datetime.now(timezone.utc)
    async with db.read() as uow:
        resident = await uow.residents.get(7)
    assert resident is not None and resident.created_at is not None
    assert before <= resident.created_at <= after
    assert resident.created_at.tzinfo is timezone.utc


async def test_telegram_ids_beyond_32_bits_fit(db: SqlDatabase) -> None:
    big = 7_999_999_999  # Telegram user ids exceed 2**31
    draft_id = await _add_draft(db)
    async with db.write() as uow:
        await uow.residents.save(Resident(big, "zh", NOW, NOW))
        await uow.commit()
    added = await _add_comment(db, draft_id, big, 1)
    async with db.read() as uow:
        assert await uow.residents.get(big) == Resident(big, "zh", NOW, NOW)
        assert [c.id for c in await uow.comments.list_by_resident(big, 0, 10)] == [added.id]


async def test_a_url_without_the_async_driver_gets_it(db: SqlDatabase, database_url: str) -> None:
    # Hosting services hand out "postgresql://…"; the bot needs asyncpg (and aiosqlite for "sqlite://").
    bare = database_url.replace("+asyncpg", "").replace("+aiosqlite", "")
    assert bare != database_url
    bare_db = SqlDatabase(bare)
    try:
        assert bare_db.url == database_url
        async with bare_db.read() as uow:
            assert await uow.drafts.count() == 0
    finally:
        await bare_db.dispose()

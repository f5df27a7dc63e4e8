"""Tracking numbers under concurrent submissions: unique, gapless, per year, never "database is locked"."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from sqlalchemy import select

from drafts.commenting import Commenting
from drafts.models import Comment
from drafts.residents import Residents
from storage.database import SqlDatabase
from storage.tables import TrackingSequenceRow
from tests.integration.helpers import new_draft

THIS_YEAR = datetime(2026, 6, 1, 8, 0, tzinfo=timezone.utc)
NEXT_YEAR = datetime(2027, 1, 2, 8, 0, tzinfo=timezone.utc)
RESIDENTS = range(1001, 1051)


class ChineseDetector:
    def detect(self, text: str) -> str | None:
        return "zh"


async def _open_draft(db: SqlDatabase) -> int:
    async with db.write() as uow:
        draft = await uow.drafts.add(new_draft(opens_at=THIS_YEAR, closes_at=datetime(2028, 1, 1, tzinfo=timezone.utc)))
        await uow.commit()
    return draft.id


async def _residents_who_accepted(db: SqlDatabase) -> None:
    residents = Residents(db, lambda: THIS_YEAR)
    await asyncio.gather(*(residents.accept_privacy(user_id) for user_id in RESIDENTS))


async def _submit_all(commenting: Commenting, draft_id: int) -> list[Comment]:
    return await asyncio.gather(
        *(commenting.submit(user_id, draft_id, 1, f"居民{user_id}的意见") for user_id in RESIDENTS)
    )


async def test_fifty_concurrent_submissions_get_fifty_consecutive_numbers(db: SqlDatabase) -> None:
    draft_id = await _open_draft(db)
    await _residents_who_accepted(db)
    commenting = Commenting(db, lambda: THIS_YEAR, ChineseDetector())

    comments = await _submit_all(commenting, draft_id)

    expected = [f"YJ-2026-{n:06d}" for n in range(1, 51)]
    assert sorted(c.tracking_number for c in comments) == expected
    assert len({c.id for c in comments}) == 50
    for user_id, comment in zip(RESIDENTS, comments, strict=True):
        assert (comment.resident_id, comment.text) == (user_id, f"居民{user_id}的意见")
    async with db.read() as uow:
        assert await uow.comments.count_by_draft(draft_id) == 50
        for number in expected:
            stored = await uow.comments.get_by_tracking_number(number)
            assert stored is not None and stored.text == f"居民{stored.resident_id}的意见"
        sequences = (await uow.session.execute(select(TrackingSequenceRow.year, TrackingSequenceRow.last))).all()
    assert [tuple(row) for row in sequences] == [(2026, 50)]


async def test_reads_run_beside_concurrent_submissions(db: SqlDatabase) -> None:
    draft_id = await _open_draft(db)
    await _residents_who_accepted(db)
    commenting = Commenting(db, lambda: THIS_YEAR, ChineseDetector())

    async def read_count() -> int:
        async with db.read() as uow:
            return await uow.comments.count_by_draft(draft_id)

    submitted, *counts = await asyncio.gather(_submit_all(commenting, draft_id), *(read_count() for _ in range(50)))

    assert len(submitted) == 50
    assert all(0 <= count <= 50 for count in counts)
    assert await read_count() == 50


async def test_the_sequence_restarts_each_year(db: SqlDatabase) -> None:
    draft_id = await _open_draft(db)
    await _residents_who_accepted(db)
    await _submit_all(Commenting(db, lambda: THIS_YEAR, ChineseDetector()), draft_id)

    next_year = Commenting(db, lambda: NEXT_YEAR, ChineseDetector())
    first, second = await asyncio.gather(
        next_year.submit(1001, draft_id, None, "新年第一条意见"),
        next_year.submit(1002, draft_id, None, "新年第二条意见"),
    )
    late = await Commenting(db, lambda: THIS_YEAR, ChineseDetector()).submit(1003, draft_id, 2, "补充意见")

    assert sorted([first.tracking_number, second.tracking_number]) == ["YJ-2027-000001", "YJ-2027-000002"]
    assert first.created_at == NEXT_YEAR
    assert late.tracking_number == "YJ-2026-000051"

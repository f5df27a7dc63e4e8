"""storage/synthesis_repository.py on a real database: the comment stream read in batches through a
cursor, the statistics aggregates (the median with an even count, forgotten residents, no language), and
the residents' public summary that reads only the opinions it can show."""

from __future__ import annotations

from datetime import timedelta

import pytest

from drafts import synthesis
from drafts.models import Answer, AnswerStatus, CommentStatus, Rating, RatingRecord
from drafts.synthesis import Synthesis
from drafts.synthesis_source import DraftFigures
from storage import synthesis_repository
from storage.database import SqlDatabase
from tests.integration.helpers import NOW, new_comment, new_draft
from tests.integration.synthesis_scenario import T0, Clock, build


async def comments(db: SqlDatabase, count: int) -> tuple[int, list[int]]:
    """`count` comments on a new draft, a minute apart, from residents 1, 2, 3, 1, 2, 3 …"""
    async with db.write() as uow:
        draft = await uow.drafts.add(new_draft())
        ids = []
        for n in range(count):
            at, article = NOW + timedelta(minutes=n), n % 2 or None
            comment = new_comment(draft.id, 1 + n % 3, f"意见{n}", at, article_number=article)
            ids.append((await uow.comments.add(comment, f"YJ-2026-{n + 1:06d}")).id)
        await uow.commit()
    return draft.id, ids


async def test_the_stream_reads_every_comment_in_order_across_batches_with_its_answer(db, monkeypatch):
    monkeypatch.setattr(synthesis_repository, "BATCH", 3)  # ten comments: four fetches from the cursor
    draft, ids = await comments(db, 10)
    async with db.write() as uow:
        await uow.comments.set_status(ids[4], CommentStatus.WITHDRAWN.value, NOW)
        await uow.answers.save(Answer(ids[2], AnswerStatus.PARTLY_ADOPTED, "部分采纳。", 9, NOW, 1, NOW))
        await uow.answers.save(Answer(ids[3], AnswerStatus.NOTED, "已参考。", 9, NOW))
        await uow.commit()

    async with db.read() as uow:
        rows = [row async for row in uow.synthesis.stream(draft)]
        assert await uow.synthesis.count(draft) == 10
    assert [r.tracking_number for r in rows] == [f"YJ-2026-{n:06d}" for n in range(1, 11)]
    assert [r.text for r in rows] == [f"意见{n}" for n in range(10)]
    assert rows[4].status is CommentStatus.WITHDRAWN and rows[4].resident_id == 2
    assert (rows[2].answer_status, rows[2].answer_reply, rows[2].answer_published) == (
        AnswerStatus.PARTLY_ADOPTED, "部分采纳。", True)
    assert (rows[3].answer_status, rows[3].answer_published) == (AnswerStatus.NOTED, False)
    assert rows[0].answer_status is None and rows[0].article_number is None and rows[1].article_number == 1
    assert rows[9].created_at == NOW + timedelta(minutes=9)  # UTC, microseconds kept


async def test_a_stream_left_early_frees_the_transaction_for_more_queries(db, monkeypatch):
    monkeypatch.setattr(synthesis_repository, "BATCH", 2)
    draft, _ = await comments(db, 7)
    async with db.read() as uow:
        stream = uow.synthesis.stream(draft)
        first = [await anext(stream), await anext(stream), await anext(stream)]
        await stream.aclose()
        assert [c.text for c in first] == ["意见0", "意见1", "意见2"]
        assert await uow.synthesis.count(draft) == 7  # the cursor is closed: the connection takes a new query


async def test_figures_are_aggregated_by_the_database(db: SqlDatabase):
    draft, ids = await comments(db, 6)  # residents 1, 2, 3, 1, 2, 3
    async with db.write() as uow:
        await uow.comments.set_status(ids[5], CommentStatus.WITHDRAWN.value, NOW)
        await uow.comments.anonymise_resident(3)  # c2 becomes a forgotten resident's: counts as one commenter
        await uow.comments.update_text(ids[1], "?", None, NOW)  # the detector was unsure
        for comment_id, days in ((ids[0], 1), (ids[1], 2.5), (ids[2], None)):
            published = NOW + timedelta(days=days) if days else None
            await uow.answers.save(Answer(comment_id, AnswerStatus.ADOPTED, "好。", 9, NOW, 1, published))
        await uow.answers.save_rating(RatingRecord(ids[0], Rating.SATISFIED, NOW))
        await uow.answers.save_rating(RatingRecord(ids[5], Rating.NOT_SATISFIED, NOW))  # withdrawn since
        await uow.commit()

    async with db.read() as uow:
        figures = await uow.synthesis.figures(draft)
    assert figures.comments == 5
    assert figures.commenters == 3  # residents 1 and 2, plus the forgotten one's single live comment
    assert figures.per_article == {None: 3, 1: 2}
    assert figures.answered == 2
    # c0 answered after 1 day, c1 (a minute later) after 2.5 days less a minute: the mean of the two
    assert figures.median_days_to_answer == pytest.approx((1 + 2.5 - 1 / 1440) / 2)
    assert figures.languages == {"zh": 4, None: 1}
    assert figures.satisfaction == {"satisfied": 1, "not_satisfied": 1}


async def test_figures_of_a_draft_without_comments(db: SqlDatabase):
    async with db.write() as uow:
        draft = (await uow.drafts.add(new_draft())).id
        await uow.commit()
    async with db.read() as uow:
        figures = await uow.synthesis.figures(draft)
    assert figures == DraftFigures(0, 0, {}, 0, None, {}, {})


async def test_the_public_summary_reads_only_the_opinions_it_can_show(db: SqlDatabase, monkeypatch):
    monkeypatch.setattr(synthesis, "PUBLIC_OPINIONS", 2)
    clock = Clock(T0)
    consultation = await build(db, clock)  # three adopted opinions shown to residents (c1, c3, c4)
    summary = await Synthesis(db, clock).public_summary(consultation.draft_id)
    assert summary is not None
    assert [(o.article, o.status) for o in summary.opinions] == [
        ("第一条", AnswerStatus.ADOPTED), ("第三条", AnswerStatus.PARTLY_ADOPTED)]
    assert summary.more == 1  # the whole-draft one, counted but not read
    assert (summary.received, summary.adopted, summary.partly_adopted, summary.not_adopted, summary.noted) == (
        7, 3, 1, 1, 0)

"""Read-modify-write units of work running at once, from two processes (two SqlDatabase objects).

SQLite runs write transactions one after another (the write lock); PostgreSQL runs them side by side
under READ COMMITTED, where a first insert can collide with another and a read can be stale by the time
of the write. The repositories must give the same result on both: no error, no lost update.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import func, select

from drafts.models import Answer, AnswerStatus, Rating, RatingRecord
from drafts.residents import Residents
from storage.database import SqlDatabase
from storage.fsm import SqlStorage
from storage.tables import FsmStateRow, ResidentRow
from tests.integration.helpers import NOW, TINY_SOURCE, new_comment, new_draft

ALICE = 1001
TIMES = 8


@pytest.fixture
async def databases(db: SqlDatabase) -> AsyncIterator[list[SqlDatabase]]:
    """The test's database seen through two engines, as two bot processes would."""
    other = SqlDatabase(db.url)
    try:
        yield [db, other]
    finally:
        await other.dispose()


async def _at_once(databases: list[SqlDatabase], work: Callable[[SqlDatabase, int], Awaitable[object]]) -> None:
    await asyncio.gather(*(work(databases[n % 2], n) for n in range(TIMES)))


async def _comment(db: SqlDatabase) -> int:
    async with db.write() as uow:
        draft = await uow.drafts.add(new_draft())
        comment = await uow.comments.add(new_comment(draft.id, ALICE), "YJ-2026-000001")
        await uow.commit()
    return comment.id


async def test_first_consents_of_one_person_at_once_keep_one_resident(databases: list[SqlDatabase]) -> None:
    await _at_once(databases, lambda db, _n: Residents(db, lambda: NOW).accept_privacy(ALICE, "zh"))
    async with databases[0].read() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ResidentRow)) == 1
        resident = await uow.residents.get(ALICE)
    assert resident is not None and resident.privacy_accepted_at == NOW and resident.language == "zh"


async def test_edits_of_one_answer_at_once_each_bump_the_version(databases: list[SqlDatabase]) -> None:
    comment_id = await _comment(databases[0])
    async with databases[0].write() as uow:
        await uow.answers.save(Answer(comment_id, AnswerStatus.ADOPTED, "v1", 1, NOW, 1, None))
        await uow.commit()

    async def edit(db: SqlDatabase, n: int) -> None:
        async with db.write() as uow:
            answer = await uow.answers.get(comment_id)
            assert answer is not None
            await asyncio.sleep(0.01)  # widen the window between the read and the write
            await uow.answers.save(replace(answer, reply=f"edit {n}", version=answer.version + 1))
            await uow.commit()

    await _at_once(databases, edit)
    async with databases[0].read() as uow:
        answer = await uow.answers.get(comment_id)
    assert answer is not None and answer.version == 1 + TIMES


async def test_first_ratings_of_one_answer_at_once_keep_one_rating(databases: list[SqlDatabase]) -> None:
    comment_id = await _comment(databases[0])

    async def rate(db: SqlDatabase, n: int) -> None:
        async with db.write() as uow:
            previous = await uow.answers.rating(comment_id)
            follow_up = previous.follow_up if previous else None
            await uow.answers.save_rating(RatingRecord(comment_id, list(Rating)[n % 3], NOW, follow_up))
            await uow.commit()

    await _at_once(databases, rate)
    async with databases[0].read() as uow:
        assert await uow.answers.rating(comment_id) is not None


async def test_revisions_of_one_draft_at_once_get_versions_of_their_own(databases: list[SqlDatabase]) -> None:
    async with databases[0].write() as uow:
        draft_id = (await uow.drafts.add(new_draft())).id
        await uow.commit()
    versions: list[int] = []

    async def revise(db: SqlDatabase, n: int) -> None:
        async with db.write() as uow:
            draft = await uow.drafts.get(draft_id)  # as drafts.publishing does before revising
            assert draft is not None
            versions.append(await uow.drafts.revise(draft_id, draft.title, TINY_SOURCE, 1, NOW, f"n{n}", "s"))
            await uow.commit()

    await _at_once(databases, revise)
    assert sorted(versions) == list(range(2, 2 + TIMES))


async def test_conversation_writes_of_a_new_chat_at_once_keep_one_row(databases: list[SqlDatabase]) -> None:
    storages = [SqlStorage(db.session_factory) for db in databases]
    key = StorageKey(bot_id=42, chat_id=ALICE, user_id=ALICE)
    await asyncio.gather(*(storages[n % 2].set_data(key, {"n": n}) for n in range(TIMES)))
    assert (await storages[0].get_data(key))["n"] in range(TIMES)
    async with databases[0].read() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(FsmStateRow)) == 1

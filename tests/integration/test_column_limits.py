"""Strings against column lengths: SQLite stores any length, PostgreSQL refuses what does not fit.

Whatever reaches storage must fit on both, so the suite's PostgreSQL pass sees what SQLite would hide.
"""

from __future__ import annotations

import pytest

from drafts.parser import TITLE_LIMIT, DocumentError, parse_document
from drafts.staff import AuditEntry
from storage.database import SqlDatabase
from storage.tables import AuditRow, DraftRow
from tests.integration.helpers import NOW, TINY_SOURCE, new_draft

ARTICLES = TINY_SOURCE.split("\n", 1)[1]


async def test_a_refusal_quoting_the_longest_callback_data_is_audited(db: SqlDatabase) -> None:
    forged = "button:" + "x" * 60  # handlers quote up to 60 characters of a forged button's data
    assert len(forged) > AuditRow.action.type.length
    async with db.write() as uow:
        await uow.audit.record(AuditEntry(5, forged, "staff_console", "y" * 100, NOW, allowed=False))
        await uow.commit()
    async with db.read() as uow:
        [entry] = await uow.audit.recent(5)
    assert entry.action == forged[:AuditRow.action.type.length] and entry.object_id == "y" * 64


async def test_the_longest_title_the_parser_accepts_is_stored_whole(db: SqlDatabase) -> None:
    title = "长治市" + "某" * (TITLE_LIMIT - 9) + "条例（草案）"
    assert len(title) == TITLE_LIMIT == DraftRow.title.type.length
    document = parse_document(title + "\n" + ARTICLES)
    async with db.write() as uow:
        draft = await uow.drafts.add(new_draft(title=document.title))
        await uow.commit()
    async with db.read() as uow:
        stored = await uow.drafts.get(draft.id)
    assert stored is not None and stored.title == title


def test_a_longer_line_is_not_taken_for_a_title() -> None:
    with pytest.raises(DocumentError) as error:
        parse_document("长治市" + "某" * TITLE_LIMIT + "条例（草案）\n" + ARTICLES)
    assert error.value.code == "no_title"

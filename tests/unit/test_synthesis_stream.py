"""The synthesis export streams: comments are read from the data source only as the file asks for
them, one at a time and in order, and the writers never need the whole list."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from drafts import synthesis_files
from drafts.models import AnswerStatus, CommentStatus, Draft, DraftStatus
from drafts.parser import parse_document
from drafts.staff import StaffRole
from drafts.synthesis import Synthesis, SynthesisData, SynthesisRow, article_label, write_csv, write_xlsx
from drafts.synthesis_feed import in_worker_thread
from drafts.synthesis_source import ExportedComment
from tests.unit import fake_synthesis
from tests.unit.fakes import SMALL_DRAFT, Clock, FakeDatabase, add_comment, add_draft, add_staff

VIEWER, ALICE, BOB = 32, 2001, 2002
NOW = datetime(2026, 5, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
async def db() -> FakeDatabase:
    database = FakeDatabase()
    await add_draft(database, NOW - timedelta(days=1), NOW + timedelta(days=30))
    await add_staff(database, VIEWER, StaffRole.VIEWER, NOW)
    return database


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Tracking numbers in the order the data source handed the comments out."""
    handed_out: list[str] = []
    original = fake_synthesis.FakeSynthesisRepository.stream

    async def counting(self: fake_synthesis.FakeSynthesisRepository, draft_id: int) -> AsyncIterator[ExportedComment]:
        async for comment in original(self, draft_id):
            handed_out.append(comment.tracking_number)
            yield comment

    monkeypatch.setattr(fake_synthesis.FakeSynthesisRepository, "stream", counting)
    return handed_out


async def test_each_row_is_read_from_the_source_only_when_the_writer_asks_for_it(db, fetched):
    for n, resident in enumerate((ALICE, BOB, ALICE, None, BOB)):
        await add_comment(db, 1, resident, n % 3 + 1, NOW + timedelta(minutes=n), text=f"意见{n}")
    async with Synthesis(db, Clock(NOW)).export(VIEWER, 1) as data:
        assert fetched == []  # entering the export reads no comment
        seen = []
        async for row in data.rows:
            seen.append(row.tracking_number)
            assert fetched == seen  # one comment read per row handed on: nothing buffered ahead
            pseudonym = row.pseudonym
    assert seen == [f"YJ-2026-{n:06d}" for n in range(1, 6)]
    assert pseudonym == "居民002"  # pseudonyms numbered as the stream goes: Bob came second


async def test_a_writer_that_stops_early_leaves_the_rest_unread(db, fetched):
    for n in range(5):
        await add_comment(db, 1, ALICE, 1, NOW + timedelta(minutes=n))
    async with Synthesis(db, Clock(NOW)).export(VIEWER, 1) as data:
        async for _ in data.rows:
            break
    assert fetched == ["YJ-2026-000001"]


def row(n: int) -> SynthesisRow:
    status = CommentStatus.WITHDRAWN if n % 7 == 0 else CommentStatus.RECEIVED
    article = 1 + n % 3
    return SynthesisRow(f"YJ-2026-{n:06d}", "第一章 总则", article_label(article), article, f"意见{n}", "zh",
                        date(2026, 5, 1), status, AnswerStatus.ADOPTED if n % 2 else None, "好" if n % 2 else None,
                        False, None, f"居民{n:03d}", None)


class Source:
    """An async stream of rows that records how far the writer has pulled it."""

    def __init__(self, count: int) -> None:
        self.count, self.pulled, self.finished = count, 0, False

    async def __aiter__(self) -> AsyncIterator[SynthesisRow]:
        for n in range(1, self.count + 1):
            self.pulled = n
            yield row(n)
        self.finished = True


DRAFT = Draft(1, "测试条例（草案）", "", "", parse_document(SMALL_DRAFT), NOW, NOW, DraftStatus.OPEN)


async def test_the_xlsx_writes_streamed_rows_in_order_with_the_summary_counted_on_the_way():
    source = Source(1200)
    stream = io.BytesIO()
    assert await write_xlsx(SynthesisData(DRAFT, NOW, source), stream) == 1200
    assert source.finished
    book = load_workbook(io.BytesIO(stream.getvalue()), read_only=True)
    numbers = [r[0] for r in book["意见"].iter_rows(min_row=2, values_only=True)]
    assert numbers == [f"YJ-2026-{n:06d}" for n in range(1, 1201)]
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True) if r and r[0]}
    live = [n for n in range(1, 1201) if n % 7]
    assert summary["合计"] == len(live)
    assert summary["采纳"] == sum(1 for n in live if n % 2) and summary["未答复"] == sum(1 for n in live if not n % 2)
    assert [summary[f"第{d}条"] for d in "一二三"] == [sum(1 for n in live if n % 3 == k) for k in range(3)]


async def test_the_csv_writes_streamed_rows_in_order():
    source = Source(300)
    stream = io.BytesIO()
    assert await write_csv(SynthesisData(DRAFT, NOW, source), stream) == 300
    rows = list(csv.reader(io.StringIO(stream.getvalue().decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == [f"YJ-2026-{n:06d}" for n in range(1, 301)]


@pytest.mark.parametrize("write", [write_xlsx, write_csv])
async def test_the_file_is_laid_out_off_the_event_loop_while_rows_are_read_on_it(write, monkeypatch):
    # A big synthesis takes tens of seconds of openpyxl work: on the event loop it would stall the bot.
    threads: dict[str, set[int]] = {"layout": set(), "source": set()}
    lay_out = synthesis_files.cells

    def recording(row: SynthesisRow) -> list[object]:
        threads["layout"].add(threading.get_ident())
        return lay_out(row)

    class Recorded(Source):
        async def __aiter__(self) -> AsyncIterator[SynthesisRow]:
            async for item in super().__aiter__():
                threads["source"].add(threading.get_ident())
                yield item

    monkeypatch.setattr(synthesis_files, "cells", recording)
    source = Recorded(1100)  # more than one batch between the threads
    assert await write(SynthesisData(DRAFT, NOW, source), io.BytesIO()) == 1100
    assert threads["source"] == {threading.get_ident()}  # the stream (and its database session) stays here
    assert threads["layout"] and threading.get_ident() not in threads["layout"]


async def test_cells_reused_from_row_to_row_keep_each_rows_own_value_type_and_style():
    # The writer reuses one cell per column: a formula-like text, a missing answer or a date must not
    # leak into the next row.
    rows = [row(1), replace(row(2), text="=SUM(A1:A9)", answer_status=None, answer_text=None), row(3)]
    stream = io.BytesIO()
    await write_xlsx(SynthesisData(DRAFT, NOW, rows), stream)
    sheet = load_workbook(io.BytesIO(stream.getvalue()))["意见"]
    assert [(sheet[f"D{n}"].value, sheet[f"D{n}"].data_type) for n in (2, 3, 4)] == [
        ("意见1", "s"), ("=SUM(A1:A9)", "s"), ("意见3", "s")]
    assert [sheet[f"H{n}"].value for n in (2, 3, 4)] == ["采纳（未公布）", None, "采纳（未公布）"]
    assert all(sheet[f"D{n}"].alignment.wrap_text and not sheet[f"A{n}"].alignment.wrap_text for n in (2, 3, 4))
    assert [sheet[f"F{n}"].number_format for n in (2, 3, 4)] == ["yyyy-mm-dd"] * 3


async def test_a_writer_that_fails_half_way_closes_the_stream_it_was_reading():
    closed = []

    async def comments() -> AsyncIterator[int]:
        try:
            for n in range(2000):
                yield n
        finally:
            closed.append(True)  # where the database cursor is released

    def write(rows: Iterator[int]) -> int:
        for n in rows:
            if n == 700:  # in the second batch
                raise OSError("disk full")
        return 0

    with pytest.raises(OSError, match="disk full"):
        await in_worker_thread(write, comments())
    assert closed == [True]

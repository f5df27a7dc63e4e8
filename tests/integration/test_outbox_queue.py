"""The notification outbox on a real database: idempotent queueing, leased claims, settling, readers."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import select

from drafts.models import Resident
from drafts.notices import NewNotice, Notice, NoticeKind
from storage.database import SqlDatabase
from storage.outbox_queue import OutboxQueue
from storage.tables import DraftReaderRow, NotificationRow
from tests.integration.helpers import NOW, SHANGHAI, new_draft

LEASE = timedelta(minutes=5)
TICK = timedelta(microseconds=1)
ALICE, BOB = 1001, 1002


def _notice(key: str, due_at: datetime = NOW, chat_id: int = ALICE, kind: NoticeKind = NoticeKind.FEEDBACK,
            payload: dict[str, object] | None = None) -> NewNotice:
    return NewNotice(kind, chat_id, key, due_at, payload if payload is not None else {"key": key})


async def _add(db: SqlDatabase, *notices: NewNotice) -> list[bool]:
    async with db.write() as uow:
        added = [await uow.outbox.add(n) for n in notices]
        await uow.commit()
    return added


async def _rows(db: SqlDatabase) -> dict[str, NotificationRow]:
    """Every outbox row, by idempotency key."""
    async with db.read() as uow:
        rows = await uow.session.scalars(select(NotificationRow).order_by(NotificationRow.id))
        return {row.idempotency_key: row for row in rows}


async def _row(db: SqlDatabase, key: str) -> NotificationRow:
    return (await _rows(db))[key]


def _keys(notices: list[Notice]) -> list[str]:
    return [n.idempotency_key for n in notices]


async def _add_resident(db: SqlDatabase, user_id: int) -> None:
    async with db.write() as uow:
        await uow.residents.save(Resident(user_id, "zh", NOW, NOW))
        await uow.commit()


# --- queueing ----------------------------------------------------------------------------------


async def test_add_queues_a_notice_once_per_idempotency_key(db: SqlDatabase) -> None:
    first = _notice("feedback:1:1", payload={"reply": "已采纳，谢谢。"})
    assert await _add(db, first) == [True]

    again = NewNotice(NoticeKind.REMINDER, BOB, "feedback:1:1", NOW + timedelta(days=1), {"reply": "另一条"})
    assert await _add(db, again) == [False]

    rows = await _rows(db)
    assert list(rows) == ["feedback:1:1"]
    row = rows["feedback:1:1"]
    assert (row.kind, row.chat_id, row.status, row.attempts) == ("feedback", ALICE, "pending", 0)
    assert row.due_at == NOW
    assert row.payload == '{"reply": "已采纳，谢谢。"}'
    assert (row.lease_until, row.last_error, row.sent_at) == (None, None, None)


async def test_a_repeated_key_in_the_same_unit_of_work_is_a_no_op(db: SqlDatabase) -> None:
    assert await _add(db, _notice("a"), _notice("b"), _notice("a", chat_id=BOB)) == [True, True, False]
    rows = await _rows(db)
    assert list(rows) == ["a", "b"]
    assert rows["a"].chat_id == ALICE


async def test_a_key_already_sent_is_not_queued_again(db: SqlDatabase) -> None:
    await _add(db, _notice("a"))
    queue = OutboxQueue(db, LEASE)
    [claimed] = await queue.claim(NOW, 10)
    await queue.sent(claimed.id, NOW)

    assert await _add(db, _notice("a", due_at=NOW + timedelta(hours=1))) == [False]
    row = await _row(db, "a")
    assert (row.status, row.due_at, row.attempts) == ("sent", NOW, 1)
    assert await queue.claim(NOW + timedelta(days=1), 10) == []


async def test_an_add_that_is_not_committed_leaves_nothing_and_frees_the_key(db: SqlDatabase) -> None:
    async with db.write() as uow:
        assert await uow.outbox.add(_notice("a")) is True
        # no commit: closing the unit of work rolls back
    assert await _rows(db) == {}
    assert await _add(db, _notice("a")) == [True]


async def test_concurrent_adds_of_one_key_from_two_processes_store_one_row(db: SqlDatabase) -> None:
    other = SqlDatabase(db.url)
    try:
        results = await asyncio.gather(*(_add(d, _notice("same", chat_id=n)) for n, d in enumerate([db, other] * 5)))
    finally:
        await other.dispose()
    assert sorted(r for [r] in results) == [False] * 9 + [True]
    assert list(await _rows(db)) == ["same"]


# --- claiming ----------------------------------------------------------------------------------


async def test_claim_returns_due_pending_rows_with_a_lease_and_one_more_attempt(db: SqlDatabase) -> None:
    await _add(db,
               _notice("past", NOW - timedelta(hours=1), payload={"text": "意见已答复", "n": 1}),
               _notice("now", NOW, chat_id=BOB, kind=NoticeKind.REMINDER),
               _notice("next microsecond", NOW + TICK),
               _notice("later", NOW + timedelta(hours=1)))
    queue = OutboxQueue(db, LEASE)

    claimed = await queue.claim(NOW, 10)

    assert _keys(claimed) == ["past", "now"]
    past, now = claimed
    assert (past.kind, past.chat_id, past.status, past.attempts) == (NoticeKind.FEEDBACK, ALICE, "pending", 1)
    assert past.due_at == NOW - timedelta(hours=1) and past.due_at.tzinfo is not None
    assert past.payload == {"text": "意见已答复", "n": 1}
    assert (now.kind, now.chat_id, now.due_at, now.attempts) == (NoticeKind.REMINDER, BOB, NOW, 1)
    rows = await _rows(db)
    assert [rows[k].lease_until for k in ("past", "now")] == [NOW + LEASE] * 2
    assert [rows[k].attempts for k in ("past", "now")] == [1, 1]
    for key in ("next microsecond", "later"):
        assert (rows[key].status, rows[key].lease_until, rows[key].attempts) == ("pending", None, 0)


async def test_claim_takes_the_oldest_due_first_and_at_most_limit(db: SqlDatabase) -> None:
    minutes_ago = [1, 5, 3, 10, 2, 5]  # inserted in this order; a tie on due_at goes by id
    await _add(db, *(_notice(f"n{i}", NOW - timedelta(minutes=m)) for i, m in enumerate(minutes_ago)))
    queue = OutboxQueue(db, LEASE)

    first = await queue.claim(NOW, 2)
    second = await queue.claim(NOW, 2)
    third = await queue.claim(NOW, 3)

    assert _keys(first) == ["n1", "n3"]  # 5 and 10 minutes ago; n5 (also 5) came later
    assert _keys(second) == ["n2", "n5"]  # 3 and 5 minutes ago
    assert _keys(third) == ["n0", "n4"]  # 1 and 2 minutes ago
    assert await queue.claim(NOW, 10) == []
    assert [n.id for n in first] == sorted(n.id for n in first)  # a batch comes back in id order


async def test_claim_compares_moments_not_local_clock_readings(db: SqlDatabase) -> None:
    # 17:29 in Shanghai is 09:29 UTC: due a minute before NOW, although "17:29" > "09:30".
    await _add(db, _notice("shanghai", (NOW - timedelta(minutes=1)).astimezone(SHANGHAI)),
               _notice("utc later", NOW + timedelta(minutes=1)))
    queue = OutboxQueue(db, LEASE)

    [claimed] = await queue.claim(NOW.astimezone(SHANGHAI), 10)

    assert claimed.idempotency_key == "shanghai"
    assert claimed.due_at == NOW - timedelta(minutes=1) and claimed.due_at.utcoffset() == timedelta(0)
    assert (await _row(db, "shanghai")).lease_until == NOW + LEASE


async def test_skip_kinds_leaves_those_kinds_pending(db: SqlDatabase) -> None:
    await _add(db,
               _notice("feedback 1", NOW - timedelta(minutes=30), kind=NoticeKind.FEEDBACK),
               _notice("feedback 2", NOW - timedelta(minutes=20), kind=NoticeKind.FEEDBACK),
               _notice("reminder", NOW - timedelta(minutes=10), kind=NoticeKind.REMINDER),
               _notice("staff closed", NOW - timedelta(minutes=5), kind=NoticeKind.STAFF_CLOSED),
               _notice("staff digest", NOW, kind=NoticeKind.STAFF_DIGEST))
    queue = OutboxQueue(db, LEASE)

    # The skipped kinds are the oldest: the limit must count only the kinds that may go.
    quiet = await queue.claim(NOW, 1, skip_kinds={NoticeKind.FEEDBACK, NoticeKind.REMINDER})
    assert _keys(quiet) == ["staff closed"]
    assert _keys(await queue.claim(NOW, 10, skip_kinds=[NoticeKind.FEEDBACK, NoticeKind.REMINDER])) == [
        "staff digest"]

    rows = await _rows(db)
    for key in ("feedback 1", "feedback 2", "reminder"):
        assert (rows[key].status, rows[key].lease_until, rows[key].attempts) == ("pending", None, 0)

    assert _keys(await queue.claim(NOW, 10)) == ["feedback 1", "feedback 2", "reminder"]


async def test_a_leased_row_is_not_claimed_again_until_its_lease_ends(db: SqlDatabase) -> None:
    await _add(db, _notice("a", NOW - timedelta(minutes=1)), _notice("b", NOW))
    dead_sender = OutboxQueue(db, LEASE)
    assert _keys(await dead_sender.claim(NOW, 10)) == ["a", "b"]
    # The sender dies here without settling anything. Another one starts.
    other = SqlDatabase(db.url)
    try:
        survivor = OutboxQueue(other, LEASE)
        assert await survivor.claim(NOW, 10) == []
        assert await survivor.claim(NOW + LEASE - TICK, 10) == []
        assert await survivor.claim(NOW + LEASE, 10) == []  # the lease runs up to and including lease_until

        later = NOW + LEASE + TICK
        reclaimed = await survivor.claim(later, 10)
    finally:
        await other.dispose()

    assert _keys(reclaimed) == ["a", "b"]
    assert [n.attempts for n in reclaimed] == [2, 2]
    rows = await _rows(db)
    assert [rows[k].lease_until for k in ("a", "b")] == [later + LEASE] * 2
    assert await dead_sender.claim(later, 10) == []


async def test_two_processes_claiming_at_once_never_get_the_same_row(db: SqlDatabase) -> None:
    await _add(db, *(_notice(f"n{i:03d}", NOW - timedelta(seconds=i % 7), chat_id=i) for i in range(200)))
    other = SqlDatabase(db.url)
    try:
        first, second = OutboxQueue(db, LEASE), OutboxQueue(other, LEASE)
        claims: list[list[Notice]] = []
        rounds = 0
        while True:
            rounds += 1
            batch = await asyncio.gather(first.claim(NOW, 60), second.claim(NOW, 60))
            claims.extend(batch)
            if not any(batch):
                break
            assert rounds < 10
    finally:
        await other.dispose()

    ids = [n.id for claim in claims for n in claim]
    assert len(ids) == len(set(ids)) == 200
    assert all(len(claim) <= 60 for claim in claims)
    assert rounds == 3  # 120 rows, then 80, then nothing
    rows = await _rows(db)
    assert {row.id for row in rows.values()} == set(ids)
    assert {(row.attempts, row.lease_until) for row in rows.values()} == {(1, NOW + LEASE)}


async def test_many_concurrent_claims_on_two_databases_share_the_rows_out(db: SqlDatabase) -> None:
    await _add(db, *(_notice(f"n{i:03d}", NOW - timedelta(minutes=i)) for i in range(200)))
    other = SqlDatabase(db.url)
    try:
        queues = [OutboxQueue(d, LEASE) for d in (db, other) for _ in range(5)]
        claims = await asyncio.gather(*(q.claim(NOW, 25) for q in queues for _ in range(2)))
        leftover = await queues[0].claim(NOW, 1000)
    finally:
        await other.dispose()

    ids = [n.id for claim in claims for n in claim]
    assert len(ids) == len(set(ids)) == 200
    if db.is_sqlite:  # each claim runs alone under the write lock: full batches, then nothing
        assert sorted(len(c) for c in claims) == [0] * 12 + [25] * 8
    else:  # SKIP LOCKED passes over rows another claim holds at that moment: a batch may come short
        assert all(len(c) <= 25 for c in claims)
    assert leftover == []
    assert {row.attempts for row in (await _rows(db)).values()} == {1}


# --- settling ----------------------------------------------------------------------------------


async def _claim_all(db: SqlDatabase, *keys: str) -> tuple[OutboxQueue, dict[str, Notice]]:
    await _add(db, *(_notice(key, NOW - timedelta(minutes=1)) for key in keys))
    queue = OutboxQueue(db, LEASE)
    claimed = {n.idempotency_key: n for n in await queue.claim(NOW, 100)}
    assert sorted(claimed) == sorted(keys)
    return queue, claimed


async def test_sent_settles_the_row_for_good(db: SqlDatabase) -> None:
    queue, claimed = await _claim_all(db, "a")
    await queue.sent(claimed["a"].id, NOW + timedelta(seconds=2))

    row = await _row(db, "a")
    assert (row.status, row.sent_at, row.lease_until, row.attempts) == ("sent", NOW + timedelta(seconds=2), None, 1)
    assert await queue.claim(NOW + timedelta(days=1), 10) == []


async def test_skipped_settles_the_row_with_its_reason(db: SqlDatabase) -> None:
    queue, claimed = await _claim_all(db, "a")
    await queue.skipped(claimed["a"].id, "nothing to send")

    row = await _row(db, "a")
    assert (row.status, row.last_error, row.lease_until, row.sent_at) == ("skipped", "nothing to send", None, None)
    assert await queue.claim(NOW + timedelta(days=1), 10) == []


async def test_retry_puts_the_row_back_at_a_new_due_time(db: SqlDatabase) -> None:
    queue, claimed = await _claim_all(db, "a", "b")
    await queue.retry(claimed["a"].id, NOW + timedelta(seconds=30), "TelegramServerError('502')")
    await queue.retry(claimed["b"].id, NOW, "x" * 600)

    rows = await _rows(db)
    a, b = rows["a"], rows["b"]
    assert (a.status, a.due_at, a.lease_until, a.attempts) == ("pending", NOW + timedelta(seconds=30), None, 1)
    assert a.last_error == "TelegramServerError('502')"
    assert (b.status, b.due_at, b.lease_until) == ("pending", NOW, None)
    assert b.last_error == "x" * 500

    # The lease is gone: "b" is due again at once, "a" only at its new time.
    assert _keys(await queue.claim(NOW, 10)) == ["b"]
    assert await queue.claim(NOW + timedelta(seconds=30) - TICK, 10) == []
    [again] = await queue.claim(NOW + timedelta(seconds=30), 10)
    assert (again.idempotency_key, again.attempts) == ("a", 2)
    assert (await _row(db, "a")).last_error == "TelegramServerError('502')"  # kept while it waits


async def test_failed_settles_the_row_and_is_counted(db: SqlDatabase) -> None:
    queue, claimed = await _claim_all(db, "a", "b", "c")
    async with db.read() as uow:
        assert await uow.outbox.failed_count() == 0

    await queue.failed(claimed["a"].id, "Bad Request: message is too long")
    await queue.failed(claimed["b"].id, "e" * 501)

    rows = await _rows(db)
    assert (rows["a"].status, rows["a"].lease_until, rows["a"].last_error) == (
        "failed", None, "Bad Request: message is too long")
    assert (rows["b"].status, len(rows["b"].last_error or "")) == ("failed", 500)
    assert rows["c"].status == "pending"
    async with db.read() as uow:
        assert await uow.outbox.failed_count() == 2
    assert _keys(await queue.claim(NOW + timedelta(days=1), 10)) == ["c"]


async def test_counts_group_the_rows_by_status(db: SqlDatabase) -> None:
    queue = OutboxQueue(db, LEASE)
    assert await queue.counts() == {}

    queue, claimed = await _claim_all(db, "sent 1", "sent 2", "skipped", "failed", "retried", "leased")
    await _add(db, _notice("waiting", NOW + timedelta(hours=1)))
    await queue.sent(claimed["sent 1"].id, NOW)
    await queue.sent(claimed["sent 2"].id, NOW)
    await queue.skipped(claimed["skipped"].id, "withdrawn")
    await queue.failed(claimed["failed"].id, "400")
    await queue.retry(claimed["retried"].id, NOW + timedelta(minutes=1), "502")

    assert await queue.counts() == {"pending": 3, "sent": 2, "skipped": 1, "failed": 1}


# --- unreachable chats -------------------------------------------------------------------------


async def test_unreachable_marks_the_chat_s_pending_rows_and_the_resident(db: SqlDatabase) -> None:
    await _add_resident(db, ALICE)
    await _add_resident(db, BOB)
    await _add(db,
               _notice("alice sent", NOW - timedelta(minutes=3)),
               _notice("alice in flight", NOW - timedelta(minutes=2)),
               _notice("alice waiting", NOW + timedelta(hours=1)),
               _notice("alice failed", NOW - timedelta(minutes=1)),
               _notice("bob in flight", NOW - timedelta(minutes=2), chat_id=BOB),
               _notice("bob waiting", NOW + timedelta(hours=1), chat_id=BOB))
    queue = OutboxQueue(db, LEASE)
    claimed = {n.idempotency_key: n for n in await queue.claim(NOW, 10)}
    await queue.sent(claimed["alice sent"].id, NOW)
    await queue.failed(claimed["alice failed"].id, "400")

    gone_at = NOW + timedelta(seconds=1)
    await queue.unreachable(ALICE, gone_at, "Forbidden: bot was blocked by the user")

    rows = await _rows(db)
    for key in ("alice in flight", "alice waiting"):
        assert (rows[key].status, rows[key].lease_until, rows[key].last_error) == (
            "unreachable", None, "Forbidden: bot was blocked by the user")
    assert rows["alice sent"].status == "sent"
    assert (rows["alice failed"].status, rows["alice failed"].last_error) == ("failed", "400")
    assert (rows["bob in flight"].status, rows["bob in flight"].lease_until) == ("pending", NOW + LEASE)
    assert (rows["bob waiting"].status, rows["bob waiting"].lease_until) == ("pending", None)
    async with db.read() as uow:
        alice, bob = await uow.residents.get(ALICE), await uow.residents.get(BOB)
    assert alice is not None and alice.unreachable_at == gone_at
    assert bob is not None and bob.unreachable_at is None

    later = NOW + timedelta(days=1)
    assert sorted(_keys(await queue.claim(later, 10))) == ["bob in flight", "bob waiting"]
    assert await queue.counts() == {"pending": 2, "sent": 1, "failed": 1, "unreachable": 2}


async def test_unreachable_for_a_chat_without_a_resident_marks_only_its_rows(db: SqlDatabase) -> None:
    staff_chat = 777
    await _add_resident(db, ALICE)
    await _add(db, _notice("staff", chat_id=staff_chat, kind=NoticeKind.STAFF_DIGEST), _notice("alice"))
    queue = OutboxQueue(db, LEASE)

    await queue.unreachable(staff_chat, NOW, "Bad Request: chat not found")

    rows = await _rows(db)
    assert (rows["staff"].status, rows["alice"].status) == ("unreachable", "pending")
    async with db.read() as uow:
        assert await uow.residents.get(staff_chat) is None
        alice = await uow.residents.get(ALICE)
    assert alice is not None and alice.unreachable_at is None


# --- draft readers -----------------------------------------------------------------------------


async def _add_draft(db: SqlDatabase, title: str) -> int:
    async with db.write() as uow:
        draft = await uow.drafts.add(new_draft(title=title))
        await uow.commit()
    return draft.id


async def _record(db: SqlDatabase, draft_id: int, user_id: int, at: datetime) -> None:
    async with db.write() as uow:
        await uow.residents.record_reader(draft_id, user_id, at)
        await uow.commit()


async def _first_reads(db: SqlDatabase) -> dict[tuple[int, int], datetime]:
    async with db.read() as uow:
        rows = (await uow.session.execute(
            select(DraftReaderRow.draft_id, DraftReaderRow.user_id, DraftReaderRow.first_read_at))).all()
    return {(r.draft_id, r.user_id): r.first_read_at for r in rows}


async def test_a_reader_is_recorded_once_per_draft(db: SqlDatabase) -> None:
    first, second = await _add_draft(db, "第一部草案"), await _add_draft(db, "第二部草案")
    await _record(db, first, BOB, NOW)
    await _record(db, first, ALICE, NOW + timedelta(minutes=1))
    await _record(db, first, BOB, NOW + timedelta(hours=1))
    await _record(db, second, BOB, NOW + timedelta(hours=2))
    async with db.write() as uow:  # twice in one unit of work, too
        await uow.residents.record_reader(second, BOB, NOW + timedelta(hours=3))
        await uow.residents.record_reader(second, BOB, NOW + timedelta(hours=4))
        await uow.commit()

    async with db.read() as uow:
        assert await uow.residents.readers(first) == [ALICE, BOB]
        assert await uow.residents.readers(second) == [BOB]
        assert await uow.residents.readers(second + 1) == []
    assert await _first_reads(db) == {
        (first, BOB): NOW, (first, ALICE): NOW + timedelta(minutes=1), (second, BOB): NOW + timedelta(hours=2)}


async def test_concurrent_first_reads_by_one_person_keep_one_row(db: SqlDatabase) -> None:
    draft_id = await _add_draft(db, "草案")
    await asyncio.gather(*(_record(db, draft_id, ALICE, NOW + timedelta(seconds=i)) for i in range(10)))
    async with db.read() as uow:
        assert await uow.residents.readers(draft_id) == [ALICE]


async def test_deleting_a_resident_removes_their_reader_rows(db: SqlDatabase) -> None:
    first, second = await _add_draft(db, "第一部草案"), await _add_draft(db, "第二部草案")
    await _add_resident(db, ALICE)
    await _add_resident(db, BOB)
    for draft_id in (first, second):
        for user_id in (ALICE, BOB):
            await _record(db, draft_id, user_id, NOW)

    async with db.write() as uow:
        await uow.residents.delete(ALICE)
        await uow.commit()

    async with db.read() as uow:
        assert await uow.residents.get(ALICE) is None
        assert await uow.residents.get(BOB) is not None
        assert await uow.residents.readers(first) == [BOB]
        assert await uow.residents.readers(second) == [BOB]
    assert set(await _first_reads(db)) == {(first, BOB), (second, BOB)}


async def test_deleting_without_commit_keeps_the_reader_rows(db: SqlDatabase) -> None:
    draft_id = await _add_draft(db, "草案")
    await _add_resident(db, ALICE)
    await _record(db, draft_id, ALICE, NOW)

    async with db.write() as uow:
        await uow.residents.delete(ALICE)

    async with db.read() as uow:
        assert await uow.residents.get(ALICE) is not None
        assert await uow.residents.readers(draft_id) == [ALICE]

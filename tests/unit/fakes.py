"""In-memory fakes of the ports in drafts/ports.py: no database, no Telegram.

FakeDatabase keeps a committed state; every unit of work copies it into a working state
and only commit() publishes the working state back. Leaving the `async with` block without
commit() throws the working state away, just as a rolled-back transaction would.
All stored values are frozen dataclasses, so copying the dicts and lists is enough to isolate
states, and two states compare equal when everything committed is equal.
The repositories follow storage/*.py: list_by_draft leaves withdrawn comments out (newest first),
unanswered_only means "no answer row at all", Outbox.add refuses a repeated idempotency key,
StaffRepository.save of an existing member changes only the role, record_reader keeps the first
read of a draft by a person (and delete forgets their reads), ratings are keyed by comment.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta, timezone

import pytest

from drafts.models import (
    Answer,
    AnswerStatus,
    Comment,
    CommentStatus,
    Draft,
    DraftOverview,
    DraftStatus,
    NewComment,
    NewDraft,
    Rating,
    RatingRecord,
    Resident,
)
from drafts.notices import NewNotice
from drafts.parser import parse_document
from drafts.ports import ALL_ARTICLES
from drafts.staff import AuditEntry, StaffMember, StaffRole
from drafts.tracking import format_tracking_number
from tests.unit.fake_synthesis import FakeSynthesisRepository


@dataclass(frozen=True)
class StoredVersion:
    """A row of draft_versions: every version of a draft's document."""

    title: str
    source: str
    created_by: int | None
    created_at: datetime


@dataclass
class State:
    drafts: dict[int, Draft] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    residents: dict[int, Resident] = field(default_factory=dict)
    sequences: dict[int, int] = field(default_factory=dict)  # year -> last number handed out
    last_draft_id: int = 0
    last_comment_id: int = 0
    versions: dict[tuple[int, int], StoredVersion] = field(default_factory=dict)  # (draft, version)
    staff: dict[int, StaffMember] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)  # oldest first, ids 1, 2, …
    answers: dict[int, Answer] = field(default_factory=dict)  # by comment id
    outbox: dict[str, NewNotice] = field(default_factory=dict)  # by idempotency key, in queueing order
    outbox_status: dict[str, str] = field(default_factory=dict)  # by idempotency key: pending | sent | failed …
    ratings: dict[int, RatingRecord] = field(default_factory=dict)  # by comment id
    readers: dict[tuple[int, int], datetime] = field(default_factory=dict)  # (draft, user) -> first read

    def copy(self) -> State:
        def shallow(value: object) -> object:
            return dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value

        return State(**{f.name: shallow(getattr(self, f.name)) for f in fields(self)})

    def notices(self, kind: object = None) -> list[NewNotice]:
        """Queued notices in queueing order, optionally of one kind."""
        return [n for n in self.outbox.values() if kind is None or n.kind == kind]


class FakeDraftRepository:
    def __init__(self, state: State) -> None:
        self._s = state

    async def add(self, draft: NewDraft) -> Draft:
        self._s.last_draft_id += 1
        stored = Draft(
            self._s.last_draft_id, draft.title, draft.summary, draft.note, parse_document(draft.source),
            draft.opens_at, draft.closes_at, draft.status,
        )
        self._s.drafts[stored.id] = stored
        self._s.versions[(stored.id, 1)] = StoredVersion(draft.title, draft.source, draft.published_by, draft.opens_at)
        return stored

    async def get(self, draft_id: int) -> Draft | None:
        return self._s.drafts.get(draft_id)

    async def list_open(self, now: datetime) -> list[DraftOverview]:
        open_ = sorted((d for d in self._s.drafts.values() if d.is_open(now)), key=lambda d: (d.closes_at, d.id))
        return [DraftOverview(d.id, d.title, d.summary, d.closes_at, _live_count(self._s, d.id)) for d in open_]

    async def open_drafts(self, now: datetime) -> list[Draft]:
        return [d for _, d in sorted(self._s.drafts.items()) if d.is_open(now)]

    async def count(self) -> int:
        return len(self._s.drafts)

    async def list_all(self, include_archived: bool = False) -> list[Draft]:
        newest_first = sorted(self._s.drafts.values(), key=lambda d: -d.id)
        return [d for d in newest_first if include_archived or d.status is not DraftStatus.ARCHIVED]

    async def revise(self, draft_id: int, title: str, source: str, by: int, at: datetime,
                     note: str, summary: str) -> int:
        old = self._s.drafts[draft_id]
        version = old.version + 1
        self._s.drafts[draft_id] = replace(old, title=title, document=parse_document(source), version=version,
                                           note=note, summary=summary)
        self._s.versions[(draft_id, version)] = StoredVersion(title, source, by, at)
        return version

    async def set_closes_at(self, draft_id: int, closes_at: datetime) -> None:
        if draft_id in self._s.drafts:
            self._s.drafts[draft_id] = replace(self._s.drafts[draft_id], closes_at=closes_at)

    async def set_status(self, draft_id: int, status: DraftStatus) -> None:
        if draft_id in self._s.drafts:
            self._s.drafts[draft_id] = replace(self._s.drafts[draft_id], status=DraftStatus(status))

    async def version_source(self, draft_id: int, version: int) -> str | None:
        stored = self._s.versions.get((draft_id, version))
        return stored.source if stored else None


def _live_count(state: State, draft_id: int) -> int:
    return sum(
        1 for c in state.comments.values() if c.draft_id == draft_id and c.status is not CommentStatus.WITHDRAWN
    )


class FakeCommentRepository:
    def __init__(self, state: State) -> None:
        self._s = state

    async def next_sequence(self, year: int) -> int:
        self._s.sequences[year] = self._s.sequences.get(year, 0) + 1
        return self._s.sequences[year]

    async def add(self, comment: NewComment, tracking_number: str) -> Comment:
        if any(c.tracking_number == tracking_number for c in self._s.comments.values()):
            raise AssertionError(f"duplicate tracking number {tracking_number}")  # a UNIQUE constraint
        self._s.last_comment_id += 1
        stored = Comment(
            self._s.last_comment_id, tracking_number, comment.draft_id, comment.article_number,
            comment.resident_id, comment.text, comment.language, comment.signed_name,
            CommentStatus.RECEIVED, comment.created_at, comment.created_at,
        )
        self._s.comments[stored.id] = stored
        return stored

    async def get(self, comment_id: int) -> Comment | None:
        return self._s.comments.get(comment_id)

    async def get_many(self, comment_ids: list[int]) -> dict[int, Comment]:
        return {i: self._s.comments[i] for i in comment_ids if i in self._s.comments}

    async def get_by_tracking_number(self, tracking_number: str) -> Comment | None:
        return next((c for c in self._s.comments.values() if c.tracking_number == tracking_number), None)

    async def update_text(self, comment_id: int, text: str, language: str | None, at: datetime) -> None:
        if comment_id in self._s.comments:
            old = self._s.comments[comment_id]
            self._s.comments[comment_id] = replace(old, text=text, language=language, updated_at=at)

    async def set_status(self, comment_id: int, status: str, at: datetime) -> None:
        if comment_id in self._s.comments:
            old = self._s.comments[comment_id]
            self._s.comments[comment_id] = replace(old, status=CommentStatus(status), updated_at=at)

    async def list_by_resident(self, resident_id: int, offset: int, limit: int) -> list[Comment]:
        mine = sorted((c for c in self._s.comments.values() if c.resident_id == resident_id), key=lambda c: -c.id)
        return mine[offset:offset + limit]

    async def count_by_resident(self, resident_id: int) -> int:
        return sum(1 for c in self._s.comments.values() if c.resident_id == resident_id)

    async def count_by_draft(self, draft_id: int) -> int:
        return _live_count(self._s, draft_id)

    async def anonymise_resident(self, resident_id: int) -> int:
        ids = [i for i, c in self._s.comments.items() if c.resident_id == resident_id]
        for i in ids:
            self._s.comments[i] = replace(self._s.comments[i], resident_id=None, signed_name=None)
        return len(ids)

    def _of_draft(self, draft_id: int, article: int | None, unanswered_only: bool) -> list[Comment]:
        return [
            c for c in self._s.comments.values()
            if c.draft_id == draft_id and c.status is not CommentStatus.WITHDRAWN
            and (article == ALL_ARTICLES or c.article_number == article)
            and not (unanswered_only and c.id in self._s.answers)
        ]

    async def list_by_draft(self, draft_id: int, article: int | None, unanswered_only: bool,
                            offset: int, limit: int) -> list[Comment]:
        newest_first = sorted(self._of_draft(draft_id, article, unanswered_only), key=lambda c: -c.id)
        return newest_first[offset:offset + limit]

    async def count_by_draft_filtered(self, draft_id: int, article: int | None, unanswered_only: bool) -> int:
        return len(self._of_draft(draft_id, article, unanswered_only))

    async def count_by_article(self, draft_id: int) -> dict[int | None, int]:
        counts: dict[int | None, int] = {}
        for c in self._of_draft(draft_id, ALL_ARTICLES, False):
            counts[c.article_number] = counts.get(c.article_number, 0) + 1
        return counts

    async def set_hidden(self, comment_id: int, reason: str | None) -> None:
        if comment_id in self._s.comments:
            self._s.comments[comment_id] = replace(self._s.comments[comment_id], hidden_reason=reason)

    async def all_of_draft(self, draft_id: int) -> list[Comment]:
        return [c for _, c in sorted(self._s.comments.items()) if c.draft_id == draft_id]


class FakeResidentRepository:
    def __init__(self, state: State) -> None:
        self._s = state

    async def get(self, user_id: int) -> Resident | None:
        return self._s.residents.get(user_id)

    async def languages(self, user_ids: list[int]) -> dict[int, str | None]:
        return {u: self._s.residents[u].language for u in user_ids if u in self._s.residents}

    async def save(self, resident: Resident) -> None:
        self._s.residents[resident.user_id] = resident

    async def delete(self, user_id: int) -> None:
        self._s.residents.pop(user_id, None)
        for key in [k for k in self._s.readers if k[1] == user_id]:
            del self._s.readers[key]

    async def subscribers(self) -> list[int]:
        return sorted(r.user_id for r in self._s.residents.values() if r.subscribed and r.privacy_accepted_at)

    async def record_reader(self, draft_id: int, user_id: int, at: datetime) -> None:
        self._s.readers.setdefault((draft_id, user_id), at)  # INSERT … ON CONFLICT DO NOTHING

    async def readers(self, draft_id: int) -> list[int]:
        return sorted(user for draft, user in self._s.readers if draft == draft_id)

    async def drafts_read_by(self, user_id: int) -> list[int]:
        return sorted(draft for draft, user in self._s.readers if user == user_id)


class FakeStaffRepository:
    def __init__(self, state: State) -> None:
        self._s = state

    async def get(self, user_id: int) -> StaffMember | None:
        return self._s.staff.get(user_id)

    async def list(self) -> list[StaffMember]:
        return sorted(self._s.staff.values(), key=lambda m: (m.added_at, m.user_id))

    async def save(self, member: StaffMember) -> None:
        current = self._s.staff.get(member.user_id)
        # As in SQL: an existing member keeps who added them and when; only the role changes.
        self._s.staff[member.user_id] = replace(current, role=member.role) if current else member

    async def delete(self, user_id: int) -> None:
        self._s.staff.pop(user_id, None)


class FakeAuditRepository:
    def __init__(self, state: State) -> None:
        self._s = state

    async def record(self, entry: AuditEntry) -> None:
        self._s.audit.append(replace(entry, id=len(self._s.audit) + 1))

    async def recent(self, limit: int) -> list[AuditEntry]:
        return list(reversed(self._s.audit))[:limit]


class FakeAnswerRepository:
    def __init__(self, state: State) -> None:
        self._s = state

    async def get(self, comment_id: int) -> Answer | None:
        return self._s.answers.get(comment_id)

    async def get_many(self, comment_ids: list[int]) -> dict[int, Answer]:
        return {i: self._s.answers[i] for i in comment_ids if i in self._s.answers}

    async def save(self, answer: Answer) -> None:
        if answer.comment_id not in self._s.comments:
            raise AssertionError(f"answer to unknown comment {answer.comment_id}")  # a foreign key
        self._s.answers[answer.comment_id] = answer

    async def of_draft(self, draft_id: int) -> dict[int, Answer]:
        return {i: a for i, a in self._s.answers.items() if self._s.comments[i].draft_id == draft_id}

    async def mark_published(self, comment_ids: list[int], at: datetime) -> None:
        for i in comment_ids:
            if i in self._s.answers:
                self._s.answers[i] = replace(self._s.answers[i], published_at=at)

    async def rating(self, comment_id: int) -> RatingRecord | None:
        return self._s.ratings.get(comment_id)

    async def save_rating(self, record: RatingRecord) -> None:
        if record.comment_id not in self._s.comments:
            raise AssertionError(f"rating of unknown comment {record.comment_id}")  # a foreign key
        self._s.ratings[record.comment_id] = record

    async def ratings_of_draft(self, draft_id: int) -> dict[int, RatingRecord]:
        return {i: r for i, r in self._s.ratings.items() if self._s.comments[i].draft_id == draft_id}


class FakeOutbox:
    def __init__(self, state: State) -> None:
        self._s = state

    async def add(self, notice: NewNotice) -> bool:
        if notice.idempotency_key in self._s.outbox:
            return False
        self._s.outbox[notice.idempotency_key] = notice
        self._s.outbox_status[notice.idempotency_key] = "pending"
        return True

    async def failed_count(self) -> int:
        return sum(1 for status in self._s.outbox_status.values() if status == "failed")


class FakeUnitOfWork:
    def __init__(self, db: FakeDatabase, writable: bool) -> None:
        self._db = db
        self._writable = writable
        self._work: State | None = None

    async def __aenter__(self) -> FakeUnitOfWork:
        self._work = self._db.committed.copy()
        self.drafts = FakeDraftRepository(self._work)
        self.comments = FakeCommentRepository(self._work)
        self.residents = FakeResidentRepository(self._work)
        self.staff = FakeStaffRepository(self._work)
        self.audit = FakeAuditRepository(self._work)
        self.answers = FakeAnswerRepository(self._work)
        self.outbox = FakeOutbox(self._work)
        self.synthesis = FakeSynthesisRepository(self._work)
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._work = None  # whatever was not committed is rolled back

    async def commit(self) -> None:
        if not self._writable:
            raise AssertionError("commit() on a read-only unit of work")
        assert self._work is not None, "commit() outside the `async with` block"
        self._db.committed = self._work.copy()
        self._db.commits += 1


class FakeDatabase:
    def __init__(self) -> None:
        self.committed = State()
        self.commits = 0

    def read(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, writable=False)

    def write(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, writable=True)


class FixedDetector:
    """A LanguageDetector that always answers the same code and remembers what it was asked."""

    def __init__(self, code: str | None = "zh") -> None:
        self.code = code
        self.seen: list[str] = []

    def detect(self, text: str) -> str | None:
        self.seen.append(text)
        return self.code


class Clock:
    """A settable clock: call it for the time, assign `now` or advance() to move it."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


SMALL_DRAFT = """长治市测试管理条例（草案）

第一章　总则
第一条　为了测试，制定本条例。
第二条　本条例适用于本市行政区域内的噪声管理。
第二章　附则
第三条　本条例自公布之日起施行。
"""


async def add_draft(
    db: FakeDatabase, opens_at: datetime, closes_at: datetime, source: str = SMALL_DRAFT,
    status: DraftStatus = DraftStatus.OPEN, summary: str = "summary",
) -> Draft:
    async with db.write() as uow:
        draft = await uow.drafts.add(
            NewDraft(parse_document(source).title, summary, "note", source, opens_at, closes_at, status)
        )
        await uow.commit()
    return draft


async def add_resident(db: FakeDatabase, user_id: int, accepted_at: datetime | None,
                       subscribed: bool = False) -> Resident:
    resident = Resident(user_id, privacy_accepted_at=accepted_at, created_at=accepted_at, subscribed=subscribed)
    async with db.write() as uow:
        await uow.residents.save(resident)
        await uow.commit()
    return resident


async def add_staff(db: FakeDatabase, user_id: int, role: StaffRole, at: datetime) -> StaffMember:
    member = StaffMember(user_id, role, None, at)
    async with db.write() as uow:
        await uow.staff.save(member)
        await uow.commit()
    return member


async def add_comment(db: FakeDatabase, draft_id: int, resident_id: int, article: int | None, at: datetime,
                      text: str = "意见") -> Comment:
    """A comment stored directly (no checks), numbered like Commenting numbers them."""
    async with db.write() as uow:
        sequence = await uow.comments.next_sequence(at.year)
        comment = await uow.comments.add(NewComment(draft_id, article, resident_id, text, "zh", None, at),
                                         format_tracking_number(at.year, sequence))
        await uow.commit()
    return comment


async def add_answer(db: FakeDatabase, comment_id: int, by: int, at: datetime, published_at: datetime | None = None,
                     version: int = 1) -> Answer:
    """An answer stored directly (no checks), published when `published_at` is given."""
    answer = Answer(comment_id, AnswerStatus.NOTED, "已收悉。", by, at, version, published_at)
    async with db.write() as uow:
        await uow.answers.save(answer)
        await uow.commit()
    return answer


async def add_rating(db: FakeDatabase, comment_id: int, rating: Rating, at: datetime,
                     follow_up: str | None = None) -> RatingRecord:
    record = RatingRecord(comment_id, rating, at, follow_up)
    async with db.write() as uow:
        await uow.answers.save_rating(record)
        await uow.commit()
    return record


def settle_notice(db: FakeDatabase, idempotency_key: str, status: str) -> None:
    """What the notifier does to a queued row (sent, failed, unreachable), outside any use case."""
    assert idempotency_key in db.committed.outbox
    db.committed.outbox_status[idempotency_key] = status


async def refused_without_trace(db: FakeDatabase, error: type[Exception], call) -> Exception:
    """Await a use case that must be refused; prove it committed nothing at all."""
    before, commits = db.committed.copy(), db.commits
    with pytest.raises(error) as caught:
        await call
    assert db.committed == before
    assert db.commits == commits
    return caught.value


async def refused_and_audited(db: FakeDatabase, error: type[Exception], call) -> AuditEntry:
    """Await a use case that must be refused; prove it committed one audit row and nothing else."""
    before = db.committed.copy()
    with pytest.raises(error):
        await call
    after = db.committed.copy()
    [row] = after.audit[len(before.audit):]
    after.audit = list(before.audit)
    assert after == before
    return row

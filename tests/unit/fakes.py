"""In-memory fakes of the ports in drafts/ports.py: no database, no Telegram.

FakeDatabase keeps a committed state; every unit of work copies it into a working state
and only commit() publishes the working state back. Leaving the `async with` block without
commit() throws the working state away, just as a rolled-back transaction would.
All stored values are frozen dataclasses, so copying the dicts is enough to isolate states.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from drafts.models import (
    Comment,
    CommentStatus,
    Draft,
    DraftOverview,
    DraftStatus,
    NewComment,
    NewDraft,
    Resident,
)
from drafts.parser import parse_document


@dataclass
class State:
    drafts: dict[int, Draft] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    residents: dict[int, Resident] = field(default_factory=dict)
    sequences: dict[int, int] = field(default_factory=dict)  # year -> last number handed out
    last_draft_id: int = 0
    last_comment_id: int = 0

    def copy(self) -> State:
        return State(
            dict(self.drafts), dict(self.comments), dict(self.residents), dict(self.sequences),
            self.last_draft_id, self.last_comment_id,
        )


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


class FakeResidentRepository:
    def __init__(self, state: State) -> None:
        self._s = state

    async def get(self, user_id: int) -> Resident | None:
        return self._s.residents.get(user_id)

    async def save(self, resident: Resident) -> None:
        self._s.residents[resident.user_id] = resident

    async def delete(self, user_id: int) -> None:
        self._s.residents.pop(user_id, None)


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


async def add_resident(db: FakeDatabase, user_id: int, accepted_at: datetime | None) -> Resident:
    resident = Resident(user_id, privacy_accepted_at=accepted_at, created_at=accepted_at)
    async with db.write() as uow:
        await uow.residents.save(resident)
        await uow.commit()
    return resident

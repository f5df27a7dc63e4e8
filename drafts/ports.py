"""The small interfaces the use cases need; storage implements them, unit tests fake them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from drafts.models import (
    Answer,
    Comment,
    Draft,
    DraftOverview,
    DraftStatus,
    NewComment,
    NewDraft,
    RatingRecord,
    Resident,
)
from drafts.notices import NewNotice
from drafts.staff import AuditEntry, StaffMember
from drafts.synthesis_source import SynthesisRepository

ALL_ARTICLES = -1  # list_by_draft: every comment; None: comments on the whole draft; n: on article n


class DraftRepository(Protocol):
    async def add(self, draft: NewDraft) -> Draft: ...
    async def get(self, draft_id: int) -> Draft | None: ...
    async def list_open(self, now: datetime) -> list[DraftOverview]: ...
    async def open_drafts(self, now: datetime) -> list[Draft]: ...
    async def count(self) -> int: ...
    async def list_all(self, include_archived: bool = False) -> list[Draft]: ...
    async def revise(self, draft_id: int, title: str, source: str, by: int, at: datetime,
                     note: str, summary: str) -> int:
        """Store a new version of the draft's document; returns the new version number."""

    async def set_closes_at(self, draft_id: int, closes_at: datetime) -> None: ...
    async def set_status(self, draft_id: int, status: DraftStatus) -> None: ...
    async def version_source(self, draft_id: int, version: int) -> str | None: ...


class CommentRepository(Protocol):
    async def next_sequence(self, year: int) -> int:
        """The next number of this year's tracking sequence; never hands one out twice."""

    async def add(self, comment: NewComment, tracking_number: str) -> Comment: ...
    async def get(self, comment_id: int) -> Comment | None: ...
    async def get_many(self, comment_ids: list[int]) -> dict[int, Comment]: ...
    async def get_by_tracking_number(self, tracking_number: str) -> Comment | None: ...
    async def update_text(self, comment_id: int, text: str, language: str | None, at: datetime) -> None: ...
    async def set_status(self, comment_id: int, status: str, at: datetime) -> None: ...
    async def list_by_resident(self, resident_id: int, offset: int, limit: int) -> list[Comment]: ...
    async def count_by_resident(self, resident_id: int) -> int: ...
    async def count_by_draft(self, draft_id: int) -> int:
        """Comments on the draft that were not withdrawn."""

    async def anonymise_resident(self, resident_id: int) -> int:
        """Detach a resident's comments from them (and drop signatures); returns how many."""

    async def list_by_draft(self, draft_id: int, article: int | None, unanswered_only: bool,
                            offset: int, limit: int) -> list[Comment]:
        """Newest first; `article` is ALL_ARTICLES, None (whole-draft comments) or a number.
        Withdrawn comments are left out."""

    async def count_by_draft_filtered(self, draft_id: int, article: int | None, unanswered_only: bool) -> int: ...
    async def count_by_article(self, draft_id: int) -> dict[int | None, int]:
        """Comments (not withdrawn) per article number; None is the whole draft."""

    async def set_hidden(self, comment_id: int, reason: str | None) -> None: ...
    async def all_of_draft(self, draft_id: int) -> list[Comment]:
        """Every comment of the draft, withdrawn ones included, oldest first (for the synthesis)."""


class ResidentRepository(Protocol):
    async def get(self, user_id: int) -> Resident | None: ...
    async def save(self, resident: Resident) -> None: ...
    async def delete(self, user_id: int) -> None: ...
    async def subscribers(self) -> list[int]:
        """Residents who subscribed to new drafts (and accepted the privacy notice)."""

    async def record_reader(self, draft_id: int, user_id: int, at: datetime) -> None:
        """Remember that a (consenting) resident opened the draft; once per draft."""

    async def readers(self, draft_id: int) -> list[int]: ...
    async def drafts_read_by(self, user_id: int) -> list[int]: ...
    async def languages(self, user_ids: list[int]) -> dict[int, str | None]:
        """The chosen language of each known resident among `user_ids` (one query for a batch)."""


class StaffRepository(Protocol):
    async def get(self, user_id: int) -> StaffMember | None: ...
    async def list(self) -> list[StaffMember]: ...
    async def save(self, member: StaffMember) -> None: ...
    async def delete(self, user_id: int) -> None: ...


class AuditRepository(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...
    async def recent(self, limit: int) -> list[AuditEntry]: ...


class AnswerRepository(Protocol):
    async def get(self, comment_id: int) -> Answer | None: ...
    async def get_many(self, comment_ids: list[int]) -> dict[int, Answer]: ...
    async def save(self, answer: Answer) -> None: ...
    async def of_draft(self, draft_id: int) -> dict[int, Answer]:
        """Answers of the draft's comments, by comment id."""

    async def mark_published(self, comment_ids: list[int], at: datetime) -> None: ...
    async def rating(self, comment_id: int) -> RatingRecord | None: ...
    async def save_rating(self, record: RatingRecord) -> None: ...
    async def ratings_of_draft(self, draft_id: int) -> dict[int, RatingRecord]: ...


class Outbox(Protocol):
    async def add(self, notice: NewNotice) -> bool:
        """Queue a notice; False (and nothing queued) when its idempotency key was used before."""

    async def failed_count(self) -> int:
        """Notices given up on (after every retry): staff must know that someone was not told."""


class UnitOfWork(Protocol):
    """One transaction. Leaving the `async with` block without commit() rolls it back."""

    drafts: DraftRepository
    comments: CommentRepository
    residents: ResidentRepository
    staff: StaffRepository
    audit: AuditRepository
    answers: AnswerRepository
    outbox: Outbox
    synthesis: SynthesisRepository

    async def __aenter__(self) -> UnitOfWork: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...


class Database(Protocol):
    def read(self) -> UnitOfWork: ...
    def write(self) -> UnitOfWork:
        """A transaction that will write (SQLite takes its write lock at BEGIN)."""


class LanguageDetector(Protocol):
    def detect(self, text: str) -> str | None:
        """ISO 639-1 code of the text's language, or None when unsure."""

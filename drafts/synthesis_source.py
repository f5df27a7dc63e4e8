"""The port the synthesis and the statistics read through, and what it hands out.

A draft may collect a million comments: the synthesis reads them as a stream (one row at a time,
oldest first, inside the caller's unit of work) and the statistics ask for aggregates the database
computes. Neither ever holds every comment in memory. storage/synthesis_repository.py implements it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from drafts.models import AnswerStatus, CommentStatus


@dataclass(frozen=True, slots=True)
class ExportedComment:
    """One comment of the draft and its answer, as the synthesis lays it out (withdrawn ones too)."""

    tracking_number: str
    article_number: int | None
    resident_id: int | None
    text: str
    language: str | None
    signed_name: str | None
    status: CommentStatus
    created_at: datetime
    hidden_reason: str | None
    answer_status: AnswerStatus | None
    answer_reply: str | None
    answer_published: bool


@dataclass(frozen=True)
class DraftFigures:
    """Counts of a draft's comments that are not withdrawn, as the database aggregates them."""

    comments: int
    commenters: int  # distinct residents, plus one per comment of a forgotten resident
    per_article: dict[int | None, int]  # None: the whole draft
    answered: int  # comments whose answer is published
    median_days_to_answer: float | None  # comment -> publication of its answer; None before any
    languages: dict[str | None, int]  # None: the detector was unsure
    satisfaction: dict[str, int] = field(default_factory=dict)  # rating -> count (ratings of any comment)


@dataclass(frozen=True, slots=True)
class AdoptedOpinion:
    """A comment (not withdrawn, not hidden) whose published answer adopts it, wholly or partly."""

    article_number: int | None
    text: str
    status: AnswerStatus
    reply: str


class SynthesisRepository(Protocol):
    async def count(self, draft_id: int) -> int:
        """Every comment of the draft, withdrawn ones included."""

    def stream(self, draft_id: int) -> AsyncIterator[ExportedComment]:
        """Every comment of the draft with its answer, oldest first, fetched in batches as consumed."""

    async def figures(self, draft_id: int) -> DraftFigures: ...
    async def published_answers(self, draft_id: int) -> dict[AnswerStatus, int]:
        """Published answers to comments that are not withdrawn, per answer status."""

    async def adopted_opinions(self, draft_id: int, limit: int) -> tuple[list[AdoptedOpinion], int]:
        """The first `limit` adopted opinions in document order (whole draft last, then oldest first),
        and how many there are in all."""

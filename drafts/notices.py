"""Notices for residents and staff, written to the outbox in the same transaction as their cause.

Delivery (rate limits, retries, quiet hours) belongs to the scheduler; here a notice is only a
row with a kind, a recipient, a JSON-ready payload and an idempotency key that makes queueing
the same notice twice impossible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class NoticeKind(StrEnum):
    FEEDBACK = "feedback"  # an answer to a resident's comment
    NEW_DRAFT = "new_draft"  # to subscribers
    ARTICLE_CHANGED = "article_changed"  # a revision changed an article the resident commented on
    REMINDER = "reminder"  # a consultation the resident read or commented on closes soon
    STAFF_CLOSED = "staff_closed"  # to staff: a consultation closed at its deadline
    STAFF_UNANSWERED = "staff_unanswered"  # to editors: comments still unanswered after closing
    STAFF_DIGEST = "staff_digest"  # to staff, weekly


@dataclass(frozen=True)
class NewNotice:
    kind: NoticeKind
    chat_id: int
    idempotency_key: str
    due_at: datetime
    payload: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    id: int
    kind: NoticeKind
    chat_id: int
    idempotency_key: str
    status: str  # pending | sent | failed | unreachable
    due_at: datetime
    payload: dict[str, object]
    attempts: int = 0


def feedback_key(comment_id: int, answer_version: int) -> str:
    return f"feedback:{comment_id}:{answer_version}"


def new_draft_key(draft_id: int, user_id: int) -> str:
    return f"new_draft:{draft_id}:{user_id}"


def reminder_key(draft_id: int, user_id: int) -> str:
    return f"reminder:{draft_id}:{user_id}"  # once per person per draft


def article_changed_key(draft_id: int, version: int, comment_id: int) -> str:
    return f"article_changed:{draft_id}:{version}:{comment_id}"

"""SQLAlchemy tables. Only storage/ sees these rows; repositories hand out domain objects."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, TypeDecorator, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def as_utc(moment: datetime) -> datetime:
    """Rows just written still hold the caller's datetimes; rows read back are UTC already."""
    return moment.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (which drops tzinfo) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class DraftRow(Base):
    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500))
    note: Mapped[str] = mapped_column(Text)
    # The document itself; the structure is parsed from it (and cached) on load, so the
    # text residents read and the text staff uploaded can never drift apart.
    source: Mapped[str] = mapped_column(Text)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class DraftVersionRow(Base):
    """Every version of a draft's document, so a revision can be compared with what came before."""

    __tablename__ = "draft_versions"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommentRow(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_number: Mapped[str] = mapped_column(String(32), unique=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    article_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # No foreign key: /forget deletes the resident and sets this to NULL, the comment stays.
    resident_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    signed_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ResidentRow(Base):
    __tablename__ = "residents"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Telegram said the chat is gone (blocked the bot, deactivated): stop sending notices.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TrackingSequenceRow(Base):
    __tablename__ = "tracking_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer)


class FsmStateRow(Base):
    """aiogram's conversation state, one row per (bot, chat, user, …) key."""

    __tablename__ = "fsm_states"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    # Kept apart from the key so /forget can find a person's rows exactly (keys also hold thread ids).
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    state: Mapped[str | None] = mapped_column(String(255), nullable=True)
    data: Mapped[str] = mapped_column(Text, default="{}")


class StaffRow(Base):
    __tablename__ = "staff"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    role: Mapped[str] = mapped_column(String(16))
    added_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int] = mapped_column(BigInteger, index=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    allowed: Mapped[bool] = mapped_column(Boolean)
    details: Mapped[str] = mapped_column(Text, default="")


class AnswerRow(Base):
    __tablename__ = "answers"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))
    reply: Mapped[str] = mapped_column(Text)
    answered_by: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotificationRow(Base):
    """The outbox: one row per notice, written with the action that causes it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    payload: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RatingRow(Base):
    """A resident's rating of the answer to their comment, and an optional follow-up."""

    __tablename__ = "ratings"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), primary_key=True, autoincrement=False)
    rating: Mapped[str] = mapped_column(String(24))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    follow_up: Mapped[str | None] = mapped_column(Text, nullable=True)


class DraftReaderRow(Base):
    """Who opened a draft (consenting residents only), so they can be reminded before its deadline."""

    __tablename__ = "draft_readers"

    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_read_at: Mapped[datetime] = mapped_column(UTCDateTime)

"""Shared values and builders for the integration tests."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from drafts.models import DraftStatus, NewComment, NewDraft

# The smallest document the parser accepts: a title and two articles.
TINY_SOURCE = "长治市测试条例（草案）\n第一条　为了测试，制定本条例。\n第二条　本条例自公布之日起施行。\n"

# Microseconds on purpose: they must survive the round trip through the database.
NOW = datetime(2026, 3, 15, 9, 30, 0, 123456, tzinfo=timezone.utc)

# A non-UTC zone, to check that storage normalises to UTC.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def new_draft(
    title: str = "长治市测试条例（草案）",
    opens_at: datetime = NOW - timedelta(days=1),
    closes_at: datetime = NOW + timedelta(days=30),
    status: DraftStatus = DraftStatus.OPEN,
) -> NewDraft:
    return NewDraft(title, "摘要", "说明", TINY_SOURCE, opens_at, closes_at, status)


def new_comment(
    draft_id: int,
    resident_id: int,
    text: str = "建议增加公示期。",
    created_at: datetime = NOW,
    article_number: int | None = 1,
    signed_name: str | None = None,
) -> NewComment:
    return NewComment(draft_id, article_number, resident_id, text, "zh", signed_name, created_at)

"""Moderation: hide a comment (spam, abuse, personal data) with a reason; block or unblock its author.

A hidden comment stays in the synthesis for staff and still gets its answer; it is only kept
out of public outputs. Staff act on a comment, never on a Telegram id they would have to see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from drafts.errors import CommentNotFound, ReplyRequired
from drafts.models import Comment
from drafts.ports import Database, UnitOfWork
from drafts.staff import Permission
from drafts.staff_directory import audit, authorize
from drafts.text import storable

REASON_LIMIT = 500


class Moderation:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def hide(self, actor: int, comment_id: int, reason: str | None) -> None:
        """Hide with a reason, or show again with reason None."""
        if reason is not None:
            reason = _reason(reason)
        now = self._clock()
        async with self._db.write() as uow:
            action = "comment.hide" if reason else "comment.unhide"
            await authorize(uow, actor, Permission.EDIT, action, "comment", comment_id, now)
            await _comment(uow, comment_id)
            await uow.comments.set_hidden(comment_id, reason)
            await audit(uow, actor, action, "comment", comment_id, now, details=reason or "")
            await uow.commit()

    async def block_author(self, actor: int, comment_id: int, reason: str | None) -> bool:
        """Block (or with reason None unblock) the resident who wrote the comment.
        False when the author can no longer be identified (they used /forget)."""
        if reason is not None:
            reason = _reason(reason)
        now = self._clock()
        async with self._db.write() as uow:
            action = "resident.block" if reason else "resident.unblock"
            await authorize(uow, actor, Permission.EDIT, action, "comment", comment_id, now)
            comment = await _comment(uow, comment_id)
            resident = await uow.residents.get(comment.resident_id) if comment.resident_id else None
            if resident is None:
                return False
            await uow.residents.save(replace(resident, blocked_reason=reason))
            # The audit names the comment, not the Telegram id: the trail stays pseudonymous.
            await audit(uow, actor, action, "comment", comment_id, now, details=reason or "")
            await uow.commit()
        return True


def _reason(reason: str) -> str:
    reason = storable(reason).strip()
    if not reason:
        raise ReplyRequired()
    return reason[:REASON_LIMIT]


async def _comment(uow: UnitOfWork, comment_id: int) -> Comment:
    comment = await uow.comments.get(comment_id)
    if comment is None:
        raise CommentNotFound(comment_id)
    return comment

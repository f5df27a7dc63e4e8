"""What a use case refuses, and why. Handlers translate each into a polite reply."""

from __future__ import annotations

from datetime import datetime


class ConsultationError(Exception):
    """Base of the refusals a resident can meet."""


class DraftNotFound(ConsultationError):
    pass


class ArticleNotFound(ConsultationError):
    pass


class ConsultationClosed(ConsultationError):
    def __init__(self, closes_at: datetime) -> None:
        super().__init__(f"the consultation closed at {closes_at.isoformat()}")
        self.closes_at = closes_at


class EmptyComment(ConsultationError):
    pass


class CommentTooLong(ConsultationError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"{length} characters; the limit is {limit}")
        self.length = length
        self.limit = limit


class CommentNotFound(ConsultationError):
    pass


class NotYourComment(ConsultationError):
    """Only the author may change a comment (callback data can be forged)."""


class CommentWithdrawn(ConsultationError):
    pass


class PrivacyNotAccepted(ConsultationError):
    """No comment is taken before the resident accepted the privacy notice (only a language
    choice may be kept before, so that the notice itself can be read in that language)."""


class ResidentBlocked(ConsultationError):
    """Moderation blocked this resident from commenting."""


class ConsultationNotOpenYet(ConsultationError):
    def __init__(self, opens_at: datetime) -> None:
        super().__init__(f"the consultation opens at {opens_at.isoformat()}")
        self.opens_at = opens_at


class StaffError(Exception):
    """Base of what a staff use case refuses."""


class NotAllowed(StaffError):
    """The user's role does not allow the action (or they are not staff). The attempt is audited."""


class InvalidDeadline(StaffError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "past" | "before_current" | "too_far"


class DraftNotEditable(StaffError):
    """Revising, extending and closing need an open draft; archiving needs a closed one."""


class ReplyRequired(StaffError):
    pass


class LastAdmin(StaffError):
    """Removing or demoting the last admin would leave nobody to manage staff."""

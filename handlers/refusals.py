"""The polite sentence for each refusal of a use case, in the resident's language."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from drafts.errors import (
    ArticleNotFound,
    CommentNotFound,
    CommentTooLong,
    CommentWithdrawn,
    ConsultationClosed,
    ConsultationError,
    ConsultationNotOpenYet,
    DraftNotFound,
    EmptyComment,
    NotYourComment,
    PrivacyNotAccepted,
    ResidentBlocked,
)


def refusal(error: ConsultationError) -> str:
    if isinstance(error, ConsultationClosed):
        return _("The consultation on this draft has closed, so comments can no longer be sent or changed. "
                 "Thank you for your interest; the committee will publish its answers here.")
    if isinstance(error, ConsultationNotOpenYet):
        return _("The consultation on this draft has not opened yet. Please come back when it opens.")
    if isinstance(error, CommentTooLong):
        return _("Your comment is {length} characters long; the limit is {limit}.").format(
            length=error.length, limit=error.limit)
    if isinstance(error, EmptyComment):
        return _("Your comment is empty. Please write it in one message.")
    if isinstance(error, (CommentNotFound, NotYourComment)):
        # Same answer for both: a forged id must not reveal whether a comment exists.
        return _("No such comment among yours.")
    if isinstance(error, CommentWithdrawn):
        return _("This comment was withdrawn and can no longer be changed.")
    if isinstance(error, ResidentBlocked):
        return _("Sorry, you can no longer send comments here. If you think this is a mistake, please contact "
                 "the committee's office.")
    if isinstance(error, PrivacyNotAccepted):
        return _("Please accept the privacy notice first: send /start.")
    if isinstance(error, (DraftNotFound, ArticleNotFound)):
        return _("This draft or article does not exist.")
    return _("Sorry, that cannot be done.")

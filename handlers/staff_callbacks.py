"""Callback data of the staff console. Every prefix starts with "s_" (see staff_access).

These values are hints for navigation only: who may act is decided from the sender's role in
the database, and every use case re-checks it.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from handlers.callbacks import Days, Id, Page, UserId


class StaffMenuCb(CallbackData, prefix="s_m"):
    to: str  # home | drafts | archived | publish | staff | audit


class StaffDraftCb(CallbackData, prefix="s_d"):
    draft: Id
    # view | articles | stats | chart | xlsx | csv | revise | extend | close | close_ok | archive | archive_ok
    # | publish_answers | publish_answers_ok
    action: str = "view"


class StaffDeadlineCb(CallbackData, prefix="s_p"):
    days: Days  # 15 / 30 / 45; 0: type a date; -1: cancel the upload


class StaffReviseCb(CallbackData, prefix="s_r"):
    confirm: bool


class StaffExtendCb(CallbackData, prefix="s_x"):
    draft: Id
    days: Days  # added to the current deadline; 0: type a date
    # The deadline the choice was offered for (Unix minutes; 0: not known): a second press of the same
    # button, or a press after a colleague extended, must not extend once more.
    since: Page = 0


class StaffArticlesCb(CallbackData, prefix="s_a"):
    draft: Id
    page: Page = 0


class StaffCommentsCb(CallbackData, prefix="s_c"):
    draft: Id
    article: Id = -1  # -1: every comment; 0: comments on the whole draft; n: article n
    unanswered: bool = False
    page: Page = 0


class StaffCommentCb(CallbackData, prefix="s_k"):
    comment: Id
    action: str = "view"  # view | answer | hide | unhide | block | unblock


class StaffBulkCb(CallbackData, prefix="s_b"):
    draft: Id
    article: Id  # 0: comments on the whole draft


class StaffAnswerStatusCb(CallbackData, prefix="s_s"):
    status: str  # adopted | partly_adopted | not_adopted | noted | cancel


class StaffMemberCb(CallbackData, prefix="s_u"):
    user: UserId
    action: str = "view"  # view | admin | editor | viewer | remove | remove_ok


def article_code(article: int | None) -> int:
    """Callback data cannot carry None: 0 stands for the whole draft."""
    return 0 if article is None else article


def article_from_code(code: int) -> int | None:
    return None if code == 0 else code

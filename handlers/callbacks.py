"""Callback data of every inline button. Short prefixes: Telegram allows 64 bytes.

Callback data comes from the client and can be forged: handlers re-check everything
(ownership, open consultation) in the use cases, never trusting these values.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class MenuCb(CallbackData, prefix="m"):
    to: str  # home | drafts | mine | search | lang | help | privacy


class DraftCb(CallbackData, prefix="d"):
    draft: int
    note: bool = False


class ChapterCb(CallbackData, prefix="c"):
    draft: int
    chapter: int
    page: int = 0


class ArticleCb(CallbackData, prefix="a"):
    draft: int
    number: int


class CommentOnCb(CallbackData, prefix="w"):
    draft: int
    article: int  # 0: the whole draft


class PreviewCb(CallbackData, prefix="p"):
    action: str  # submit | edit | cancel | sign | anonymous


class MineCb(CallbackData, prefix="my"):
    page: int = 0


class MyCommentCb(CallbackData, prefix="mc"):
    comment: int
    action: str  # view | edit | withdraw | confirm


class PrivacyCb(CallbackData, prefix="pv"):
    then: str = ""  # a deep-link payload to open once accepted


class LanguageCb(CallbackData, prefix="l"):
    code: str


class ForgetCb(CallbackData, prefix="f"):
    confirm: bool


class SubscribeCb(CallbackData, prefix="n"):
    on: bool


class ResultsCb(CallbackData, prefix="r"):
    draft: int  # 0: the list of past consultations


class RatingCb(CallbackData, prefix="rt"):
    comment: int
    rating: str  # satisfied | basically_satisfied | not_satisfied

"""Callback data of every inline button. Short prefixes: Telegram allows 64 bytes.

Callback data comes from the client and can be forged: handlers re-check everything
(ownership, open consultation) in the use cases, never trusting these values.
"""

from __future__ import annotations

from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# Numbers as the database and date arithmetic can take them. A forged value outside (2**31 would
# overflow PostgreSQL's INTEGER; a negative page, OFFSET) fails to unpack, so the press is answered
# as a stale button instead of failing a query.
Id = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]  # drafts, chapters, articles, comments
Page = Annotated[int, Field(ge=0, le=2**31 - 1)]
Days = Annotated[int, Field(ge=-1, le=3650)]
UserId = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]  # Telegram ids: BIGINT


class MenuCb(CallbackData, prefix="m"):
    to: str  # home | drafts | mine | search | lang | help | privacy


class DraftCb(CallbackData, prefix="d"):
    draft: Id
    note: bool = False


class ChapterCb(CallbackData, prefix="c"):
    draft: Id
    chapter: Id
    page: Page = 0


class ArticleCb(CallbackData, prefix="a"):
    draft: Id
    number: Id


class CommentOnCb(CallbackData, prefix="w"):
    draft: Id
    article: Id  # 0: the whole draft


class PreviewCb(CallbackData, prefix="p"):
    action: str  # submit | edit | cancel | sign | anonymous


class MineCb(CallbackData, prefix="my"):
    page: Page = 0


class MyCommentCb(CallbackData, prefix="mc"):
    comment: Id
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
    draft: Id  # 0: the list of past consultations


class RatingCb(CallbackData, prefix="rt"):
    comment: Id
    rating: str  # satisfied | basically_satisfied | not_satisfied

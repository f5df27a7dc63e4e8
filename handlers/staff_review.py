"""Staff review: a draft's comments by article, the comment lists, one comment, publishing the answers.

Answering and moderating one comment are in handlers/staff_answer.py. Editing buttons are shown
to editors only; the use cases check the role again, so a forged button is refused and audited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from html import escape
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.answering import Answering
from drafts.errors import (
    CommentNotFound,
    CommentWithdrawn,
    ConsultationError,
    DraftNotFound,
    NotAllowed,
    ReplyRequired,
    StaffError,
)
from drafts.models import Answer, AnswerStatus, Article, CommentStatus
from drafts.ports import ALL_ARTICLES
from drafts.reading import Reading
from drafts.review import Review
from drafts.staff import Permission, StaffRole, allows
from handlers.common import show
from handlers.notices import rating_label
from handlers.render import day, status_label, target_label
from handlers.staff_access import StaffOnly
from handlers.staff_callbacks import (
    StaffArticlesCb,
    StaffBulkCb,
    StaffCommentCb,
    StaffCommentsCb,
    StaffDraftCb,
    article_code,
    article_from_code,
)
from handlers.staff_menu import draft_page

ARTICLES_PER_PAGE = 10
COMMENTS_PER_PAGE = 5
PREVIEW = 60  # characters of a comment shown in a list
LANGUAGES = {"zh": "中文", "en": "English"}  # detected from the comment's text; other codes shown as they are


def answer_label(status: AnswerStatus) -> str:
    return {AnswerStatus.ADOPTED: _("adopted"), AnswerStatus.PARTLY_ADOPTED: _("partly adopted"),
            AnswerStatus.NOT_ADOPTED: _("not adopted"), AnswerStatus.NOTED: _("noted")}[status]


def article_label(article: int | None) -> str:
    return _("Whole draft") if article is None else Article(article, 0, None, ()).label


def answer_mark(answer: Answer) -> str:
    published = _("published") if answer.published_at else _("not yet published")
    return _("{status} ({published})").format(status=answer_label(answer.status), published=published)


def staff_refusal(error: Exception) -> str:
    if isinstance(error, NotAllowed):
        return _("Your staff role does not allow this. The attempt was recorded.")
    if isinstance(error, CommentNotFound):
        return _("This comment does not exist.")
    if isinstance(error, CommentWithdrawn):
        return _("This comment was withdrawn by its author and can no longer be answered.")
    if isinstance(error, DraftNotFound):
        return _("This draft does not exist.")
    if isinstance(error, ReplyRequired):
        return _("Please write the text in one message.")
    return _("Sorry, that cannot be done.")


def pager(kb: InlineKeyboardBuilder, page: int, pages: int, make: object) -> int:
    """◀️ n/m ▶️ buttons; returns how many were added (for adjust)."""
    if pages <= 1:
        return 0
    if page > 0:
        kb.button(text="◀️", callback_data=make(page - 1))
    kb.button(text=f"{page + 1}/{pages}", callback_data=make(page))
    if page < pages - 1:
        kb.button(text="▶️", callback_data=make(page + 1))
    return 1 + (page > 0) + (page < pages - 1)


async def articles(callback: CallbackQuery, callback_data: StaffArticlesCb, review: Review) -> None:
    overview = await review.overview(callback.from_user.id, callback_data.draft)
    counts = sorted(overview.per_article.items(), key=lambda item: (-item[1], item[0] or 0))
    pages = max(1, -(-len(counts) // ARTICLES_PER_PAGE))
    page = min(max(0, callback_data.page), pages - 1)
    kb = InlineKeyboardBuilder()
    shown = counts[page * ARTICLES_PER_PAGE:(page + 1) * ARTICLES_PER_PAGE]
    for article, count in shown:
        kb.button(text=f"{article_label(article)} · {count}",
                  callback_data=StaffCommentsCb(draft=overview.draft.id, article=article_code(article)))
    added = pager(kb, page, pages, lambda p: StaffArticlesCb(draft=overview.draft.id, page=p))
    kb.button(text=_("⬅️ Draft"), callback_data=StaffDraftCb(draft=overview.draft.id))
    kb.adjust(*([1] * len(shown)), *([added] if added else []), 1)
    text = f"<b>#{overview.draft.id} {escape(overview.draft.title)}</b>\n"
    text += (_("Comments by article, most commented first ({total} comments).").format(total=overview.total)
             if counts else _("No comments yet."))
    await show(callback, text, kb.as_markup())


async def comments_screen(actor: int, cb: StaffCommentsCb, role: StaffRole, review: Review,
                          reading: Reading) -> tuple[str, InlineKeyboardMarkup]:
    article = ALL_ARTICLES if cb.article == ALL_ARTICLES else article_from_code(cb.article)
    page = max(0, cb.page)
    found, total = await review.comments(actor, cb.draft, article, cb.unanswered, page * COMMENTS_PER_PAGE,
                                         COMMENTS_PER_PAGE)
    draft = await reading.draft(cb.draft)
    scope = _("all articles") if article == ALL_ARTICLES else article_label(article)
    heading = _("Unanswered comments") if cb.unanswered else _("Comments")
    lines = [f"<b>#{draft.id} {escape(draft.title)}</b>",
             _("{heading} · {scope} · {total} in all, newest first").format(heading=heading, scope=scope, total=total),
             ""]
    kb = InlineKeyboardBuilder()
    for comment, answer in found:
        parts = [f"<code>{comment.tracking_number}</code>", article_label(comment.article_number),
                 status_label(comment.status)]
        if answer is not None:
            parts.append(_("answer: {mark}").format(mark=answer_mark(answer)))
        if comment.hidden:
            parts.append(_("🙈 hidden"))
        tail = "…" if len(comment.text) > PREVIEW else ""
        lines += [" · ".join(parts), f"<i>{escape(comment.text[:PREVIEW])}{tail}</i>", ""]
        kb.button(text=comment.tracking_number, callback_data=StaffCommentCb(comment=comment.id))
    if not found:
        lines.append(_("No comments here."))
    pages = max(1, -(-total // COMMENTS_PER_PAGE))
    added = pager(kb, page, pages, lambda p: StaffCommentsCb(draft=cb.draft, article=cb.article,
                                                             unanswered=cb.unanswered, page=p))
    toggle = _("Show all") if cb.unanswered else _("Only unanswered")
    kb.button(text=toggle, callback_data=StaffCommentsCb(draft=cb.draft, article=cb.article,
                                                         unanswered=not cb.unanswered))
    bulk = 0
    if article != ALL_ARTICLES and allows(role, Permission.EDIT):
        bulk = len(await review.unanswered_ids(actor, cb.draft, article))
        if bulk:
            kb.button(text=_("✍️ Answer all unanswered ({count})").format(count=bulk),
                      callback_data=StaffBulkCb(draft=cb.draft, article=cb.article))
    if article != ALL_ARTICLES:
        kb.button(text=_("⬅️ Articles"), callback_data=StaffArticlesCb(draft=cb.draft))
    kb.button(text=_("⬅️ Draft"), callback_data=StaffDraftCb(draft=cb.draft))
    kb.adjust(*([1] * len(found)), *([added] if added else []), 1, *([1] if bulk else []), 2)
    return "\n".join(lines).strip(), kb.as_markup()


async def comments(callback: CallbackQuery, callback_data: StaffCommentsCb, review: Review, reading: Reading,
                   staff_role: StaffRole) -> None:
    await show(callback, *await comments_screen(callback.from_user.id, callback_data, staff_role, review, reading))


async def comment_screen(actor: int, comment_id: int, role: StaffRole, review: Review, tz: ZoneInfo,
                         notice: str = "") -> tuple[str, InlineKeyboardMarkup]:
    seen = await review.comment(actor, comment_id)
    comment, answer = seen.comment, seen.answer
    lines = [notice, ""] if notice else []
    lines += [_("Tracking number: <code>{number}</code>").format(number=comment.tracking_number),
              _("On: {target}").format(target=target_label(seen.draft.title, comment.article_number)),
              _("Sent: {date}").format(date=day(comment.created_at, tz)),
              _("Language: {language}").format(language=escape(LANGUAGES.get(comment.language, comment.language) or "—")),
              _("Status: {status}").format(status=status_label(comment.status))]
    if comment.signed_name:
        lines.append(_("Signed: {name}").format(name=escape(comment.signed_name)))
    if comment.hidden_reason is not None:
        lines.append(_("🙈 Hidden: {reason}").format(reason=escape(comment.hidden_reason)))
    if seen.author_blocked:
        lines.append(_("⛔ The author is blocked from commenting."))
    lines += ["", f"<blockquote>{escape(comment.text)}</blockquote>"]
    if answer is not None:
        lines += ["", _("<b>Answer</b>: {mark}").format(mark=answer_mark(answer)),
                  f"<blockquote>{escape(answer.reply)}</blockquote>"]
        if seen.rating is not None:
            lines.append(_("Resident's rating: {rating}").format(rating=rating_label(seen.rating.rating)))
            if seen.rating.follow_up:
                lines.append(_("Why: {follow_up}").format(follow_up=escape(seen.rating.follow_up)))
    else:
        lines += ["", _("Not answered yet.")]
    kb = InlineKeyboardBuilder()
    editor = allows(role, Permission.EDIT)
    if editor and comment.status is not CommentStatus.WITHDRAWN:
        kb.button(text=_("✏️ Edit answer") if answer else _("✍️ Answer"),
                  callback_data=StaffCommentCb(comment=comment.id, action="answer"))
    if editor:
        kb.button(text=_("👁 Unhide") if comment.hidden else _("🙈 Hide"),
                  callback_data=StaffCommentCb(comment=comment.id, action="unhide" if comment.hidden else "hide"))
        kb.button(text=_("✅ Unblock author") if seen.author_blocked else _("⛔ Block author"),
                  callback_data=StaffCommentCb(comment=comment.id,
                                               action="unblock" if seen.author_blocked else "block"))
    kb.button(text=_("⬅️ Comments"),
              callback_data=StaffCommentsCb(draft=comment.draft_id, article=article_code(comment.article_number)))
    kb.button(text=_("⬅️ Draft"), callback_data=StaffDraftCb(draft=comment.draft_id))
    kb.adjust(1, 2, 2)
    return "\n".join(lines), kb.as_markup()


async def comment_view(callback: CallbackQuery, callback_data: StaffCommentCb, review: Review,
                       staff_role: StaffRole, tz: ZoneInfo) -> None:
    await show(callback, *await comment_screen(callback.from_user.id, callback_data.comment, staff_role, review, tz))


async def ask_publish(callback: CallbackQuery, callback_data: StaffDraftCb, review: Review) -> None:
    overview = await review.overview(callback.from_user.id, callback_data.draft)
    if not overview.unpublished_answers:
        await callback.answer(_("No answers are waiting to be published."), show_alert=True)
        return
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, publish"), callback_data=StaffDraftCb(draft=callback_data.draft,
                                                                 action="publish_answers_ok"))
    kb.button(text=_("No"), callback_data=StaffDraftCb(draft=callback_data.draft))
    text = ngettext("Publish {n} answer on {title}? Its resident will receive the committee's answer.",
                    "Publish {n} answers on {title}? Each resident will receive the committee's answer.",
                    overview.unpublished_answers).format(n=overview.unpublished_answers,
                                                         title=f"《{escape(overview.draft.title)}》")
    await show(callback, text, kb.as_markup())


async def publish(callback: CallbackQuery, callback_data: StaffDraftCb, answering: Answering, review: Review,
                  reading: Reading, staff_role: StaffRole, tz: ZoneInfo) -> None:
    count = await answering.publish(callback.from_user.id, callback_data.draft)
    await draft_page(callback, callback_data.draft, review, reading, staff_role, tz)
    text = (ngettext("{n} answer published; its resident will receive the committee's answer.",
                     "{n} answers published; each resident will receive the committee's answer.", count)
            .format(n=count) if count else _("There were no unpublished answers: nothing was published."))
    await callback.message.answer(text)


def refusing(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Wraps a button handler: a use case's refusal becomes a polite alert, never a crash.
    (functools.wraps keeps the handler's signature, from which aiogram picks what to pass.)"""
    @wraps(handler)
    async def wrapped(callback: CallbackQuery, **data: object) -> None:
        try:
            await handler(callback, **data)
        except (StaffError, ConsultationError) as error:
            await callback.answer(staff_refusal(error), show_alert=True)
    return wrapped


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="staff_review")
    router.callback_query.register(refusing(articles), StaffArticlesCb.filter(), StaffOnly())
    router.callback_query.register(refusing(comments), StaffCommentsCb.filter(), StaffOnly())
    router.callback_query.register(refusing(comment_view), StaffCommentCb.filter(F.action == "view"), StaffOnly())
    router.callback_query.register(refusing(ask_publish), StaffDraftCb.filter(F.action == "publish_answers"),
                                   StaffOnly(Permission.EDIT))
    router.callback_query.register(refusing(publish), StaffDraftCb.filter(F.action == "publish_answers_ok"),
                                   StaffOnly())
    return router

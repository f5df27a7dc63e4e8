"""Writing a comment: the text, a preview with Submit / Edit / Cancel, signed or anonymous, a receipt.

The same flow edits an existing comment (state data carries its id). The receipt is sent
only after the use case returned, i.e. after the comment was committed.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from drafts.commenting import Commenting, check_comment_text
from drafts.errors import CommentTooLong, ConsultationError, EmptyComment, PrivacyNotAccepted
from drafts.models import Comment
from drafts.reading import Reading
from handlers import keyboards
from handlers.callbacks import CommentOnCb, PreviewCb
from handlers.common import show
from handlers.refusals import refusal
from handlers.render import day, target_label
from handlers.start import privacy_notice
from handlers.states import CommentFlow


async def start_comment(callback: CallbackQuery, callback_data: CommentOnCb, state: FSMContext,
                        commenting: Commenting) -> None:
    article = callback_data.article or None
    try:
        draft = await commenting.check_can_comment(callback.from_user.id, callback_data.draft)
        if article is not None and draft.document.article(article) is None:
            raise ConsultationError()
    except PrivacyNotAccepted:
        then = f"a{callback_data.draft}_{article}" if article else f"d{callback_data.draft}"
        await show(callback, privacy_notice(), keyboards.privacy_accept(then))
        return
    except ConsultationError as error:
        await callback.answer(refusal(error), show_alert=True)
        return
    await state.set_state(CommentFlow.writing)
    await state.set_data({"draft": draft.id, "article": article or 0, "title": draft.title})
    await callback.answer()
    await callback.message.answer(
        _("✍️ Write your comment on {target} in one message (up to 2000 characters).\n"
          "Send /cancel to stop.").format(target=target_label(draft.title, article))
    )


async def comment_text(message: Message, state: FSMContext) -> None:
    try:
        text = check_comment_text(message.text)
    except CommentTooLong as error:
        await message.answer(
            _("Your comment is {length} characters long; the limit is {limit}. Here is your text, so you "
              "can shorten it and send it again:").format(length=error.length, limit=error.limit)
        )
        await message.answer(message.text, parse_mode=None)  # plain text: nothing to escape, nothing lost
        return
    except EmptyComment:
        await message.answer(_("Your comment is empty. Please write it in one message."))
        return
    await state.update_data(text=text)
    await state.set_state(CommentFlow.preview)
    await show(message, *await preview_screen(state, message.from_user.full_name))


async def preview_screen(state: FSMContext, name: str | None) -> tuple[str, InlineKeyboardMarkup]:
    data = await state.get_data()
    editing = bool(data.get("comment"))
    signed = bool(data.get("signed"))
    signature = escape(name) if signed and name else _("anonymous")
    lines = [
        _("<b>Preview</b> of your comment on {target}:").format(target=target_label(data["title"], data["article"] or None)),
        "",
        f"<blockquote>{escape(data['text'])}</blockquote>",
    ]
    if not editing:
        lines.append(_("Signed: {name}").format(name=signature))
    lines += ["", _("Submit it, edit it, or cancel.")]
    return "\n".join(lines), keyboards.preview(signed, name, editing)


async def toggle_signature(callback: CallbackQuery, callback_data: PreviewCb, state: FSMContext) -> None:
    await state.update_data(signed=callback_data.action == "sign")
    await show(callback, *await preview_screen(state, callback.from_user.full_name))


async def edit_preview(callback: CallbackQuery, state: FSMContext) -> None:
    data = await state.get_data()
    await state.set_state(CommentFlow.writing)
    await show(callback, _("Send the new text of your comment in one message. Your current text follows, "
                           "so you can copy it:"))
    await callback.message.answer(data["text"], parse_mode=None)


async def cancel_preview(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(callback, _("Cancelled. Your comment was not sent."), keyboards.home_button())


async def submit(callback: CallbackQuery, state: FSMContext, commenting: Commenting, tz: ZoneInfo,
                 reading: Reading) -> None:
    data = await state.get_data()
    user = callback.from_user
    try:
        if data.get("comment"):
            comment = await commenting.edit(user.id, data["comment"], data["text"])
        else:
            name = user.full_name if data.get("signed") else None
            comment = await commenting.submit(user.id, data["draft"], data["article"] or None, data["text"], name)
    except ConsultationError as error:  # e.g. the deadline passed while they were writing
        await state.clear()
        await show(callback, refusal(error), keyboards.home_button())
        return
    await state.clear()  # only now: the comment is committed
    draft = await reading.draft(comment.draft_id)
    await show_receipt(callback, receipt(comment, data["title"], draft.closes_at, tz, edited=bool(data.get("comment"))))


async def show_receipt(callback: CallbackQuery, text: str) -> None:
    """The comment is in: without its receipt the resident would submit it again. If Telegram fails to
    show it, one more try as a new message (had the failed edit arrived after all, they see it twice)."""
    try:
        await show(callback, text, keyboards.home_button())
    except (TelegramNetworkError, TelegramRetryAfter, TelegramServerError) as error:
        await asyncio.sleep(min(error.retry_after, 5) if isinstance(error, TelegramRetryAfter) else 0)
        await callback.bot.send_message(callback.from_user.id, text, reply_markup=keyboards.home_button())


def receipt(comment: Comment, title: str, closes_at: datetime, tz: ZoneInfo, edited: bool) -> str:
    heading = _("✅ <b>Your comment was updated</b>") if edited else _("✅ <b>Comment received</b>")
    signature = escape(comment.signed_name) if comment.signed_name else _("anonymous")
    return "\n".join([
        heading,
        _("Tracking number: <code>{number}</code>").format(number=comment.tracking_number),
        _("On: {target}").format(target=target_label(title, comment.article_number)),
        _("Signed: {name}").format(name=signature),
        "",
        _("<b>What happens next:</b> the committee's staff study every comment. The consultation closes "
          "on {date}; until then you can edit or withdraw your comment in 🗂 My comments. After it closes, "
          "the committee's answer will reach you here. Check the status at any time with /track {number}.")
        .format(date=day(closes_at, tz), number=comment.tracking_number),
    ])


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="commenting")
    router.callback_query.register(start_comment, CommentOnCb.filter())
    router.message.register(comment_text, CommentFlow.writing, F.text, ~F.text.startswith("/"))
    router.callback_query.register(toggle_signature, CommentFlow.preview, PreviewCb.filter(F.action.in_({"sign", "anonymous"})))
    router.callback_query.register(edit_preview, CommentFlow.preview, PreviewCb.filter(F.action == "edit"))
    router.callback_query.register(cancel_preview, PreviewCb.filter(F.action == "cancel"))
    router.callback_query.register(submit, CommentFlow.preview, PreviewCb.filter(F.action == "submit"))
    return router

"""Staff acting on comments: answer one (or all unanswered of an article), hide, block the author.

Answer: a status button, then the reply typed in StaffFlow.answer_reply (data: comments, draft,
article, status). Hide / block: the reason typed in StaffFlow.hide_reason / block_reason (data:
comment). Buttons that only start a flow check the role here (and record a refusal); the use
cases check it again when they act.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.answering import REPLY_LIMIT, Answering
from drafts.errors import CommentNotFound, ConsultationError, NotAllowed, ReplyRequired, StaffError
from drafts.models import AnswerStatus, CommentStatus
from drafts.moderation import Moderation
from drafts.review import Review
from drafts.staff import Permission, StaffRole, allows
from drafts.staff_directory import StaffDirectory
from handlers.common import show
from handlers.staff_access import StaffOnly
from handlers.staff_callbacks import (
    StaffAnswerStatusCb,
    StaffBulkCb,
    StaffCommentCb,
    StaffCommentsCb,
    StaffDraftCb,
    article_code,
    article_from_code,
)
from handlers.staff_review import answer_label, article_label, comment_screen, refusing, staff_refusal
from handlers.states import StaffFlow

INPUT_STATES = (StaffFlow.answer_reply, StaffFlow.hide_reason, StaffFlow.block_reason)


async def editor_or_refuse(callback: CallbackQuery, staff_role: StaffRole, staff_directory: StaffDirectory) -> bool:
    if allows(staff_role, Permission.EDIT):
        return True
    await staff_directory.record_denied(callback.from_user.id, f"button:{(callback.data or '')[:60]}")
    await callback.answer(staff_refusal(NotAllowed(callback.data)), show_alert=True)
    return False


def status_buttons() -> InlineKeyboardBuilder:
    kb = InlineKeyboardBuilder()
    for status in AnswerStatus:
        kb.button(text=answer_label(status), callback_data=StaffAnswerStatusCb(status=status.value))
    kb.button(text=_("Cancel"), callback_data=StaffAnswerStatusCb(status="cancel"))
    kb.adjust(2, 2, 1)
    return kb


async def start_answer(callback: CallbackQuery, callback_data: StaffCommentCb, review: Review, state: FSMContext,
                       staff_role: StaffRole, staff_directory: StaffDirectory) -> None:
    if not await editor_or_refuse(callback, staff_role, staff_directory):
        return
    seen = await review.comment(callback.from_user.id, callback_data.comment)
    if seen.comment.status is CommentStatus.WITHDRAWN:
        await callback.answer(_("This comment was withdrawn by its author and can no longer be answered."),
                              show_alert=True)
        return
    await state.set_state(StaffFlow.answer_reply)
    await state.set_data({"comments": [seen.comment.id], "draft": seen.comment.draft_id,
                          "article": article_code(seen.comment.article_number), "status": None})
    await show(callback, _("Answer to <code>{number}</code>: choose the status.").format(
        number=seen.comment.tracking_number), status_buttons().as_markup())


async def start_bulk(callback: CallbackQuery, callback_data: StaffBulkCb, review: Review, state: FSMContext,
                     staff_role: StaffRole, staff_directory: StaffDirectory) -> None:
    if not await editor_or_refuse(callback, staff_role, staff_directory):
        return
    article = article_from_code(callback_data.article)
    ids = await review.unanswered_ids(callback.from_user.id, callback_data.draft, article)
    if not ids:
        await callback.answer(_("Every comment here is already answered."), show_alert=True)
        return
    await state.set_state(StaffFlow.answer_reply)
    await state.set_data({"comments": ids, "draft": callback_data.draft, "article": callback_data.article,
                          "status": None})
    await show(callback, ngettext(
        "One answer for the {n} unanswered comment on {article}: choose the status.",
        "One answer for all {n} unanswered comments on {article}: choose the status.", len(ids)).format(
        n=len(ids), article=article_label(article)), status_buttons().as_markup())


async def choose_status(callback: CallbackQuery, callback_data: StaffAnswerStatusCb, state: FSMContext) -> None:
    data = await state.get_data()
    if await state.get_state() != StaffFlow.answer_reply.state or not data.get("comments"):
        await callback.answer(_("This button is no longer active. Please start again from the main menu: /start"),
                              show_alert=True)
        return
    if callback_data.status == "cancel":
        await state.clear()
        await show(callback, _("Cancelled. No answer was saved."), back_buttons(data))
        return
    status = AnswerStatus(callback_data.status)
    await state.update_data(status=status.value)
    ask = (_("Status: {status}. Now send the reason in one message: a comment that is not adopted needs its "
             "reason. Up to {limit} characters; /cancel to stop.") if status is AnswerStatus.NOT_ADOPTED else
           _("Status: {status}. Now send the reply in one message, up to {limit} characters; /cancel to stop."))
    await show(callback, ask.format(status=answer_label(status), limit=REPLY_LIMIT))


def back_buttons(data: dict) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("⬅️ Comments"), callback_data=StaffCommentsCb(draft=data["draft"], article=data["article"]))
    kb.button(text=_("⬅️ Draft"), callback_data=StaffDraftCb(draft=data["draft"]))
    return kb.as_markup()


async def reply_text(message: Message, state: FSMContext, answering: Answering) -> None:
    data = await state.get_data()
    if not data.get("status"):
        await message.answer(_("Please choose the status with the buttons above first (or /cancel)."))
        return
    status = AnswerStatus(data["status"])
    try:
        count = await answering.answer(message.from_user.id, data["comments"], status, message.text or "")
    except ReplyRequired:
        length = len((message.text or "").strip())
        if length:
            await message.answer(_("The reply is {length} characters long; the limit is {limit}. Please shorten "
                                   "it and send it again.").format(length=length, limit=REPLY_LIMIT))
        elif status is AnswerStatus.NOT_ADOPTED:
            await message.answer(_("A reason is required when a comment is not adopted. Please write it."))
        else:
            await message.answer(_("The reply is empty. Please write it in one message."))
        return
    except (StaffError, ConsultationError) as error:
        await state.clear()
        await message.answer(staff_refusal(error))
        return
    await state.clear()
    await message.answer(ngettext(
        "Saved for {n} comment, not yet published; publish the draft's answers from its page.",
        "Saved for {n} comments, not yet published; publish the draft's answers from its page.", count).format(
        n=count), reply_markup=back_buttons(data))


async def start_reason(callback: CallbackQuery, callback_data: StaffCommentCb, review: Review, state: FSMContext,
                       staff_role: StaffRole, staff_directory: StaffDirectory) -> None:
    if not await editor_or_refuse(callback, staff_role, staff_directory):
        return
    seen = await review.comment(callback.from_user.id, callback_data.comment)
    number = seen.comment.tracking_number
    if callback_data.action == "hide":
        await state.set_state(StaffFlow.hide_reason)
        ask = _("Why hide <code>{number}</code>? Send the reason in one message (for example: advertising, abuse, "
                "personal data), or /cancel. A hidden comment stays in the synthesis and still gets its answer.")
    else:
        await state.set_state(StaffFlow.block_reason)
        ask = _("Why block the author of <code>{number}</code>? Send the reason in one message, or /cancel. "
                "They will no longer be able to send comments; their comments stay.")
    await state.set_data({"comment": seen.comment.id})
    await show(callback, ask.format(number=number))


async def reason_text(message: Message, state: FSMContext, moderation: Moderation, review: Review,
                      staff_role: StaffRole, tz: ZoneInfo) -> None:
    comment_id = (await state.get_data()).get("comment")
    if not isinstance(comment_id, int):
        await state.clear()
        await message.answer(staff_refusal(CommentNotFound(comment_id)))
        return
    hiding = await state.get_state() == StaffFlow.hide_reason.state
    try:
        if hiding:
            await moderation.hide(message.from_user.id, comment_id, message.text or "")
            notice = _("🙈 The comment is hidden.")
        else:
            found = await moderation.block_author(message.from_user.id, comment_id, message.text or "")
            notice = (_("⛔ The author is blocked.") if found else
                      _("The author deleted their data: there is nobody to block."))
    except ReplyRequired:
        await message.answer(_("Please send the reason as text in one message (or /cancel)."))
        return
    except (StaffError, ConsultationError) as error:
        await state.clear()
        await message.answer(staff_refusal(error))
        return
    await state.clear()
    await show(message, *await comment_screen(message.from_user.id, comment_id, staff_role, review, tz, notice))


async def undo(callback: CallbackQuery, callback_data: StaffCommentCb, moderation: Moderation, review: Review,
               staff_role: StaffRole, tz: ZoneInfo) -> None:
    if callback_data.action == "unhide":
        await moderation.hide(callback.from_user.id, callback_data.comment, None)
        notice = _("👁 The comment is visible again.")
    else:
        await moderation.block_author(callback.from_user.id, callback_data.comment, None)
        notice = _("✅ The author may comment again.")
    await show(callback, *await comment_screen(callback.from_user.id, callback_data.comment, staff_role, review, tz,
                                               notice))


async def not_text(message: Message) -> None:
    await message.answer(_("I am waiting for text: please send it as a text message, or /cancel to stop."))


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="staff_answer")
    staff = StaffOnly()
    router.callback_query.register(refusing(start_answer), StaffCommentCb.filter(F.action == "answer"), staff)
    router.callback_query.register(refusing(start_bulk), StaffBulkCb.filter(F.article >= 0), staff)
    router.callback_query.register(refusing(choose_status), StaffAnswerStatusCb.filter(
        F.status.in_({*AnswerStatus, "cancel"})), staff)
    router.callback_query.register(refusing(start_reason), StaffCommentCb.filter(F.action.in_({"hide", "block"})),
                                   staff)
    router.callback_query.register(refusing(undo), StaffCommentCb.filter(F.action.in_({"unhide", "unblock"})), staff)
    router.message.register(reply_text, StaffFlow.answer_reply, F.text, ~F.text.startswith("/"), staff)
    router.message.register(reason_text, StaffFlow.hide_reason, F.text, ~F.text.startswith("/"), staff)
    router.message.register(reason_text, StaffFlow.block_reason, F.text, ~F.text.startswith("/"), staff)
    for input_state in INPUT_STATES:
        router.message.register(not_text, input_state, ~F.text, staff)
    return router

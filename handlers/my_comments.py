"""My comments: a paginated list, one comment with edit / withdraw while open, and /track NUMBER."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.commenting import Commenting
from drafts.errors import ConsultationError
from drafts.models import Comment, CommentStatus
from drafts.reading import Reading
from drafts.tracking import parse_tracking_number
from handlers.callbacks import MenuCb, MineCb, MyCommentCb
from handlers.common import show
from handlers.refusals import refusal
from handlers.render import comment_card, status_label, target_label
from handlers.states import CommentFlow

PER_PAGE = 5


async def list_screen(resident_id: int, page: int, commenting: Commenting, reading: Reading) -> tuple[str, InlineKeyboardMarkup]:
    comments, total = await commenting.mine(resident_id, page * PER_PAGE, PER_PAGE)
    kb = InlineKeyboardBuilder()
    if not total:
        kb.button(text=_("📜 Open drafts"), callback_data=MenuCb(to="drafts"))
        kb.button(text=_("🏠 Main menu"), callback_data=MenuCb(to="home"))
        kb.adjust(1)
        return _("You have not sent any comment yet. Open a draft and comment on an article."), kb.as_markup()
    pages = -(-total // PER_PAGE)
    lines = [_("<b>Your comments</b> ({total})").format(total=total), ""]
    for comment in comments:
        title = (await reading.draft(comment.draft_id)).title
        lines.append(f"<code>{comment.tracking_number}</code> · {target_label(title, comment.article_number)}"
                     f" · {status_label(comment.status)}")
        kb.button(text=comment.tracking_number, callback_data=MyCommentCb(comment=comment.id, action="view"))
    sizes = [1] * len(comments)
    if pages > 1:
        if page > 0:
            kb.button(text="◀️", callback_data=MineCb(page=page - 1))
        kb.button(text=f"{page + 1}/{pages}", callback_data=MineCb(page=page))
        if page < pages - 1:
            kb.button(text="▶️", callback_data=MineCb(page=page + 1))
        sizes.append(1 + (page > 0) + (page < pages - 1))
    kb.button(text=_("🏠 Main menu"), callback_data=MenuCb(to="home"))
    kb.adjust(*sizes, 1)
    return "\n".join(lines), kb.as_markup()


async def mine_command(message: Message, commenting: Commenting, reading: Reading) -> None:
    await show(message, *await list_screen(message.from_user.id, 0, commenting, reading))


async def mine_button(callback: CallbackQuery, commenting: Commenting, reading: Reading) -> None:
    await show(callback, *await list_screen(callback.from_user.id, 0, commenting, reading))


async def mine_page(callback: CallbackQuery, callback_data: MineCb, commenting: Commenting, reading: Reading) -> None:
    page = max(0, callback_data.page)
    await show(callback, *await list_screen(callback.from_user.id, page, commenting, reading))


def comment_buttons(comment: Comment, changeable: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if changeable:
        kb.button(text=_("✏️ Edit"), callback_data=MyCommentCb(comment=comment.id, action="edit"))
        kb.button(text=_("↩️ Withdraw"), callback_data=MyCommentCb(comment=comment.id, action="withdraw"))
    kb.button(text=_("⬅️ My comments"), callback_data=MineCb(page=0))
    kb.adjust(2, 1)
    return kb.as_markup()


async def view(callback: CallbackQuery, callback_data: MyCommentCb, commenting: Commenting, reading: Reading,
               tz: ZoneInfo) -> None:
    try:
        comment = await commenting.comment(callback.from_user.id, callback_data.comment)
    except ConsultationError as error:
        await callback.answer(refusal(error), show_alert=True)
        return
    draft = await reading.draft(comment.draft_id)
    is_open = reading.is_open(draft)
    text = comment_card(comment, draft.title, tz, show_text=True)
    if not is_open and comment.status is not CommentStatus.WITHDRAWN:
        text += "\n\n" + _("The consultation has closed: this comment can no longer be edited or withdrawn.")
    await show(callback, text, comment_buttons(comment, is_open and comment.status is CommentStatus.RECEIVED))


async def edit(callback: CallbackQuery, callback_data: MyCommentCb, commenting: Commenting, reading: Reading,
               state: FSMContext) -> None:
    try:
        comment = await commenting.check_can_change(callback.from_user.id, callback_data.comment)
    except ConsultationError as error:
        await callback.answer(refusal(error), show_alert=True)
        return
    draft = await reading.draft(comment.draft_id)
    await state.set_state(CommentFlow.writing)
    await state.set_data({"comment": comment.id, "draft": comment.draft_id,
                          "article": comment.article_number or 0, "title": draft.title})
    await show(callback, _("Send the new text of your comment in one message. Your current text follows, "
                           "so you can copy it:"))
    await callback.message.answer(comment.text, parse_mode=None)


async def ask_withdraw(callback: CallbackQuery, callback_data: MyCommentCb) -> None:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, withdraw it"), callback_data=MyCommentCb(comment=callback_data.comment, action="confirm"))
    kb.button(text=_("No, keep it"), callback_data=MyCommentCb(comment=callback_data.comment, action="view"))
    await show(callback, _("Withdraw this comment? The committee will no longer consider it."), kb.as_markup())


async def withdraw(callback: CallbackQuery, callback_data: MyCommentCb, commenting: Commenting,
                   reading: Reading, tz: ZoneInfo) -> None:
    try:
        comment = await commenting.withdraw(callback.from_user.id, callback_data.comment)
    except ConsultationError as error:
        await callback.answer(refusal(error), show_alert=True)
        return
    draft = await reading.draft(comment.draft_id)
    text = _("↩️ Your comment was withdrawn.") + "\n\n" + comment_card(comment, draft.title, tz, show_text=True)
    await show(callback, text, comment_buttons(comment, changeable=False))


async def track(message: Message, command: CommandObject, commenting: Commenting, reading: Reading,
                tz: ZoneInfo) -> None:
    number = parse_tracking_number(command.args or "")
    if number is None:
        await message.answer(_("Please send the tracking number after the command, for example: "
                               "<code>/track YJ-2026-000123</code>"))
        return
    try:
        comment = await commenting.track(number)
    except ConsultationError:
        await message.answer(_("No comment has the tracking number {number}. Please check it.").format(number=number))
        return
    draft = await reading.draft(comment.draft_id)
    # The text and signature are shown to the author only; anyone holding the number sees the status.
    mine = comment.resident_id == message.from_user.id
    await message.answer(comment_card(comment, draft.title, tz, show_text=mine))


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="my_comments")
    router.message.register(mine_command, Command("mycomments"))
    router.callback_query.register(mine_button, MenuCb.filter(F.to == "mine"))
    router.callback_query.register(mine_page, MineCb.filter())
    router.callback_query.register(view, MyCommentCb.filter(F.action == "view"))
    router.callback_query.register(edit, MyCommentCb.filter(F.action == "edit"))
    router.callback_query.register(ask_withdraw, MyCommentCb.filter(F.action == "withdraw"))
    router.callback_query.register(withdraw, MyCommentCb.filter(F.action == "confirm"))
    router.message.register(track, Command("track"))
    return router

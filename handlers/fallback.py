"""Last in line: /cancel, unknown commands, non-text input and stale buttons.

Whatever arrives, the resident is told what the bot expects now, judged by the conversation
state, so nobody is left wondering why nothing happened.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from handlers import keyboards
from handlers.states import CommentFlow, RatingFlow, SearchFlow, StaffFlow


def expectation(state: str | None) -> str:
    if state == CommentFlow.writing.state:
        return _("I am waiting for the text of your comment: please write it in one text message, "
                 "or send /cancel to stop.")
    if state == CommentFlow.preview.state:
        return _("Your comment is waiting in the preview above: press Submit, Edit or Cancel there "
                 "(or send /cancel).")
    if state == SearchFlow.words.state:
        return _("I am waiting for the words to search for, as a text message (or /cancel).")
    if state == RatingFlow.follow_up.state:
        return _("I am waiting for your explanation, as a text message (or /cancel).")
    if state in {StaffFlow.revise_upload.state}:
        return _("I am waiting for the document of the new version (.docx, .txt or .md), or /cancel.")
    if state is not None and state.startswith(StaffFlow.__name__):
        return _("I am waiting for your answer to the question above, as a text message (or /cancel).")
    return _("Please use the buttons, or a command from /help.")


async def cancel(message: Message, state: FSMContext) -> None:
    had_state = await state.get_state() is not None
    await state.clear()
    text = _("Cancelled. Nothing was sent.") if had_state else _("There is nothing to cancel.")
    await message.answer(text, reply_markup=keyboards.main_menu())


async def unknown_command(message: Message, state: FSMContext) -> None:
    await message.answer(_("I do not know this command.") + " " + expectation(await state.get_state()))


async def stray_text(message: Message, state: FSMContext) -> None:
    await message.answer(expectation(await state.get_state()), reply_markup=keyboards.main_menu())


async def not_text(message: Message, state: FSMContext) -> None:
    # Photos, stickers, voice, files, locations…: we only read text.
    await message.answer(_("I can only read text messages.") + " " + expectation(await state.get_state()))


async def stale_button(callback: CallbackQuery) -> None:
    await callback.answer(_("This button is no longer active. Please start again from the main menu: /start"),
                          show_alert=True)


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="fallback")
    router.message.register(cancel, Command("cancel"))
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(stray_text, F.text)
    router.message.register(not_text)
    router.callback_query.register(stale_button)
    return router

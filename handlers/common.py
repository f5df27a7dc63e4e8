"""Small helpers shared by the handlers: showing a screen in place, typed workflow data."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message


async def show(target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Navigation edits the message the button was on, so the chat is not flooded."""
    if isinstance(target, Message):
        await target.answer(text, reply_markup=markup)
        return
    try:
        await target.answer()
    except (TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter, TelegramServerError):
        pass  # it only stops the button's spinner; the screen below (a receipt, say) must still come
    message = target.message
    if isinstance(message, Message) and message.text is not None:
        try:
            await message.edit_text(text, reply_markup=markup)
            return
        except TelegramBadRequest as error:
            if "message is not modified" in error.message:
                return
            # e.g. the message is too old to edit: fall through and send a fresh one
    await target.bot.send_message(target.from_user.id, text, reply_markup=markup)

"""Edits of messages already sent, in the private chat: the bot read the first version.

Telegram lets a resident edit a message after sending it, but what the bot took (a comment in the
preview, search words) is the text as first sent. Saying so, with what the bot expects now, beats
silence: the resident would otherwise believe the edit counted.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from handlers.fallback import expectation


async def edited(message: Message, state: FSMContext) -> None:
    await message.answer(_("I do not see changes to a message already sent; please send it again as a new "
                           "message.") + " " + expectation(await state.get_state()))


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="edits")
    router.edited_message.register(edited, F.chat.type == "private")
    return router

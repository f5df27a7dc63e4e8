"""Groups and channels: Yijian talks with residents in private chats only.

Added to a group (or on its first message there), it says so once and points to the private
chat, then stays quiet: what residents write is between them and the committee. Channel posts
and edits in groups are ignored. "Once" holds across restarts and instances: the mark is kept in
the conversation-state storage (SQL or Redis) under the group's own key, written under the same
per-key lock aiogram uses for conversations, so two members writing at once cannot both trigger it.
"""

from __future__ import annotations

import logging
from html import escape

from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

log = logging.getLogger(__name__)
GROUPS = {"group", "supergroup"}
NOTICE_DESTINY = "private_only_notice"  # a storage key of its own, next to no conversation


def private_only(link: str) -> str:
    return _("👋 I am Yijian, the channel of the people's congress for comments on draft regulations. "
             "I work only in private chats, so that what residents write stays between them and the "
             "committee. Please write to me directly: {link}").format(link=link)


async def bot_link(bot: Bot) -> str:
    me = await bot.me()  # cached by aiogram after the first call
    username = escape(me.username or "")
    return f'<a href="https://t.me/{username}">@{username}</a>' if username else escape(me.first_name)


async def stay_quiet(event: TelegramObject) -> None:
    """Channel posts, edits in groups, other membership changes: nothing to say."""


async def group_callback(callback: CallbackQuery) -> None:
    # A toast only the presser sees: the group stays quiet, the spinner stops.
    username = (await callback.bot.me()).username
    await callback.answer(_("I work only in private chats. Please write to me directly: @{username}")
                          .format(username=username), show_alert=True)  # plain text, under the 200-character limit


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only. Registered first."""
    router = Router(name="groups")

    def notice_key(bot: Bot, chat_id: int) -> StorageKey:
        return StorageKey(bot_id=bot.id, chat_id=chat_id, user_id=chat_id, destiny=NOTICE_DESTINY)

    async def tell_once(bot: Bot, chat_id: int) -> None:
        dp = router.parent_router
        assert isinstance(dp, Dispatcher), "the groups router is included in the dispatcher itself"
        key = notice_key(bot, chat_id)
        async with dp.fsm.events_isolation.lock(key):
            if (await dp.fsm.storage.get_data(key)).get("told"):
                return
            try:
                await bot.send_message(chat_id, private_only(await bot_link(bot)))
            except (TelegramForbiddenError, TelegramBadRequest) as error:  # removed, or may not write there
                log.info("could not tell group %s that I work in private chats: %s", chat_id, error)
            await dp.fsm.storage.set_data(key, {"told": True})  # only after sending: a failed send retries

    async def group_message(message: Message, bot: Bot) -> None:
        if message.migrate_to_chat_id or message.migrate_from_chat_id:
            await migrated(message, bot)
            return
        await tell_once(bot, message.chat.id)

    async def migrated(message: Message, bot: Bot) -> None:
        """A group that became a supergroup gets a new id; it was told already if the old one was."""
        dp = router.parent_router
        assert isinstance(dp, Dispatcher)
        if message.migrate_from_chat_id and (await dp.fsm.storage.get_data(
                notice_key(bot, message.migrate_from_chat_id))).get("told"):
            await dp.fsm.storage.set_data(notice_key(bot, message.chat.id), {"told": True})

    async def added(event: ChatMemberUpdated, bot: Bot) -> None:
        await tell_once(bot, event.chat.id)

    in_group = F.chat.type.in_(GROUPS)
    router.message.register(group_message, in_group)
    router.edited_message.register(stay_quiet, in_group | (F.chat.type == "channel"))
    router.channel_post.register(stay_quiet)
    router.edited_channel_post.register(stay_quiet)
    router.my_chat_member.register(added, in_group, F.new_chat_member.status.in_({"member", "administrator"}))
    router.my_chat_member.register(stay_quiet)
    router.callback_query.register(group_callback, F.message.chat.type.in_(GROUPS))
    return router

"""The bot's command menu (setMyCommands), in each language we speak."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _


def command_menu() -> list[BotCommand]:
    return [
        BotCommand(command="start", description=_("Main menu")),
        BotCommand(command="drafts", description=_("Drafts open for comment")),
        BotCommand(command="mycomments", description=_("My comments")),
        BotCommand(command="track", description=_("Status of a comment by its tracking number")),
        BotCommand(command="search", description=_("Find articles containing words")),
        BotCommand(command="subscribe", description=_("Notices of new drafts")),
        BotCommand(command="language", description=_("Language: 中文 / English")),
        BotCommand(command="help", description=_("How Yijian works")),
        BotCommand(command="cancel", description=_("Stop what you are doing")),
        BotCommand(command="privacy", description=_("What we store and why")),
        BotCommand(command="mydata", description=_("A copy of your data")),
        BotCommand(command="forget", description=_("Delete your personal data")),
    ]


async def register_commands(bot: Bot, i18n: I18n) -> None:
    with i18n.context():
        for locale in sorted(i18n.available_locales):
            with i18n.use_locale(locale):
                await bot.set_my_commands(command_menu(), language_code=locale)
        with i18n.use_locale(i18n.default_locale):
            await bot.set_my_commands(command_menu())  # users whose language we do not speak

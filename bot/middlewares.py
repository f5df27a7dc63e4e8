"""Update middlewares: an apology when something breaks, the resident, and their locale."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import TelegramObject, Update, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from aiogram.utils.i18n import gettext as _

from bot.i18n import locale_of
from drafts.residents import Residents
from drafts.staff_directory import StaffDirectory

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
log = logging.getLogger(__name__)


class ApologyMiddleware(BaseMiddleware):
    """Outermost of ours: if anything below fails (the database is down, a bug), the resident
    hears so in their language, and learns that nothing they already submitted is lost:
    a comment is acknowledged only after it was committed, and the conversation state is kept."""

    def __init__(self, i18n: I18n) -> None:
        self.i18n = i18n

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except Exception:
            log.exception("update failed")
            user: User | None = data.get("event_from_user")
            bot: Bot | None = data.get("bot")
            if user is None or bot is None or not isinstance(event, Update):
                return None
            locale = locale_of(user.language_code, self.i18n.available_locales) or self.i18n.default_locale
            with self.i18n.context(), self.i18n.use_locale(locale):
                text = _("Sorry, something went wrong on our side. Nothing you already submitted is lost; "
                         "please try again in a moment.")
            try:
                if event.callback_query is not None:
                    try:
                        await event.callback_query.answer(text, show_alert=True)
                        return None
                    except TelegramBadRequest:  # the handler had answered it: Telegram takes one answer
                        pass
                await bot.send_message(user.id, text)
            except Exception:  # noqa: BLE001 - the apology is best effort; the log has the cause
                log.warning("could not apologise to %s", user.id)
            return None


class ResidentMiddleware(BaseMiddleware):
    """Loads who sent the update: the resident (None before they accepted anything: language,
    consent) and their staff role (None for residents), read from the database every time."""

    def __init__(self, residents: Residents, staff: StaffDirectory) -> None:
        self.residents = residents
        self.staff = staff

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        resident = await self.residents.get(user.id) if user else None
        if resident is not None and resident.unreachable_at is not None:
            await self.residents.reachable_again(resident.user_id)  # they are back: notices may go again
        data["resident"] = resident
        data["staff_role"] = await self.staff.role_of(user.id) if user else None
        return await handler(event, data)


class ResidentLocaleMiddleware(I18nMiddleware):
    """The resident's choice, else Telegram's language_code, else DEFAULT_LANGUAGE."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        resident = data.get("resident")
        if resident is not None and resident.language in self.i18n.available_locales:
            return str(resident.language)
        user: User | None = data.get("event_from_user")
        return locale_of(user.language_code if user else None, self.i18n.available_locales) or self.i18n.default_locale

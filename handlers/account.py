"""The resident's own settings and data: /language, /mydata, /forget."""

from __future__ import annotations

import json

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.errors import PrivacyNotAccepted
from drafts.models import Resident
from drafts.residents import Residents
from handlers import keyboards
from handlers.callbacks import ForgetCb, LanguageCb, MenuCb, SubscribeCb
from handlers.common import show
from handlers.start import greeting, privacy_notice


async def language_command(message: Message) -> None:
    await message.answer(_("Choose your language:"), reply_markup=keyboards.languages())


async def language_button(callback: CallbackQuery) -> None:
    await show(callback, _("Choose your language:"), keyboards.languages())


async def choose_language(callback: CallbackQuery, callback_data: LanguageCb, residents: Residents,
                          i18n: I18n, resident: Resident | None) -> None:
    if callback_data.code not in i18n.available_locales:
        await callback.answer(_("This language is not available."), show_alert=True)
        return
    await residents.choose_language(callback.from_user.id, callback_data.code)
    with i18n.use_locale(callback_data.code):  # answer in the language just chosen
        if resident is None or resident.privacy_accepted_at is None:
            # Chosen from the privacy notice: show the notice again, now readable.
            await show(callback, greeting() + "\n\n" + privacy_notice(), keyboards.privacy_accept(""))
        else:
            await show(callback, _("Language set to English."), keyboards.main_menu())


def subscription_screen(subscribed: bool) -> tuple[str, InlineKeyboardMarkup]:
    kb = InlineKeyboardBuilder()
    if subscribed:
        text = _("🔔 You will receive a notice when a new draft is published for comment.")
        kb.button(text=_("🔕 Stop these notices"), callback_data=SubscribeCb(on=False))
    else:
        text = _("🔕 You receive no notice of new drafts. Subscribe to hear when a new draft is published for comment.")
        kb.button(text=_("🔔 Subscribe"), callback_data=SubscribeCb(on=True))
    kb.button(text=_("🏠 Main menu"), callback_data=MenuCb(to="home"))
    kb.adjust(1)
    return text, kb.as_markup()


async def subscription_command(message: Message, resident: Resident | None) -> None:
    await show(message, *subscription_screen(bool(resident and resident.subscribed)))


async def subscription_button(callback: CallbackQuery, resident: Resident | None) -> None:
    await show(callback, *subscription_screen(bool(resident and resident.subscribed)))


async def subscribe(callback: CallbackQuery, callback_data: SubscribeCb, residents: Residents) -> None:
    try:
        updated = await residents.set_subscribed(callback.from_user.id, callback_data.on)
    except PrivacyNotAccepted:
        await show(callback, privacy_notice(), keyboards.privacy_accept(""))
        return
    await show(callback, *subscription_screen(updated.subscribed))


async def my_data(message: Message, residents: Residents, state: FSMContext) -> None:
    data = await residents.export(message.from_user.id)
    # A comment being written is stored too (so it survives a restart): it belongs in the copy.
    data["conversation"] = {"state": await state.get_state(), "data": await state.get_data()}
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    await message.answer_document(
        BufferedInputFile(content, filename="yijian-my-data.json"),
        caption=_("Everything Yijian stores about you: your settings and {count} comments.").format(
            count=len(data["comments"])),  # type: ignore[arg-type]
    )


async def forget_command(message: Message) -> None:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, delete my data"), callback_data=ForgetCb(confirm=True))
    kb.button(text=_("No, keep it"), callback_data=ForgetCb(confirm=False))
    await message.answer(
        _("Delete your personal data? Your language choice and privacy consent are deleted and your comments "
          "are detached from you (they stay, anonymised, so the committee can still consider them). "
          "You will no longer receive answers to them."),
        reply_markup=kb.as_markup(),
    )


async def forget(callback: CallbackQuery, callback_data: ForgetCb, residents: Residents, state: FSMContext,
                 fsm_storage: BaseStorage) -> None:
    if not callback_data.confirm:
        await show(callback, _("Nothing was deleted."), keyboards.home_button())
        return
    kept = await residents.forget(callback.from_user.id)
    await state.clear()
    forget_user = getattr(fsm_storage, "forget_user", None)
    if forget_user is not None:
        await forget_user(callback.from_user.id)
    await show(callback, _("Your personal data was deleted; {count} comments stay, anonymised. "
                           "Send /start if you want to take part again.").format(count=kept))


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="account")
    router.message.register(language_command, Command("language"))
    router.callback_query.register(language_button, MenuCb.filter(F.to == "lang"))
    router.callback_query.register(choose_language, LanguageCb.filter())
    router.message.register(subscription_command, Command("subscribe"))
    router.callback_query.register(subscription_button, MenuCb.filter(F.to == "subscribe"))
    router.callback_query.register(subscribe, SubscribeCb.filter())
    router.message.register(my_data, Command("mydata"))
    router.message.register(forget_command, Command("forget"))
    router.callback_query.register(forget, ForgetCb.filter())
    return router

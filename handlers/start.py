"""/start (with deep links), the privacy notice accepted once, the main menu, /help, /privacy."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from drafts.errors import ArticleNotFound, DraftNotFound
from drafts.models import Resident
from drafts.reading import Reading
from drafts.residents import Residents
from handlers import keyboards
from handlers.browse import article_screen, draft_screen
from handlers.callbacks import MenuCb, PrivacyCb
from handlers.common import show

# Deep links the committee prints in news posts and on posters: d<draft>, a<draft>_<article>.
DEEP_LINK = re.compile(r"^(?:d(\d{1,9})|a(\d{1,9})_(\d{1,4}))$")


def greeting() -> str:
    return _(
        "👋 Welcome to <b>Yijian (意见)</b>, the channel of the Changzhi Municipal People's Congress "
        "Standing Committee for comments on draft local regulations.\n\n"
        "Read a draft chapter by chapter and article by article, tell us what you think of any article "
        "or of the whole draft, and keep your tracking number: every comment gets an answer."
    )


def privacy_notice() -> str:
    return _(
        "🔒 <b>Privacy notice</b>\n\n"
        "<b>What we store:</b> your Telegram user id, the language you choose, the comments you send "
        "(with your name only if you choose to sign a comment), your ratings of the answers, and which drafts "
        "you opened.\n"
        "<b>Why:</b> to record every opinion, give it a tracking number, send you the committee's answer, and "
        "remind you before a consultation you followed closes.\n"
        "<b>Who sees it:</b> the committee's staff. Published summaries never show your Telegram id; "
        "unsigned comments are shown anonymously.\n"
        "<b>Your control:</b> /mydata sends you everything stored about you; /forget deletes your personal "
        "data (your comments stay, anonymised)."
    )


def help_text() -> str:
    return _(
        "<b>How Yijian works</b>\n\n"
        "1. Open a draft from 📜 Open drafts and read it chapter by chapter.\n"
        "2. Under an article, press 💬 Comment on this article, write your comment, check the preview and submit.\n"
        "3. Keep the tracking number you receive. Until the deadline you can edit or withdraw your comment "
        "in 🗂 My comments.\n"
        "4. After the consultation, the committee answers every comment here.\n\n"
        "<b>Commands</b>\n"
        "/drafts – drafts open for comment\n"
        "/mycomments – your comments\n"
        "/track NUMBER – the status of a comment\n"
        "/search WORDS – find articles\n"
        "/subscribe – a notice when a new draft is published\n"
        "/language – 中文 / English\n"
        "/cancel – stop what you are doing\n"
        "/privacy – what we store · /mydata – a copy · /forget – delete it"
    )


async def open_deep_link(target: Message | CallbackQuery, payload: str, reading: Reading, tz: ZoneInfo,
                         resident: Resident | None = None) -> bool:
    match = DEEP_LINK.match(payload or "")
    if not match:
        return False
    draft_id = int(match.group(1) or match.group(2))
    try:
        if match.group(1):
            await show(target, *await draft_screen(reading, draft_id, tz))
        else:
            await show(target, *await article_screen(reading, draft_id, int(match.group(3))))
        await reading.note_reader(resident, draft_id)
    except (DraftNotFound, ArticleNotFound):
        await show(target, _("This link points to a draft or article that does not exist."),
                   keyboards.main_menu())
    return True


async def start(message: Message, command: CommandObject, state: FSMContext, resident: Resident | None,
                reading: Reading, tz: ZoneInfo) -> None:
    await state.clear()
    payload = (command.args or "").strip()
    payload = payload if DEEP_LINK.match(payload) else ""
    if resident is None or resident.privacy_accepted_at is None:
        await message.answer(greeting() + "\n\n" + privacy_notice(),
                             reply_markup=keyboards.privacy_accept(payload))
        return
    if not await open_deep_link(message, payload, reading, tz, resident):
        await message.answer(greeting(), reply_markup=keyboards.main_menu())


async def accept_privacy(callback: CallbackQuery, callback_data: PrivacyCb, residents: Residents,
                         reading: Reading, tz: ZoneInfo) -> None:
    hint = (callback.from_user.language_code or "").split("-")[0].lower() or None
    accepted = await residents.accept_privacy(callback.from_user.id, hint)
    if not await open_deep_link(callback, callback_data.then, reading, tz, accepted):
        await show(callback, _("Thank you. What would you like to do?"), keyboards.main_menu())


async def home(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await show(callback, greeting(), keyboards.main_menu())


async def help_command(message: Message) -> None:
    await message.answer(help_text(), reply_markup=keyboards.home_button())


async def help_button(callback: CallbackQuery) -> None:
    await show(callback, help_text(), keyboards.home_button())


async def privacy_command(message: Message) -> None:
    await message.answer(privacy_notice(), reply_markup=keyboards.home_button())


async def privacy_button(callback: CallbackQuery) -> None:
    await show(callback, privacy_notice(), keyboards.home_button())


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.callback_query.register(accept_privacy, PrivacyCb.filter())
    router.callback_query.register(home, MenuCb.filter(F.to == "home"))
    router.message.register(help_command, Command("help"))
    router.callback_query.register(help_button, MenuCb.filter(F.to == "help"))
    router.message.register(privacy_command, Command("privacy"))
    router.callback_query.register(privacy_button, MenuCb.filter(F.to == "privacy"))
    return router

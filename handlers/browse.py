"""Reading: the open drafts, a draft, its explanatory note, a chapter's articles, an article."""

from __future__ import annotations

import math
from datetime import timedelta
from html import escape
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from drafts.errors import ArticleNotFound, DraftNotFound
from drafts.models import Resident
from drafts.reading import Reading
from handlers import keyboards
from handlers.callbacks import ArticleCb, ChapterCb, DraftCb, MenuCb
from handlers.common import show
from handlers.render import article_text, day

Screen = tuple[str, InlineKeyboardMarkup]
NOTE_LIMIT = 3500  # a message holds 4096 characters; the title and markup need the rest


async def drafts_screen(reading: Reading, tz: ZoneInfo) -> Screen:
    drafts = await reading.open_drafts()
    if not drafts:
        return _("No draft is open for comment at the moment. Please come back later."), keyboards.home_button()
    lines = [_("<b>Drafts open for comment</b>"), ""]
    for number, draft in enumerate(drafts, 1):
        lines.append(f"{number}. <b>{escape(draft.title)}</b>")
        lines.append(escape(draft.summary))
        lines.append(
            _("🗓 until {date} · 💬 {count}").format(date=day(draft.closes_at, tz), count=draft.comment_count)
        )
        lines.append("")
    lines.append(_("Choose a draft to read it."))
    return "\n".join(lines), keyboards.drafts_list(drafts)


async def draft_screen(reading: Reading, draft_id: int, tz: ZoneInfo) -> Screen:
    draft, count = await reading.draft_with_count(draft_id)
    is_open = reading.is_open(draft)
    lines = [f"<b>{escape(draft.title)}</b>", escape(draft.summary), ""]
    if is_open:
        # Started days count as left: on the last afternoon one day is left, not none.
        days = max(1, math.ceil((draft.closes_at - reading.now()) / timedelta(days=1)))
        lines.append(ngettext("🗓 Open for comment until {date} ({n} day left)",
                              "🗓 Open for comment until {date} ({n} days left)", days)
                     .format(date=day(draft.closes_at, tz), n=days))
    else:
        lines.append(_("This consultation closed on {date}. You can still read the draft.").format(
            date=day(draft.closes_at, tz)))
    lines.append(ngettext("💬 {n} comment so far", "💬 {n} comments so far", count).format(n=count))
    lines += ["", _("Choose a chapter to read its articles.")]
    return "\n".join(lines), keyboards.draft_page(draft, is_open)


async def article_screen(reading: Reading, draft_id: int, number: int) -> Screen:
    draft, article = await reading.article(draft_id, number)
    return article_text(draft, article), keyboards.article_page(draft, article, reading.is_open(draft))


async def drafts_command(message: Message, reading: Reading, tz: ZoneInfo) -> None:
    await show(message, *await drafts_screen(reading, tz))


async def drafts_button(callback: CallbackQuery, reading: Reading, tz: ZoneInfo) -> None:
    await show(callback, *await drafts_screen(reading, tz))


async def note_button(callback: CallbackQuery, callback_data: DraftCb, reading: Reading) -> None:
    try:
        draft = await reading.draft(callback_data.draft)
    except DraftNotFound:
        await callback.answer(_("This draft no longer exists."), show_alert=True)
        return
    note = draft.note if len(draft.note) <= NOTE_LIMIT else draft.note[:NOTE_LIMIT] + "…"
    text = f"<b>{escape(draft.title)}</b>\n\n{escape(note)}"
    await show(callback, text, keyboards.back_to_draft(draft.id))


async def draft_button(callback: CallbackQuery, callback_data: DraftCb, reading: Reading, tz: ZoneInfo,
                       resident: Resident | None) -> None:
    try:
        await show(callback, *await draft_screen(reading, callback_data.draft, tz))
        await reading.note_reader(resident, callback_data.draft)
    except DraftNotFound:
        await callback.answer(_("This draft no longer exists."), show_alert=True)


async def chapter_button(callback: CallbackQuery, callback_data: ChapterCb, reading: Reading) -> None:
    try:
        draft = await reading.draft(callback_data.draft)
    except DraftNotFound:
        await callback.answer(_("This draft no longer exists."), show_alert=True)
        return
    chapter = draft.document.chapter(callback_data.chapter)
    if chapter is None and callback_data.chapter != 0:
        await callback.answer(_("This chapter does not exist."), show_alert=True)
        return
    heading = f"{chapter.label}　{escape(chapter.title)}" if chapter else _("Articles")
    text = f"<b>{escape(draft.title)}</b>\n{heading}\n\n" + _("Choose an article to read it.")
    await show(callback, text, keyboards.chapter_page(draft, callback_data.chapter, callback_data.page))


async def article_button(callback: CallbackQuery, callback_data: ArticleCb, reading: Reading,
                         resident: Resident | None) -> None:
    try:
        await show(callback, *await article_screen(reading, callback_data.draft, callback_data.number))
        await reading.note_reader(resident, callback_data.draft)
    except (DraftNotFound, ArticleNotFound):
        await callback.answer(_("This article does not exist."), show_alert=True)


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="browse")
    router.message.register(drafts_command, Command("drafts"))
    router.callback_query.register(drafts_button, MenuCb.filter(F.to == "drafts"))
    router.callback_query.register(note_button, DraftCb.filter(F.note))
    router.callback_query.register(draft_button, DraftCb.filter())
    router.callback_query.register(chapter_button, ChapterCb.filter())
    router.callback_query.register(article_button, ArticleCb.filter())
    return router

"""Editors publish a draft: send a .txt/.md/.docx file, check the preview, choose the deadline.

The upload's text waits in the conversation data (not the parsed object: it is re-parsed when
publishing), so a preview survives a restart. Helpers shared with staff_draft_actions (reading an
upload, the texts of refusals, typed dates) live here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from html import escape
from io import BytesIO
from pathlib import PurePath
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.errors import DraftNotEditable, DraftNotFound, InvalidDeadline, NotAllowed, StaffError
from drafts.models import Article, DraftDocument, chinese_number
from drafts.parser import DocumentError
from drafts.publishing import Publishing, Upload, prepare
from drafts.staff import Permission
from drafts.uploads import MAX_UPLOAD_BYTES, SUPPORTED, UnsupportedUpload, document_text
from handlers.common import show
from handlers.render import day
from handlers.staff_access import StaffOnly
from handlers.staff_callbacks import StaffDeadlineCb, StaffDraftCb, StaffMenuCb
from handlers.states import StaffFlow

EDITOR = StaffOnly(Permission.EDIT)
DEADLINE_CHOICES = (15, 30, 45)
TITLE_LIMIT = 120  # characters of a document's title or a chapter's title shown in a preview
_TYPED_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_LABELS = {"article": "第{}条", "chapter": "第{}章", "section": "第{}节"}


def clip(text: str, limit: int = TITLE_LIMIT) -> str:
    return escape(text if len(text) <= limit else text[:limit] + "…")


def document_error(error: DocumentError) -> str:
    kind = error.code.rsplit("_", 1)[-1]
    numbers = {key: _LABELS.get(kind, "{}").format(chinese_number(int(value)))
               for key, value in error.details.items() if key in ("expected", "found")}
    texts = {
        "empty": _("The document is empty."),
        "no_title": _("Line {line}: no title found. The first line must be the title, e.g. 长治市某某条例（草案）."),
        "text_before_title": _("Line {line}: there is text before the title. The title must come first."),
        "no_articles": _("The document has no articles: each article starts with 第一条, 第二条 …"),
        "text_outside_article": _("Line {line}: text outside any article. Every paragraph must belong to an "
                                  "article (第…条)."),
        "empty_article": _("Line {line}: this article has no text."),
        "section_outside_chapter": _("Line {line}: a section (第…节) outside any chapter."),
        "bad_numeral": _("Line {line}: the number of this heading is not a valid Chinese numeral."),
    }
    if error.code.startswith("skipped_") and numbers:
        reason = _("Line {line}: {found} comes where {expected} was expected: a number is skipped.")
    elif error.code.startswith("repeated_") and numbers:
        reason = _("Line {line}: {found} repeats or goes back: {expected} was expected here.")
    else:
        reason = texts.get(error.code, _("Line {line}: the document does not follow the standard form."))
    return "⚠️ " + reason.format(line=error.line, **numbers) + "\n" + _(
        "Nothing was published. Please correct the document and send it again.")


def upload_refusal(error: UnsupportedUpload) -> str:
    return {
        "type": _("⚠️ Please send the draft as a .txt, .md or .docx file; other formats (such as PDF) cannot "
                  "be read reliably."),
        "size": _("⚠️ This file is larger than {size} MB; a draft regulation is far smaller. Please check that "
                  "you sent the right file.").format(size=MAX_UPLOAD_BYTES // (1024 * 1024)),
        "encoding": _("⚠️ The text of this file could not be read. Please save it as UTF-8 and send it again."),
        "docx": _("⚠️ This .docx file could not be opened. Please save it again in Word, or send it as .txt."),
    }.get(error.reason, _("Sorry, that cannot be done."))


def staff_refusal(error: Exception) -> str:
    if isinstance(error, InvalidDeadline):
        return {
            "past": _("This date has already passed. Please choose a date in the future."),
            "before_current": _("The new deadline must be later than the current one."),
            "too_far": _("A consultation can last at most one year. Please choose an earlier date."),
        }.get(error.reason, _("Sorry, that cannot be done."))
    if isinstance(error, NotAllowed):
        return _("Sorry, your role does not allow this.")
    if isinstance(error, DraftNotEditable):
        return _("This draft cannot be changed now: revising, extending and closing need a draft open for "
                 "comment; archiving needs a closed one.")
    if isinstance(error, DraftNotFound):
        return _("This draft no longer exists.")
    return _("Sorry, that cannot be done.")


async def read_upload(message: Message, bot: Bot) -> tuple[str, Upload] | None:
    """The text of the document sent, and its parse; None (after telling why) if it cannot be used."""
    document = message.document
    try:
        if PurePath(document.file_name or "").suffix.lower() not in SUPPORTED:
            raise UnsupportedUpload("type")  # refused before downloading anything
        if (document.file_size or 0) > MAX_UPLOAD_BYTES:
            raise UnsupportedUpload("size")
        content = await bot.download(document, destination=BytesIO())
        text = document_text(document.file_name or "", content.getvalue())
        return text, prepare(text)
    except UnsupportedUpload as error:
        await message.answer(upload_refusal(error))
    except DocumentError as error:
        await message.answer(document_error(error))
    return None


def end_of_day(day_: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day_, time(23, 59, 59), tzinfo=tz).astimezone(UTC)


def days_from_today(now: datetime, days: int, tz: ZoneInfo) -> datetime:
    return end_of_day(now.astimezone(tz).date() + timedelta(days=days), tz)


def typed_date(text: str | None, tz: ZoneInfo) -> datetime | None:
    """YYYY-MM-DD, read as the end of that day in the committee's time zone."""
    match = _TYPED_DATE.fullmatch((text or "").strip())
    try:
        return end_of_day(date(*map(int, match.groups())), tz) if match else None
    except ValueError:  # e.g. 2026-02-30
        return None


def ask_date_text(now: datetime, tz: ZoneInfo) -> str:
    example = (now.astimezone(tz).date() + timedelta(days=30)).isoformat()
    return _("Type the last day of the consultation as YYYY-MM-DD, e.g. {example}. Comments are accepted until "
             "the end of that day. /cancel to stop.").format(example=example)


def structure(document: DraftDocument) -> list[str]:
    def span(articles: tuple[Article, ...]) -> str:
        return f"{articles[0].label}—{articles[-1].label}" if articles else _("no articles")

    if not document.chapters:
        return [span(document.articles)]
    lines = [_("Before the first chapter: {articles}").format(articles=span(document.articles_of(0)))] \
        if document.articles_of(0) else []
    return lines + [f"{c.label}　{clip(c.title, 40)}（{span(document.articles_of(c.number))}）"
                    for c in document.chapters]


def preview_text(upload: Upload) -> str:
    count = len(upload.document.articles)
    return "\n".join([
        _("<b>Preview of the upload</b>"), "",
        f"<b>{clip(upload.document.title)}</b>",
        _("Summary: {summary}").format(summary=escape(upload.summary)), "",
        *structure(upload.document), "",
        ngettext("{n} article", "{n} articles", count).format(n=count),
        _("Explanatory note: included") if upload.note else
        _("Explanatory note: none found (it may follow the articles under the heading 起草说明)"), "",
        _("To publish it for comment, choose the deadline:"),
    ])


def deadline_keyboard() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for days in DEADLINE_CHOICES:
        kb.button(text=_("{n} days").format(n=days), callback_data=StaffDeadlineCb(days=days))
    kb.button(text=_("📅 Choose a date"), callback_data=StaffDeadlineCb(days=0))
    kb.button(text=_("✖️ Cancel"), callback_data=StaffDeadlineCb(days=-1))
    kb.adjust(3, 2)
    return kb.as_markup()


async def publish_help(callback: CallbackQuery) -> None:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("⬅️ Staff console"), callback_data=StaffMenuCb(to="home"))
    await show(callback, _(
        "<b>Publish a draft for comment</b>\n\nSend the draft here as a file: .txt, .md or .docx (up to {size} MB), "
        "in the standard form:\n• the title on the first line, e.g. 长治市某某条例（草案）; lines in brackets such as "
        "（征求意见稿） may follow it;\n• chapters 第一章　总则 (optional, with sections 第一节 inside them);\n"
        "• articles 第一条　…, numbered without gaps; each further line is a paragraph, lines starting with （一） "
        "are items;\n• optionally, at the end, the explanatory note under the heading 起草说明.\n\n"
        "You will see a preview first, then choose the deadline."
    ).format(size=MAX_UPLOAD_BYTES // (1024 * 1024)), kb.as_markup())


async def receive_upload(message: Message, state: FSMContext, bot: Bot) -> None:
    parsed = await read_upload(message, bot)
    if parsed is None:
        return
    text, upload = parsed
    sent = await message.answer(preview_text(upload), reply_markup=deadline_keyboard())
    await state.set_state(None)
    await state.set_data({"upload": text, "preview": sent.message_id})


async def choose_deadline(callback: CallbackQuery, callback_data: StaffDeadlineCb, state: FSMContext,
                          publishing: Publishing, bot: Bot, tz: ZoneInfo, clock: Callable[[], datetime]) -> None:
    data = await state.get_data()
    if "upload" not in data or data.get("preview") != callback.message.message_id:
        await callback.answer(_("This preview is no longer active. Please send the document again."), show_alert=True)
    elif callback_data.days < 0:
        await state.clear()
        await show(callback, _("Cancelled. Nothing was published."))
    elif callback_data.days == 0:
        await state.set_state(StaffFlow.publish_date)
        await callback.answer()
        await callback.message.answer(ask_date_text(clock(), tz))
    else:
        await publish_upload(callback, state, publishing, bot, tz, days_from_today(clock(), callback_data.days, tz))


async def publish_date(message: Message, state: FSMContext, publishing: Publishing, bot: Bot, tz: ZoneInfo,
                       clock: Callable[[], datetime]) -> None:
    closes_at = typed_date(message.text, tz)
    if closes_at is None:
        await message.answer(_("That is not a date I can read.") + " " + ask_date_text(clock(), tz))
        return
    await publish_upload(message, state, publishing, bot, tz, closes_at)


async def publish_upload(target: Message | CallbackQuery, state: FSMContext, publishing: Publishing, bot: Bot,
                         tz: ZoneInfo, closes_at: datetime) -> None:
    data = await state.get_data()
    try:
        draft = await publishing.publish(target.from_user.id, prepare(data["upload"]), closes_at)
    except (StaffError, DraftNotFound, DocumentError) as error:
        if not isinstance(error, InvalidDeadline):  # a wrong date may be corrected; the rest starts over
            await state.clear()
        text = document_error(error) if isinstance(error, DocumentError) else staff_refusal(error)
        if isinstance(target, CallbackQuery):
            await target.answer(text, show_alert=True)
        else:
            await target.answer(text)
        return
    await state.clear()
    link = f"https://t.me/{(await bot.me()).username}?start=d{draft.id}"
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🗂 Staff page of this draft"), callback_data=StaffDraftCb(draft=draft.id))
    await show(target, _("✅ <b>Published for comment</b>: #{id} {title}\nOpen until {date}.\n\n"
                         "Link for residents:\n{link}").format(
        id=draft.id, title=clip(draft.title), date=day(draft.closes_at, tz), link=escape(link)), kb.as_markup())


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="staff_publish")
    router.callback_query.register(publish_help, StaffMenuCb.filter(F.to == "publish"), EDITOR)
    router.callback_query.register(choose_deadline, StaffDeadlineCb.filter(), EDITOR)
    router.message.register(publish_date, StaffFlow.publish_date, F.text, ~F.text.startswith("/"), EDITOR)
    # A revision's document belongs to staff_draft_actions, whichever router comes first.
    router.message.register(receive_upload, F.document, EDITOR,
                            ~StateFilter(StaffFlow.revise_upload, StaffFlow.revise_confirm))
    return router

"""Editors act on a published draft from its staff page: revise it, extend or close the consultation,
archive it. Each outcome is written in place of the screen the button was on, and the draft's
staff page (handlers.staff_menu.draft_page) follows it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.errors import DraftNotEditable, DraftNotFound, InvalidDeadline, StaffError
from drafts.models import Article, Draft
from drafts.parser import DocumentError
from drafts.publishing import Publishing, changed_articles, prepare
from drafts.reading import Reading
from drafts.review import Review
from drafts.staff import StaffRole
from handlers.common import show
from handlers.render import day
from handlers.staff_callbacks import StaffDraftCb, StaffExtendCb, StaffReviseCb
from handlers.staff_menu import draft_page
from handlers.staff_publish import EDITOR, ask_date_text, clip, document_error, read_upload, staff_refusal, typed_date
from handlers.states import StaffFlow

EXTEND_CHOICES = (7, 15, 30)


def labels(numbers: list[int]) -> str:
    return "、".join(Article(n, 0, None, ()).label for n in numbers) or _("none")


async def editable(callback: CallbackQuery, draft_id: int, reading: Reading) -> Draft | None:
    """The draft if it is open for comment; otherwise the editor is told why and None returned."""
    try:
        draft = await reading.draft(draft_id)
        if not reading.is_open(draft):
            raise DraftNotEditable(draft_id)
    except (DraftNotFound, DraftNotEditable) as error:
        await callback.answer(staff_refusal(error), show_alert=True)
        return None
    return draft


async def done(callback: CallbackQuery, text: str, draft_id: int, review: Review, reading: Reading,
               role: StaffRole, tz: ZoneInfo) -> None:
    """The outcome in place of the screen the button was on; the draft's staff page under it."""
    await show(callback, text)
    as_editor = callback.message.model_copy(update={"from_user": callback.from_user})  # a fresh message, for them
    await draft_page(as_editor, draft_id, review, reading, role, tz)


def confirm_keyboard(draft_id: int, yes: str, action: str) -> InlineKeyboardBuilder:
    kb = InlineKeyboardBuilder()
    kb.button(text=yes, callback_data=StaffDraftCb(draft=draft_id, action=action))
    kb.button(text=_("No"), callback_data=StaffDraftCb(draft=draft_id))
    return kb


# -- revise -----------------------------------------------------------------------------------------

async def ask_revision(callback: CallbackQuery, callback_data: StaffDraftCb, state: FSMContext,
                       reading: Reading) -> None:
    draft = await editable(callback, callback_data.draft, reading)
    if draft is None:
        return
    await state.set_state(StaffFlow.revise_upload)
    await state.set_data({"draft": draft.id})
    await callback.answer()
    await callback.message.answer(_(
        "Send the new version of <b>{title}</b> as a .txt, .md or .docx file, in full. Residents who commented "
        "on an article that changes will be told. /cancel to stop.").format(title=clip(draft.title)))


async def revision_upload(message: Message, state: FSMContext, bot: Bot, reading: Reading) -> None:
    parsed = await read_upload(message, bot)
    if parsed is None:
        return
    text, upload = parsed
    draft_id = (await state.get_data())["draft"]
    try:
        draft = await reading.draft(draft_id)
    except DraftNotFound as error:
        await state.clear()
        await message.answer(staff_refusal(error))
        return
    changed = changed_articles(draft.document, upload.document)
    if not changed and upload.document.title == draft.title:
        await message.answer(_("This version is the same as the current one: no article and not the title "
                               "changed. Send another file, or /cancel."))
        return
    lines = [_("<b>New version of {title}</b>").format(title=clip(draft.title)),
             _("Changed articles: {articles}").format(articles=labels(changed)),
             _("Articles: {old} before, {new} now.").format(old=len(draft.document.articles),
                                                            new=len(upload.document.articles))]
    if upload.document.title != draft.title:
        lines.append(_("New title: {title}").format(title=clip(upload.document.title)))
    lines += ["", _("Residents who commented on a changed article will be told. Publish this version?")]
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Confirm"), callback_data=StaffReviseCb(confirm=True))
    kb.button(text=_("✖️ Cancel"), callback_data=StaffReviseCb(confirm=False))
    sent = await message.answer("\n".join(lines), reply_markup=kb.as_markup())
    await state.set_state(StaffFlow.revise_confirm)
    await state.update_data(upload=text, preview=sent.message_id)


async def not_a_document(message: Message) -> None:
    await message.answer(_("I am waiting for the new version as a document (.txt, .md or .docx). "
                           "Send /cancel to stop."))


async def confirm_revision(callback: CallbackQuery, callback_data: StaffReviseCb, state: FSMContext,
                           publishing: Publishing, review: Review, reading: Reading, staff_role: StaffRole,
                           tz: ZoneInfo) -> None:
    data = await state.get_data()
    if await state.get_state() != StaffFlow.revise_confirm.state or data.get("preview") != callback.message.message_id:
        await callback.answer(_("This preview is no longer active. Please send the document again."), show_alert=True)
        return
    await state.clear()
    if not callback_data.confirm:
        await done(callback, _("Cancelled. The draft was not changed."), data["draft"], review, reading, staff_role, tz)
        return
    try:
        version, changed = await publishing.revise(callback.from_user.id, data["draft"], prepare(data["upload"]))
    except DocumentError as error:
        await show(callback, document_error(error))
        return
    except (StaffError, DraftNotFound) as error:
        await callback.answer(staff_refusal(error), show_alert=True)
        return
    await done(callback, _("✅ Version {version} is published. Changed articles: {articles}.").format(
        version=version, articles=labels(changed)), data["draft"], review, reading, staff_role, tz)


# -- extend -----------------------------------------------------------------------------------------

def _minutes(moment: datetime) -> int:
    return int(moment.timestamp() // 60)


async def extend_menu(callback: CallbackQuery, callback_data: StaffDraftCb, reading: Reading, tz: ZoneInfo) -> None:
    draft = await editable(callback, callback_data.draft, reading)
    if draft is None:
        return
    kb = InlineKeyboardBuilder()
    for days in EXTEND_CHOICES:
        until = day(draft.closes_at + timedelta(days=days), tz)
        kb.button(text=_("+{n} days (until {date})").format(n=days, date=until),
                  callback_data=StaffExtendCb(draft=draft.id, days=days, since=_minutes(draft.closes_at)))
    kb.button(text=_("📅 Choose a date"), callback_data=StaffExtendCb(draft=draft.id, days=0))
    kb.button(text=_("⬅️ Back"), callback_data=StaffDraftCb(draft=draft.id))
    kb.adjust(1)
    await show(callback, _("<b>{title}</b>\nThe consultation closes on {date}. Extend it by:").format(
        title=clip(draft.title), date=day(draft.closes_at, tz)), kb.as_markup())


async def extend_by(callback: CallbackQuery, callback_data: StaffExtendCb, state: FSMContext,
                    publishing: Publishing, review: Review, reading: Reading, staff_role: StaffRole,
                    tz: ZoneInfo, clock: Callable[[], datetime]) -> None:
    draft = await editable(callback, callback_data.draft, reading)
    if draft is None:
        return
    if callback_data.days <= 0:
        await state.set_state(StaffFlow.extend_date)
        await state.set_data({"draft": draft.id})
        await callback.answer()
        await callback.message.answer(ask_date_text(clock(), tz))
        return
    if callback_data.since and callback_data.since != _minutes(draft.closes_at):
        await callback.answer(_("The deadline has already been changed: the consultation now closes on {date}.")
                              .format(date=day(draft.closes_at, tz)), show_alert=True)
        return
    closes_at = draft.closes_at + timedelta(days=callback_data.days)
    try:
        await publishing.extend(callback.from_user.id, draft.id, closes_at)
    except (StaffError, DraftNotFound) as error:
        await callback.answer(staff_refusal(error), show_alert=True)
        return
    await done(callback, _("✅ The consultation now closes on {date}.").format(date=day(closes_at, tz)),
               draft.id, review, reading, staff_role, tz)


async def extend_date(message: Message, state: FSMContext, publishing: Publishing, review: Review,
                      reading: Reading, staff_role: StaffRole, tz: ZoneInfo, clock: Callable[[], datetime]) -> None:
    closes_at = typed_date(message.text, tz)
    if closes_at is None:
        await message.answer(_("That is not a date I can read.") + " " + ask_date_text(clock(), tz))
        return
    draft_id = (await state.get_data())["draft"]
    try:
        await publishing.extend(message.from_user.id, draft_id, closes_at)
    except (StaffError, DraftNotFound) as error:
        if not isinstance(error, InvalidDeadline):  # a wrong date may be corrected; the rest ends here
            await state.clear()
        await message.answer(staff_refusal(error))
        return
    await state.clear()
    await message.answer(_("✅ The consultation now closes on {date}.").format(date=day(closes_at, tz)))
    await draft_page(message, draft_id, review, reading, staff_role, tz)


# -- close, archive ---------------------------------------------------------------------------------

async def ask_close(callback: CallbackQuery, callback_data: StaffDraftCb, reading: Reading) -> None:
    draft = await editable(callback, callback_data.draft, reading)
    if draft is not None:
        await show(callback, _("Close the consultation on <b>{title}</b> now? Residents will no longer be able to "
                               "comment. This cannot be undone.").format(title=clip(draft.title)),
                   confirm_keyboard(draft.id, _("⛔ Yes, close now"), "close_ok").as_markup())


async def ask_archive(callback: CallbackQuery, callback_data: StaffDraftCb, reading: Reading) -> None:
    try:
        draft = await reading.draft(callback_data.draft)
    except DraftNotFound as error:
        await callback.answer(staff_refusal(error), show_alert=True)
        return
    await show(callback, _("Archive <b>{title}</b>? It leaves the list of drafts; its comments and answers are "
                           "kept.").format(title=clip(draft.title)),
               confirm_keyboard(draft.id, _("🗄 Yes, archive"), "archive_ok").as_markup())


async def close_or_archive(callback: CallbackQuery, callback_data: StaffDraftCb, publishing: Publishing,
                           review: Review, reading: Reading, staff_role: StaffRole, tz: ZoneInfo) -> None:
    closing = callback_data.action == "close_ok"
    try:
        if closing:
            await publishing.close(callback.from_user.id, callback_data.draft)
        else:
            await publishing.archive(callback.from_user.id, callback_data.draft)
    except (StaffError, DraftNotFound) as error:
        await callback.answer(staff_refusal(error), show_alert=True)
        return
    text = _("✅ The consultation is closed.") if closing else _("✅ The draft is archived.")
    await done(callback, text, callback_data.draft, review, reading, staff_role, tz)


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="staff_draft_actions")
    router.callback_query.register(ask_revision, StaffDraftCb.filter(F.action == "revise"), EDITOR)
    revising = StateFilter(StaffFlow.revise_upload, StaffFlow.revise_confirm)  # another version replaces it
    router.message.register(revision_upload, revising, F.document, EDITOR)
    router.message.register(not_a_document, StaffFlow.revise_upload, ~F.text.startswith("/"), EDITOR)
    router.callback_query.register(confirm_revision, StaffReviseCb.filter(), EDITOR)
    router.callback_query.register(extend_menu, StaffDraftCb.filter(F.action == "extend"), EDITOR)
    router.callback_query.register(extend_by, StaffExtendCb.filter(), EDITOR)
    router.message.register(extend_date, StaffFlow.extend_date, F.text, ~F.text.startswith("/"), EDITOR)
    router.callback_query.register(ask_close, StaffDraftCb.filter(F.action == "close"), EDITOR)
    router.callback_query.register(ask_archive, StaffDraftCb.filter(F.action == "archive"), EDITOR)
    router.callback_query.register(close_or_archive, StaffDraftCb.filter(F.action.in_({"close_ok", "archive_ok"})),
                                   EDITOR)
    return router

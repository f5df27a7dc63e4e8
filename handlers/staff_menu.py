"""The staff console's hub: /staff, the list of drafts, a draft's staff page, staff members, audit."""

from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.models import Draft, DraftStatus
from drafts.publishing import Publishing
from drafts.reading import Reading
from drafts.review import Review
from drafts.staff import Permission, StaffRole, allows
from handlers.common import show
from handlers.render import day
from handlers.staff_access import StaffOnly
from handlers.staff_callbacks import StaffArticlesCb, StaffCommentsCb, StaffDraftCb, StaffMenuCb


def role_label(role: StaffRole) -> str:
    return {StaffRole.ADMIN: _("admin"), StaffRole.EDITOR: _("editor"), StaffRole.VIEWER: _("viewer")}[role]


def status_label(draft: Draft, now_open: bool) -> str:
    if draft.status is DraftStatus.ARCHIVED:
        return _("archived")
    return _("open") if now_open else _("closed")


def menu(role: StaffRole) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("📑 Drafts"), callback_data=StaffMenuCb(to="drafts"))
    if allows(role, Permission.EDIT):
        kb.button(text=_("📤 Publish a draft"), callback_data=StaffMenuCb(to="publish"))
    if allows(role, Permission.MANAGE_STAFF):
        kb.button(text=_("👥 Staff"), callback_data=StaffMenuCb(to="staff"))
        kb.button(text=_("🧾 Audit log"), callback_data=StaffMenuCb(to="audit"))
    kb.adjust(1)
    return kb.as_markup()


def menu_text(role: StaffRole) -> str:
    return _("<b>Staff console</b>\nYour role: {role}.").format(role=role_label(role))


async def staff_text(user_id: int, role: StaffRole, review: Review) -> str:
    text = menu_text(role)
    failed = await review.failed_notices(user_id)
    if failed:  # someone was not told: staff must see it (the log has each error)
        text += "\n\n" + _("⚠️ {count} notices could not be delivered after every retry.").format(count=failed)
    return text


async def staff_command(message: Message, state: FSMContext, staff_role: StaffRole, review: Review) -> None:
    await state.clear()
    await message.answer(await staff_text(message.from_user.id, staff_role, review), reply_markup=menu(staff_role))


async def staff_home(callback: CallbackQuery, state: FSMContext, staff_role: StaffRole, review: Review) -> None:
    await state.clear()
    await show(callback, await staff_text(callback.from_user.id, staff_role, review), menu(staff_role))


async def drafts_list(callback: CallbackQuery, callback_data: StaffMenuCb, publishing: Publishing) -> None:
    archived = callback_data.to == "archived"
    drafts = await publishing.drafts(callback.from_user.id, include_archived=archived)
    kb = InlineKeyboardBuilder()
    for draft in drafts:
        if archived or draft.status is not DraftStatus.ARCHIVED:
            kb.button(text=f"#{draft.id} {draft.title}", callback_data=StaffDraftCb(draft=draft.id))
    if not archived:
        kb.button(text=_("🗄 Archived drafts"), callback_data=StaffMenuCb(to="archived"))
    kb.button(text=_("⬅️ Staff console"), callback_data=StaffMenuCb(to="home"))
    kb.adjust(1)
    await show(callback, _("<b>Drafts</b> — choose one to review its comments."), kb.as_markup())


async def draft_page(target: Message | CallbackQuery, draft_id: int, review: Review, reading: Reading,
                     role: StaffRole, tz: ZoneInfo) -> None:
    """The hub of one draft for staff; other staff modules link back here after acting."""
    overview = await review.overview(target.from_user.id, draft_id)
    draft = overview.draft
    is_open = reading.is_open(draft)
    lines = [
        f"<b>#{draft.id} {escape(draft.title)}</b>",
        _("Status: {status} · version {version}").format(status=status_label(draft, is_open), version=draft.version),
        _("Deadline: {date}").format(date=day(draft.closes_at, tz)),
        _("Comments: {total} · unanswered: {unanswered} · answers not yet published: {unpublished}").format(
            total=overview.total, unanswered=overview.unanswered, unpublished=overview.unpublished_answers),
    ]
    await show(target, "\n".join(lines), draft_keyboard(draft, overview.unpublished_answers, is_open, role))


def draft_keyboard(draft: Draft, unpublished: int, is_open: bool, role: StaffRole) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("💬 All comments"), callback_data=StaffCommentsCb(draft=draft.id))
    kb.button(text=_("🆕 Unanswered"), callback_data=StaffCommentsCb(draft=draft.id, unanswered=True))
    kb.button(text=_("📚 By article"), callback_data=StaffArticlesCb(draft=draft.id))
    kb.button(text=_("📊 Statistics"), callback_data=StaffDraftCb(draft=draft.id, action="stats"))
    kb.button(text=_("📥 Synthesis (.xlsx)"), callback_data=StaffDraftCb(draft=draft.id, action="xlsx"))
    kb.button(text=_("📄 Synthesis (.csv)"), callback_data=StaffDraftCb(draft=draft.id, action="csv"))
    if allows(role, Permission.EDIT):
        if unpublished:
            kb.button(text=_("📢 Publish answers ({count})").format(count=unpublished),
                      callback_data=StaffDraftCb(draft=draft.id, action="publish_answers"))
        if is_open:
            kb.button(text=_("📝 Revise"), callback_data=StaffDraftCb(draft=draft.id, action="revise"))
            kb.button(text=_("⏳ Extend"), callback_data=StaffDraftCb(draft=draft.id, action="extend"))
            kb.button(text=_("⛔ Close now"), callback_data=StaffDraftCb(draft=draft.id, action="close"))
        elif draft.status is not DraftStatus.ARCHIVED:
            kb.button(text=_("🗄 Archive"), callback_data=StaffDraftCb(draft=draft.id, action="archive"))
    kb.button(text=_("⬅️ Drafts"), callback_data=StaffMenuCb(to="drafts"))
    kb.adjust(2)
    return kb.as_markup()


async def draft_button(callback: CallbackQuery, callback_data: StaffDraftCb, review: Review, reading: Reading,
                       staff_role: StaffRole, tz: ZoneInfo) -> None:
    await draft_page(callback, callback_data.draft, review, reading, staff_role, tz)


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="staff_menu")
    router.message.register(staff_command, Command("staff"), StaffOnly())
    router.callback_query.register(staff_home, StaffMenuCb.filter(F.to == "home"), StaffOnly())
    router.callback_query.register(drafts_list, StaffMenuCb.filter(F.to.in_({"drafts", "archived"})), StaffOnly())
    router.callback_query.register(draft_button, StaffDraftCb.filter(F.action == "view"), StaffOnly())
    return router

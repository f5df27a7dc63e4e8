"""Admins manage staff in the bot: list, add (by picking the colleague or typing their id), change
the role, remove; and read the audit log."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    KeyboardButton,
    KeyboardButtonRequestUsers,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from drafts.errors import LastAdmin
from drafts.staff import Permission, StaffRole
from drafts.staff_directory import StaffDirectory
from handlers.common import show
from handlers.staff_access import StaffOnly
from handlers.staff_callbacks import StaffMemberCb, StaffMenuCb
from handlers.staff_menu import role_label
from handlers.states import StaffFlow

ADMIN = StaffOnly(Permission.MANAGE_STAFF)
PICK_REQUEST_ID = 1


async def members(target: Message | CallbackQuery, staff_directory: StaffDirectory) -> None:
    people = await staff_directory.members(target.from_user.id)
    kb = InlineKeyboardBuilder()
    for member in people:
        mark = _(" (you)") if member.user_id == target.from_user.id else ""
        kb.button(text=f"{member.user_id} · {role_label(member.role)}{mark}",
                  callback_data=StaffMemberCb(user=member.user_id))
    kb.button(text=_("➕ Add a colleague"), callback_data=StaffMemberCb(user=0, action="add"))
    kb.button(text=_("⬅️ Staff console"), callback_data=StaffMenuCb(to="home"))
    kb.adjust(1)
    await show(target, _("<b>Staff</b> ({count}). Choose a member to change their role or remove them.").format(
        count=len(people)), kb.as_markup())


async def members_button(callback: CallbackQuery, staff_directory: StaffDirectory) -> None:
    await members(callback, staff_directory)


def role_buttons(user_id: int) -> InlineKeyboardBuilder:
    kb = InlineKeyboardBuilder()
    for role in StaffRole:
        kb.button(text=role_label(role), callback_data=StaffMemberCb(user=user_id, action=role.value))
    return kb


async def member(callback: CallbackQuery, callback_data: StaffMemberCb) -> None:
    kb = role_buttons(callback_data.user)
    kb.button(text=_("🗑 Remove from staff"), callback_data=StaffMemberCb(user=callback_data.user, action="remove"))
    kb.button(text=_("⬅️ Staff"), callback_data=StaffMenuCb(to="staff"))
    kb.adjust(3, 1, 1)
    await show(callback, _("Staff member {user}: choose a role, or remove them.").format(user=callback_data.user),
               kb.as_markup())


async def set_role(callback: CallbackQuery, callback_data: StaffMemberCb, staff_directory: StaffDirectory,
                   state: FSMContext) -> None:
    await state.clear()
    try:
        await staff_directory.add(callback.from_user.id, callback_data.user, StaffRole(callback_data.action))
    except LastAdmin:
        await callback.answer(_("There must always be at least one admin."), show_alert=True)
        return
    await callback.answer(_("Saved: {user} is now {role}.").format(
        user=callback_data.user, role=role_label(StaffRole(callback_data.action))))
    await members(callback, staff_directory)


async def ask_remove(callback: CallbackQuery, callback_data: StaffMemberCb) -> None:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, remove"), callback_data=StaffMemberCb(user=callback_data.user, action="remove_ok"))
    kb.button(text=_("No"), callback_data=StaffMemberCb(user=callback_data.user))
    await show(callback, _("Remove {user} from staff?").format(user=callback_data.user), kb.as_markup())


async def remove(callback: CallbackQuery, callback_data: StaffMemberCb, staff_directory: StaffDirectory) -> None:
    try:
        await staff_directory.remove(callback.from_user.id, callback_data.user)
    except LastAdmin:
        await callback.answer(_("There must always be at least one admin."), show_alert=True)
        return
    await callback.answer(_("Removed."))
    await members(callback, staff_directory)


async def ask_new_member(callback: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(StaffFlow.add_member)
    await callback.answer()
    picker = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(
        text=_("👤 Choose the colleague"),
        request_users=KeyboardButtonRequestUsers(request_id=PICK_REQUEST_ID, user_is_bot=False, max_quantity=1),
    )]], resize_keyboard=True, one_time_keyboard=True)
    await callback.message.answer(
        _("Pick the colleague with the button below, or send their numeric Telegram user id. /cancel to stop."),
        reply_markup=picker,
    )


async def new_member(message: Message, state: FSMContext) -> None:
    if message.users_shared is not None and message.users_shared.users:
        user_id = message.users_shared.users[0].user_id
    elif message.text and message.text.strip().isdigit() and 0 < int(message.text.strip()) < 2**53:
        user_id = int(message.text.strip())
    else:
        await message.answer(_("Please pick the colleague with the button, or send their numeric Telegram user id."))
        return
    await state.clear()
    await message.answer(_("Colleague {user}.").format(user=user_id), reply_markup=ReplyKeyboardRemove())
    kb = role_buttons(user_id)
    kb.adjust(3)
    await message.answer(_("Which role should {user} have?").format(user=user_id), reply_markup=kb.as_markup())


async def audit_log(callback: CallbackQuery, staff_directory: StaffDirectory, tz: ZoneInfo) -> None:
    entries = await staff_directory.recent_audit(callback.from_user.id, limit=20)
    lines = [_("<b>Audit log</b> (newest first)"), ""]
    for entry in entries:
        mark = "✅" if entry.allowed else "⛔"
        target = f"{entry.object_type}#{entry.object_id}" if entry.object_id else entry.object_type
        lines.append(f"{mark} {entry.at.astimezone(tz):%Y-%m-%d %H:%M} · {entry.actor_id} · "
                     f"<code>{entry.action}</code> · {target}")
    kb = InlineKeyboardBuilder()
    kb.button(text=_("⬅️ Staff console"), callback_data=StaffMenuCb(to="home"))
    await show(callback, "\n".join(lines), kb.as_markup())


def make_router() -> Router:
    """A fresh router each time: aiogram attaches a router to one dispatcher only."""
    router = Router(name="staff_members")
    router.callback_query.register(members_button, StaffMenuCb.filter(F.to == "staff"), ADMIN)
    router.callback_query.register(audit_log, StaffMenuCb.filter(F.to == "audit"), ADMIN)
    router.callback_query.register(ask_new_member, StaffMemberCb.filter(F.action == "add"), ADMIN)
    router.callback_query.register(member, StaffMemberCb.filter(F.action == "view"), ADMIN)
    router.callback_query.register(set_role, StaffMemberCb.filter(F.action.in_({r.value for r in StaffRole})), ADMIN)
    router.callback_query.register(ask_remove, StaffMemberCb.filter(F.action == "remove"), ADMIN)
    router.callback_query.register(remove, StaffMemberCb.filter(F.action == "remove_ok"), ADMIN)
    router.message.register(new_member, StaffFlow.add_member, ~F.text.startswith("/"), ADMIN)
    return router

"""Staff-only handlers: a filter on the role of the user who sent the update, and the refusal.

The role is read from the database for every update (bot.middlewares puts it in
`staff_role`), never taken from callback data, which a client can forge. The use cases check
it again inside their own transaction. A non-staff user meets no staff menu: a staff command
gets the ordinary "unknown command" reply, a staff button the ordinary "no longer active"
alert, and each attempt is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from aiogram import Router
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from drafts.staff import Permission, StaffRole, allows
from drafts.staff_directory import StaffDirectory
from handlers.fallback import expectation

# Every staff command, and the prefix every staff button's callback data starts with
# (handlers/staff_callbacks.py); resident prefixes never start with it.
STAFF_COMMANDS = ("staff",)
STAFF_CALLBACK_PREFIX = "s_"


class StaffOnly(Filter):
    def __init__(self, permission: Permission = Permission.VIEW) -> None:
        self.permission = permission

    async def __call__(self, event: Any, staff_role: StaffRole | None = None) -> bool:
        return allows(staff_role, self.permission)


def is_staff_callback(data: str | None) -> bool:
    return (data or "").startswith(STAFF_CALLBACK_PREFIX)


async def refuse_command(message: Message, state: FSMContext, staff_directory: StaffDirectory) -> None:
    # aiogram's Command filter also matches a photo's caption: the command may not be in message.text.
    words = (message.text or message.caption or "").split() or [""]
    await staff_directory.record_denied(message.from_user.id, f"command:{words[0][:40]}")
    await message.answer(_("I do not know this command.") + " " + expectation(await state.get_state()))


async def refuse_button(callback: CallbackQuery, staff_directory: StaffDirectory) -> None:
    await staff_directory.record_denied(callback.from_user.id, f"button:{(callback.data or '')[:60]}")
    await callback.answer(_("This button is no longer active. Please start again from the main menu: /start"),
                          show_alert=True)


def make_router() -> Router:
    """Registered after every staff router and before the fallback: catches what they refused."""
    router = Router(name="staff_refusals")
    router.message.register(refuse_command, Command(*STAFF_COMMANDS))
    router.callback_query.register(refuse_button, lambda callback: is_staff_callback(callback.data))
    return router

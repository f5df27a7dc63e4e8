"""Who is staff, with which role; authorisation of every staff action, and its audit trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from drafts.errors import LastAdmin, NotAllowed
from drafts.ports import Database, UnitOfWork
from drafts.staff import AuditEntry, Permission, StaffMember, StaffRole, allows
from drafts.text import storable

COMMAND_LINE = 0  # the actor recorded for `python -m bot staff …` (no Telegram user)


async def authorize(uow: UnitOfWork, actor: int, permission: Permission, action: str, object_type: str,
                    object_id: object, now: datetime) -> StaffRole:
    """The actor's role if it allows `permission`; otherwise record the refusal and raise NotAllowed.

    Called inside the unit of work of the action itself, so the role is read in the same
    transaction that acts on it (a role removed a moment ago is not honoured).
    """
    member = await uow.staff.get(actor)
    role = member.role if member else None
    if actor != COMMAND_LINE and not allows(role, permission):
        await uow.audit.record(AuditEntry(actor, action, object_type, _id(object_id), now, allowed=False))
        await uow.commit()
        raise NotAllowed(action)
    return role or StaffRole.ADMIN


async def audit(uow: UnitOfWork, actor: int, action: str, object_type: str, object_id: object, now: datetime,
                details: str = "") -> None:
    await uow.audit.record(AuditEntry(actor, action, object_type, _id(object_id), now, True, details))


def _id(object_id: object) -> str | None:
    return None if object_id is None else str(object_id)


class StaffDirectory:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    async def bootstrap(self, admin_ids: list[int]) -> None:
        """ADMIN_IDS are admins from the first start (and again at every start)."""
        now = self._clock()
        async with self._db.write() as uow:
            for user_id in admin_ids:
                member = await uow.staff.get(user_id)
                if member is None or member.role is not StaffRole.ADMIN:
                    await uow.staff.save(StaffMember(user_id, StaffRole.ADMIN, None, now))
                    await audit(uow, COMMAND_LINE, "staff.bootstrap_admin", "staff", user_id, now)
            await uow.commit()

    async def role_of(self, user_id: int) -> StaffRole | None:
        async with self._db.read() as uow:
            member = await uow.staff.get(user_id)
        return member.role if member else None

    async def record_denied(self, actor: int, action: str) -> None:
        """A non-staff user tried a staff command or button: keep a trace, change nothing else."""
        async with self._db.write() as uow:
            # `action` quotes forged input (a command, button data): keep it storable.
            await uow.audit.record(AuditEntry(actor, storable(action), "staff_console", None, self._clock(),
                                              allowed=False))
            await uow.commit()

    async def members(self, actor: int) -> list[StaffMember]:
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.MANAGE_STAFF, "staff.list", "staff", None, self._clock())
            return await uow.staff.list()

    async def add(self, actor: int, user_id: int, role: StaffRole) -> StaffMember:
        now = self._clock()
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.MANAGE_STAFF, "staff.add", "staff", user_id, now)
            current = await uow.staff.get(user_id)
            if current is not None and current.role is StaffRole.ADMIN and role is not StaffRole.ADMIN:
                await _keep_an_admin(uow, user_id)
            member = StaffMember(user_id, role, None if actor == COMMAND_LINE else actor,
                                 current.added_at if current else now)
            await uow.staff.save(member)
            await audit(uow, actor, "staff.add", "staff", user_id, now, details=f"role={role.value}")
            await uow.commit()
        return member

    async def remove(self, actor: int, user_id: int) -> bool:
        now = self._clock()
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.MANAGE_STAFF, "staff.remove", "staff", user_id, now)
            current = await uow.staff.get(user_id)
            if current is None:
                return False
            if current.role is StaffRole.ADMIN:
                await _keep_an_admin(uow, user_id)
            await uow.staff.delete(user_id)
            await audit(uow, actor, "staff.remove", "staff", user_id, now, details=f"was={current.role.value}")
            await uow.commit()
        return True

    async def recent_audit(self, actor: int, limit: int = 20) -> list[AuditEntry]:
        async with self._db.write() as uow:
            await authorize(uow, actor, Permission.MANAGE_STAFF, "audit.read", "audit_log", None, self._clock())
            return await uow.audit.recent(limit)


async def _keep_an_admin(uow: UnitOfWork, leaving: int) -> None:
    admins = [m for m in await uow.staff.list() if m.role is StaffRole.ADMIN and m.user_id != leaving]
    if not admins:
        raise LastAdmin(leaving)

"""drafts.staff.allows and drafts.staff_directory.StaffDirectory: roles, staff management, refusals, audit."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

import pytest

from drafts.errors import LastAdmin, NotAllowed
from drafts.notices import NewNotice, NoticeKind
from drafts.staff import AuditEntry, Permission, StaffMember, StaffRole, allows
from drafts.staff_directory import COMMAND_LINE, StaffDirectory
from tests.unit.fakes import Clock, FakeDatabase, add_staff, refused_and_audited, refused_without_trace

ADMIN, EDITOR, VIEWER, STRANGER, NEWCOMER = 11, 12, 13, 14, 15
START = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def db() -> FakeDatabase:
    database = FakeDatabase()
    await add_staff(database, ADMIN, StaffRole.ADMIN, START)
    await add_staff(database, EDITOR, StaffRole.EDITOR, START)
    await add_staff(database, VIEWER, StaffRole.VIEWER, START)
    return database


@pytest.fixture
def staff(db: FakeDatabase, clock: Clock) -> StaffDirectory:
    clock.advance(hours=1)  # so that "added now" and "added at START" differ
    return StaffDirectory(db, clock)


@pytest.mark.parametrize(("role", "permission", "allowed"), [
    (StaffRole.ADMIN, Permission.VIEW, True),
    (StaffRole.ADMIN, Permission.EDIT, True),
    (StaffRole.ADMIN, Permission.MANAGE_STAFF, True),
    (StaffRole.EDITOR, Permission.VIEW, True),
    (StaffRole.EDITOR, Permission.EDIT, True),
    (StaffRole.EDITOR, Permission.MANAGE_STAFF, False),
    (StaffRole.VIEWER, Permission.VIEW, True),
    (StaffRole.VIEWER, Permission.EDIT, False),
    (StaffRole.VIEWER, Permission.MANAGE_STAFF, False),
    (None, Permission.VIEW, False),
    (None, Permission.EDIT, False),
    (None, Permission.MANAGE_STAFF, False),
])
def test_allows_matrix(role, permission, allowed):
    assert allows(role, permission) is allowed


async def test_bootstrap_makes_admin_ids_admins_and_audits_each(clock: Clock):
    db = FakeDatabase()
    await StaffDirectory(db, clock).bootstrap([7, 8])
    assert db.committed.staff == {7: StaffMember(7, StaffRole.ADMIN, None, START),
                                  8: StaffMember(8, StaffRole.ADMIN, None, START)}
    assert db.committed.audit == [
        AuditEntry(COMMAND_LINE, "staff.bootstrap_admin", "staff", "7", START, True, "", id=1),
        AuditEntry(COMMAND_LINE, "staff.bootstrap_admin", "staff", "8", START, True, "", id=2),
    ]


async def test_bootstrap_is_idempotent(staff: StaffDirectory, db: FakeDatabase):
    await staff.bootstrap([ADMIN])
    before = db.committed.copy()
    await staff.bootstrap([ADMIN])
    assert db.committed == before
    assert db.committed.audit == []


async def test_bootstrap_promotes_a_demoted_admin_again(staff: StaffDirectory, db: FakeDatabase, clock: Clock):
    await staff.bootstrap([EDITOR])
    assert db.committed.staff[EDITOR].role is StaffRole.ADMIN
    assert await staff.role_of(EDITOR) is StaffRole.ADMIN
    assert db.committed.audit == [
        AuditEntry(COMMAND_LINE, "staff.bootstrap_admin", "staff", str(EDITOR), clock.now, True, "", id=1),
    ]


async def test_admin_adds_a_member_audited_with_the_role(staff: StaffDirectory, db: FakeDatabase, clock: Clock):
    member = await staff.add(ADMIN, NEWCOMER, StaffRole.EDITOR)
    assert member == StaffMember(NEWCOMER, StaffRole.EDITOR, ADMIN, clock.now)
    assert db.committed.staff[NEWCOMER] == member
    assert db.committed.audit == [
        AuditEntry(ADMIN, "staff.add", "staff", str(NEWCOMER), clock.now, True, "role=editor", id=1),
    ]


async def test_changing_a_role_keeps_when_the_member_was_added(staff: StaffDirectory, db: FakeDatabase, clock):
    member = await staff.add(ADMIN, VIEWER, StaffRole.EDITOR)
    assert (member.role, member.added_at) == (StaffRole.EDITOR, START)
    assert db.committed.staff[VIEWER].role is StaffRole.EDITOR
    assert db.committed.audit[-1].details == "role=editor"


async def test_admin_removes_a_member_audited_with_the_old_role(staff: StaffDirectory, db: FakeDatabase, clock):
    assert await staff.remove(ADMIN, EDITOR) is True
    assert EDITOR not in db.committed.staff
    assert await staff.role_of(EDITOR) is None
    assert db.committed.audit == [
        AuditEntry(ADMIN, "staff.remove", "staff", str(EDITOR), clock.now, True, "was=editor", id=1),
    ]


async def test_removing_someone_who_is_not_staff_changes_nothing(staff: StaffDirectory, db: FakeDatabase):
    before = db.committed.copy()
    assert await staff.remove(ADMIN, STRANGER) is False
    assert db.committed == before


async def test_members_and_recent_audit_for_an_admin(staff: StaffDirectory, clock: Clock):
    assert [m.user_id for m in await staff.members(ADMIN)] == [ADMIN, EDITOR, VIEWER]
    await staff.add(ADMIN, NEWCOMER, StaffRole.VIEWER)
    await staff.remove(ADMIN, NEWCOMER)
    await staff.record_denied(STRANGER, "staff.menu")
    recent = await staff.recent_audit(ADMIN, limit=2)
    assert [(e.id, e.action, e.allowed) for e in recent] == [(3, "staff.menu", False), (2, "staff.remove", True)]


REFUSED_CALLS = {
    "add": (lambda s, actor: s.add(actor, NEWCOMER, StaffRole.VIEWER), "staff.add", "staff", str(NEWCOMER)),
    "promote_self": (lambda s, actor: s.add(actor, actor, StaffRole.ADMIN), "staff.add", "staff", None),
    "remove": (lambda s, actor: s.remove(actor, ADMIN), "staff.remove", "staff", str(ADMIN)),
    "members": (lambda s, actor: s.members(actor), "staff.list", "staff", None),
    "recent_audit": (lambda s, actor: s.recent_audit(actor), "audit.read", "audit_log", None),
}


@pytest.mark.parametrize("actor", [EDITOR, VIEWER, STRANGER])
@pytest.mark.parametrize("name", REFUSED_CALLS)
async def test_only_admins_manage_staff_and_refusals_are_audited(staff, db: FakeDatabase, clock, actor, name):
    call, action, object_type, object_id = REFUSED_CALLS[name]
    row = await refused_and_audited(db, NotAllowed, call(staff, actor))
    expected_id = str(actor) if name == "promote_self" else object_id
    assert row == AuditEntry(actor, action, object_type, expected_id, clock.now, allowed=False, id=1)
    assert db.committed.staff[ADMIN].role is StaffRole.ADMIN


async def test_a_demoted_admin_loses_the_right_at_once(staff: StaffDirectory, db: FakeDatabase):
    await staff.add(ADMIN, NEWCOMER, StaffRole.ADMIN)
    await staff.add(ADMIN, NEWCOMER, StaffRole.EDITOR)
    row = await refused_and_audited(db, NotAllowed, staff.remove(NEWCOMER, ADMIN))
    assert (row.actor_id, row.action, row.allowed) == (NEWCOMER, "staff.remove", False)


async def test_the_command_line_is_allowed(staff: StaffDirectory, db: FakeDatabase, clock: Clock):
    member = await staff.add(COMMAND_LINE, NEWCOMER, StaffRole.ADMIN)
    assert member == StaffMember(NEWCOMER, StaffRole.ADMIN, None, clock.now)
    assert [m.user_id for m in await staff.members(COMMAND_LINE)] == [ADMIN, EDITOR, VIEWER, NEWCOMER]
    assert await staff.remove(COMMAND_LINE, VIEWER) is True
    assert [(e.actor_id, e.action, e.object_id) for e in db.committed.audit] == [
        (COMMAND_LINE, "staff.add", str(NEWCOMER)), (COMMAND_LINE, "staff.remove", str(VIEWER)),
    ]
    assert all(e.allowed for e in db.committed.audit)


@pytest.mark.parametrize("actor", [ADMIN, COMMAND_LINE])
async def test_the_last_admin_can_be_neither_removed_nor_demoted(staff: StaffDirectory, db: FakeDatabase, actor):
    error = await refused_without_trace(db, LastAdmin, staff.remove(actor, ADMIN))
    assert error.args == (ADMIN,)
    for role in (StaffRole.EDITOR, StaffRole.VIEWER):
        await refused_without_trace(db, LastAdmin, staff.add(actor, ADMIN, role))
    assert db.committed.staff[ADMIN].role is StaffRole.ADMIN


async def test_an_admin_may_leave_once_another_admin_exists(staff: StaffDirectory, db: FakeDatabase):
    await staff.add(ADMIN, EDITOR, StaffRole.ADMIN)
    assert (await staff.add(ADMIN, ADMIN, StaffRole.VIEWER)).role is StaffRole.VIEWER
    await refused_without_trace(db, LastAdmin, staff.remove(EDITOR, EDITOR))
    assert {m.user_id for m in db.committed.staff.values() if m.role is StaffRole.ADMIN} == {EDITOR}


async def test_record_denied_writes_one_audit_row_and_nothing_else(staff: StaffDirectory, db: FakeDatabase, clock):
    before, commits = db.committed.copy(), db.commits
    await staff.record_denied(STRANGER, "staff.menu")
    assert db.commits == commits + 1
    assert db.committed.audit == [AuditEntry(STRANGER, "staff.menu", "staff_console", None, clock.now, False, "", 1)]
    db.committed.audit = []
    assert db.committed == before


async def test_fakes_roll_back_the_new_ports_and_refuse_a_repeated_notice_key(db: FakeDatabase):
    notice = NewNotice(NoticeKind.FEEDBACK, 1001, "feedback:1:1", START)
    async with db.write() as uow:
        await uow.audit.record(AuditEntry(ADMIN, "x", "y", None, START))
        await uow.staff.delete(ADMIN)
        assert await uow.outbox.add(notice) is True
        assert await uow.outbox.add(replace(notice, chat_id=1002)) is False
    assert (db.committed.audit, db.committed.outbox, ADMIN in db.committed.staff) == ([], {}, True)
    async with db.write() as uow:
        assert await uow.outbox.add(notice) is True
        await uow.commit()
    assert db.committed.notices() == [notice]

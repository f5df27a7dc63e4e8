"""Staff roles and what each may do. Checked on the server for the user who sent the update.

admin  – manages staff, and everything an editor does
editor – publishes, revises, extends, closes, moderates, answers, publishes answers
viewer – reads comments, statistics and the synthesis
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class StaffRole(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


_RANK = {StaffRole.VIEWER: 1, StaffRole.EDITOR: 2, StaffRole.ADMIN: 3}


class Permission(StrEnum):
    VIEW = "view"  # comments, statistics, export
    EDIT = "edit"  # publish, revise, moderate, answer
    MANAGE_STAFF = "manage_staff"


_NEEDS = {Permission.VIEW: StaffRole.VIEWER, Permission.EDIT: StaffRole.EDITOR,
          Permission.MANAGE_STAFF: StaffRole.ADMIN}


def allows(role: StaffRole | None, permission: Permission) -> bool:
    return role is not None and _RANK[role] >= _RANK[_NEEDS[permission]]


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    role: StaffRole
    added_by: int | None  # None: from ADMIN_IDS at start
    added_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """Who did what, when, on which object; refused attempts are recorded too (allowed=False)."""

    actor_id: int
    action: str
    object_type: str
    object_id: str | None
    at: datetime
    allowed: bool = True
    details: str = ""
    id: int | None = None

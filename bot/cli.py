"""Command-line administration, for staff without a developer:

    python -m bot staff add TELEGRAM_ID --role editor | staff list | staff remove TELEGRAM_ID
    python -m bot drafts publish FILE --deadline YYYY-MM-DD | drafts list
    python -m bot export DRAFT --format xlsx|csv -o FILE

Every change is audited with the command line as its actor (id 0).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path

from bot.config import StorageSettings
from drafts.errors import InvalidDeadline, LastAdmin
from drafts.parser import DocumentError
from drafts.publishing import Publishing, deadline_on, prepare
from drafts.staff import StaffRole
from drafts.staff_directory import COMMAND_LINE, StaffDirectory
from drafts.uploads import UnsupportedUpload, document_text
from storage.database import SqlDatabase
from storage.migrate import migrate


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bot", description="Yijian administration (no argument: run the bot)")
    commands = root.add_subparsers(dest="command", required=True)
    staff = commands.add_parser("staff", help="manage staff").add_subparsers(dest="action", required=True)
    add = staff.add_parser("add", help="add a staff member or change their role")
    add.add_argument("user_id", type=int)
    add.add_argument("--role", choices=[r.value for r in StaffRole], default=StaffRole.EDITOR.value)
    staff.add_parser("list", help="list staff members")
    remove = staff.add_parser("remove", help="remove a staff member")
    remove.add_argument("user_id", type=int)
    drafts = commands.add_parser("drafts", help="manage drafts").add_subparsers(dest="action", required=True)
    publish = drafts.add_parser("publish", help="publish a draft from a .txt, .md or .docx file")
    publish.add_argument("file", type=Path)
    publish.add_argument("--deadline", required=True, help="last day of the consultation, YYYY-MM-DD")
    drafts.add_parser("list", help="list drafts")
    export = commands.add_parser("export", help="export a draft's synthesis of comments")
    export.add_argument("draft", type=int)
    export.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    export.add_argument("-o", "--output", type=Path, required=True)
    return root


async def run(argv: list[str], settings: StorageSettings) -> int:
    args = parser().parse_args(argv)
    db = SqlDatabase(settings.database_url)
    try:
        await migrate(db.write_engine)
        return await _dispatch(args, db, settings)
    finally:
        await db.dispose()


async def _dispatch(args: argparse.Namespace, db: SqlDatabase, settings: StorageSettings) -> int:
    def now() -> datetime:
        return datetime.now(timezone.utc)

    if args.command == "staff":
        staff = StaffDirectory(db, now)
        if args.action == "add":
            member = await staff.add(COMMAND_LINE, args.user_id, StaffRole(args.role))
            print(f"{member.user_id} is now {member.role.value}")
        elif args.action == "list":
            for member in await staff.members(COMMAND_LINE):
                print(f"{member.user_id}\t{member.role.value}\tadded {member.added_at:%Y-%m-%d}")
        else:
            try:
                removed = await staff.remove(COMMAND_LINE, args.user_id)
            except LastAdmin:
                return _fail("refused: there must always be at least one admin")
            print(f"{args.user_id} removed" if removed else f"{args.user_id} is not staff")
        return 0
    if args.command == "drafts":
        publishing = Publishing(db, now)
        if args.action == "list":
            for draft in await publishing.drafts(COMMAND_LINE, include_archived=True):
                closes = draft.closes_at.astimezone(settings.zone)
                print(f"{draft.id}\t{draft.status.value}\tv{draft.version}\tuntil {closes:%Y-%m-%d}\t{draft.title}")
            return 0
        try:
            upload = prepare(document_text(args.file.name, args.file.read_bytes()))
            closes_at = deadline_on(datetime.strptime(args.deadline, "%Y-%m-%d").date(), settings.zone)
            draft = await publishing.publish(COMMAND_LINE, upload, closes_at)
        except OSError as error:
            return _fail(f"cannot read {args.file}: {error.strerror}")
        except UnsupportedUpload as error:
            return _fail(f"cannot read {args.file}: unsupported ({error.reason}); use .txt, .md or .docx")
        except DocumentError as error:
            return _fail(f"{args.file}: {error}")
        except ValueError:
            return _fail(f"--deadline {args.deadline!r}: expected YYYY-MM-DD")
        except InvalidDeadline as error:
            return _fail(f"--deadline {args.deadline}: {error.reason.replace('_', ' ')}")
        print(f"published draft {draft.id}: {draft.title} ({len(upload.document.articles)} articles), "
              f"open until {args.deadline}")
        return 0
    return await _export(args, db, settings)


async def _export(args: argparse.Namespace, db: SqlDatabase, settings: StorageSettings) -> int:
    from drafts.errors import DraftNotFound
    from drafts.synthesis import Synthesis, write_csv, write_xlsx

    synthesis = Synthesis(db, lambda: datetime.now(timezone.utc), settings.zone)
    try:
        with args.output.open("wb") as stream:  # rows streamed from the database into the file
            async with synthesis.export(COMMAND_LINE, args.draft) as data:
                await (write_xlsx if args.format == "xlsx" else write_csv)(data, stream)
    except DraftNotFound:
        args.output.unlink(missing_ok=True)
        return _fail(f"no draft {args.draft}")
    print(f"wrote {args.output}")
    return 0


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1

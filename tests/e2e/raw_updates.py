"""Updates the stand-in's helpers do not build: groups, channels, membership changes, edits, locations,
contacts, button presses on any message. Each is queued with stub.send_raw, as Telegram would send it."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.e2e.botapi_stub import BOT_USER, BotAPIStub

_message_ids = itertools.count(10_000)
# What a ChatMemberAdministrator must carry (Bot API 9.x): a bot made admin of a channel, as they are.
ADMIN_FIELDS = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
                "can_post_stories", "can_edit_stories", "can_delete_stories", "can_send_welcome_messages")


def user(user_id: int, first_name: str | None = None, language_code: str = "zh-hans") -> dict:
    return {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}",
            "language_code": language_code}


def chat(chat_id: int) -> dict:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": "街道居民群"}


def message(chat_id: int, from_id: int | None, first_name: str | None = None, **content: Any) -> dict:
    out = {"message_id": next(_message_ids), "date": int(time.time()), "chat": chat(chat_id), **content}
    if from_id is not None:
        out["from"] = user(from_id, first_name)
    return out


def send_message(stub: BotAPIStub, chat_id: int, from_id: int, first_name: str | None = None, **content: Any) -> dict:
    return stub.send_raw({"message": message(chat_id, from_id, first_name, **content)})


def send_edit(stub: BotAPIStub, chat_id: int, from_id: int, text: str, first_name: str | None = None) -> dict:
    edit = message(chat_id, from_id, first_name, text=text, edit_date=int(time.time()))
    return stub.send_raw({"edited_message": edit})


def send_channel_post(stub: BotAPIStub, channel_id: int, text: str, edited: bool = False) -> dict:
    post = {"message_id": next(_message_ids), "date": int(time.time()), "text": text,
            "chat": {"id": channel_id, "type": "channel", "title": "人大发布"},
            "sender_chat": {"id": channel_id, "type": "channel", "title": "人大发布"}}
    return stub.send_raw({"edited_channel_post" if edited else "channel_post": post})


def send_membership(stub: BotAPIStub, chat_id: int, by: int, status: str, chat_type: str | None = None) -> dict:
    """The bot's own membership changed in a chat: "member" (added), "administrator", "left" or "kicked"."""
    where = chat(chat_id) if chat_type is None else {"id": chat_id, "type": chat_type, "title": "人大发布"}
    rights = {right: right.startswith("can_") for right in ADMIN_FIELDS} if status == "administrator" else {}
    return stub.send_raw({"my_chat_member": {
        "chat": where, "from": user(by), "date": int(time.time()),
        "old_chat_member": {"status": "left", "user": BOT_USER},
        "new_chat_member": {"status": status, "user": BOT_USER, **rights,
                            **({"until_date": 0} if status == "kicked" else {})},
    }})


def send_press(stub: BotAPIStub, chat_id: int, from_id: int, data: str, message_id: int = 1,
               first_name: str | None = None) -> dict:
    """A button press with any data on any message (a message the stand-in may not know of)."""
    query_id = f"{from_id}{next(_message_ids):08d}"
    stub._callback_ids.add(query_id)  # so answerCallbackQuery accepts it, as for stub.press()
    shown = {"message_id": message_id, "date": int(time.time()), "chat": chat(chat_id), "from": BOT_USER,
             "text": "…"}
    return stub.send_raw({"callback_query": {"id": query_id, "from": user(from_id, first_name), "message": shown,
                                             "chat_instance": f"ci{chat_id}", "data": data}})


class HandledUpdates(logging.Handler):
    """Which updates the bot is done with: aiogram logs "Update id=N is handled" (or "not handled") when
    it finishes one, however it ended. Waiting for that is exact where waiting for a quiet moment is not
    (an update may sit in a lock, or be dropped by flood control, without calling Telegram)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.ids: set[int] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if str(record.msg).startswith("Update id=") and record.args:
            self.ids.add(int(record.args[0]))  # type: ignore[index]

    async def settle(self, stub: BotAPIStub, timeout: float = 20) -> None:
        """Every update sent so far is handled, and the bot called Telegram for none of them since a moment."""
        deadline = time.monotonic() + timeout
        while pending := [u["update_id"] for u in stub.updates_sent if u["update_id"] not in self.ids]:
            if time.monotonic() > deadline:
                raise AssertionError(f"updates {pending} not handled within {timeout}s:\n{stub.dump()}")
            await asyncio.sleep(0.01)
        await stub.wait_until_idle(quiet=0.02, timeout=timeout)


@contextmanager
def handled_updates() -> Iterator[HandledUpdates]:
    logger = logging.getLogger("aiogram.event")
    tracker, level = HandledUpdates(), logger.level
    logger.addHandler(tracker)
    logger.setLevel(logging.INFO)
    try:
        yield tracker
    finally:
        logger.removeHandler(tracker)
        logger.setLevel(level)

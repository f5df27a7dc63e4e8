"""storage.fsm.SqlStorage: aiogram conversation state in the database, surviving a restart."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select

from storage.database import SqlDatabase
from storage.fsm import SqlStorage
from storage.tables import FsmStateRow

BOT_ID = 42
USER = 7


class Writing(StatesGroup):
    text = State()


def private_key(user_id: int = USER, destiny: str = "default") -> StorageKey:
    # In a private chat the chat id is the user's id.
    return StorageKey(bot_id=BOT_ID, chat_id=user_id, user_id=user_id, destiny=destiny)


async def _rows(db: SqlDatabase) -> dict[str, tuple[str | None, str]]:
    async with db.read() as uow:
        rows = await uow.session.execute(select(FsmStateRow.key, FsmStateRow.state, FsmStateRow.data))
        return {key: (state, data) for key, state, data in rows}


async def test_state_and_data_round_trip(db: SqlDatabase) -> None:
    storage = SqlStorage(db.session_factory)
    key = private_key()
    data = {"draft_id": 3, "article": 12, "text": "建议把广场舞的禁止时段提前到晚上九点。", "signed": None}

    await storage.set_state(key, Writing.text)
    await storage.set_data(key, data)

    assert await storage.get_state(key) == "Writing:text"
    assert await storage.get_data(key) == data
    assert await storage.get_value(key, "text") == data["text"]
    # Stored as readable UTF-8 JSON, one row per key.
    assert await _rows(db) == {
        "fsm:7:7:default": (
            "Writing:text",
            '{"draft_id": 3, "article": 12, "text": "建议把广场舞的禁止时段提前到晚上九点。", "signed": null}',
        )
    }


async def test_an_unknown_key_has_no_state_and_no_data(db: SqlDatabase) -> None:
    storage = SqlStorage(db.session_factory)
    assert await storage.get_state(private_key()) is None
    assert await storage.get_data(private_key()) == {}


async def test_update_data_merges(db: SqlDatabase) -> None:
    storage = SqlStorage(db.session_factory)
    key = private_key()
    await storage.set_data(key, {"draft_id": 3})
    assert await storage.update_data(key, {"text": "第三条"}) == {"draft_id": 3, "text": "第三条"}
    assert await storage.get_data(key) == {"draft_id": 3, "text": "第三条"}


async def test_a_restart_sees_the_same_state_and_data(db: SqlDatabase, database_url: str) -> None:
    key = private_key()
    await SqlStorage(db.session_factory).set_state(key, "Writing:text")
    await SqlStorage(db.session_factory).set_data(key, {"text": "重启之前写的意见"})
    await db.dispose()  # the old process goes away

    restarted = SqlDatabase(database_url)
    try:
        storage = SqlStorage(restarted.session_factory)
        assert await storage.get_state(key) == "Writing:text"
        assert await storage.get_data(key) == {"text": "重启之前写的意见"}
    finally:
        await restarted.dispose()


async def test_clearing_state_and_data_removes_the_row(db: SqlDatabase) -> None:
    storage = SqlStorage(db.session_factory)
    key = private_key()
    await storage.set_state(key, Writing.text)
    await storage.set_data(key, {"text": "草稿"})

    await storage.set_state(key, None)
    assert await _rows(db) == {"fsm:7:7:default": (None, '{"text": "草稿"}')}  # data still there

    await storage.set_data(key, {})
    assert await _rows(db) == {}
    assert await storage.get_state(key) is None
    assert await storage.get_data(key) == {}


async def test_clearing_data_first_then_state_also_removes_the_row(db: SqlDatabase) -> None:
    storage = SqlStorage(db.session_factory)
    key = private_key()
    await storage.set_state(key, Writing.text)
    await storage.set_data(key, {"text": "草稿"})

    await storage.set_data(key, {})
    assert await _rows(db) == {"fsm:7:7:default": ("Writing:text", "{}")}
    await storage.set_state(key, None)
    assert await _rows(db) == {}


async def test_an_empty_conversation_never_makes_a_row(db: SqlDatabase) -> None:
    storage = SqlStorage(db.session_factory)
    await storage.set_state(private_key(), None)
    await storage.set_data(private_key(), {})
    assert await _rows(db) == {}


async def test_forget_user_removes_only_that_users_rows(db: SqlDatabase) -> None:
    storage = SqlStorage(db.session_factory)
    keys = {
        "mine, private": private_key(USER),
        "mine, other destiny": private_key(USER, destiny="search"),
        "mine, in a group": StorageKey(bot_id=BOT_ID, chat_id=-1007, user_id=USER),
        "user 70": private_key(70),
        "user 17": private_key(17),
        "user 70 in a chat -7": StorageKey(bot_id=BOT_ID, chat_id=-7, user_id=70),
    }
    for name, key in keys.items():
        await storage.set_state(key, Writing.text)
        await storage.set_data(key, {"who": name})

    await storage.forget_user(USER)

    assert sorted(await _rows(db)) == ["fsm:-7:70:default", "fsm:17:17:default", "fsm:70:70:default"]
    for name, key in keys.items():
        expected = {} if name.startswith("mine") else {"who": name}
        assert await storage.get_data(key) == expected, name


async def test_forget_user_spares_a_topic_whose_id_equals_the_user_id(db: SqlDatabase) -> None:
    storage = SqlStorage(db.session_factory)
    # User 70 writing in topic 7 of group -100: key fsm:-100:7:70:default.
    someone_else = StorageKey(bot_id=BOT_ID, chat_id=-100, user_id=70, thread_id=USER)
    await storage.set_state(someone_else, Writing.text)

    await storage.forget_user(USER)

    assert await storage.get_state(someone_else) == "Writing:text"

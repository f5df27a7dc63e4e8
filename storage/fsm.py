"""aiogram FSM storage in our SQL database, so a conversation survives a restart.

Each call is its own short transaction: aiogram calls set_state and set_data separately
and expects each to be durable when it returns. Several bot processes may share the
database; aiogram reads the state from storage on every update, so none keeps a stale copy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.tables import FsmStateRow
from storage.upsert import upsert


class SqlStorage(BaseStorage):
    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 read_sessions: async_sessionmaker[AsyncSession] | None = None,
                 key_builder: KeyBuilder | None = None) -> None:
        self._sessions = sessions
        # Reads need no write lock (on SQLite a write session begins IMMEDIATE and would queue).
        self._read_sessions = read_sessions or sessions
        self._keys = key_builder or DefaultKeyBuilder(with_destiny=True)

    async def _write(self, key: StorageKey, **values: Any) -> None:
        # One upsert, not "read, then insert if missing": on PostgreSQL two updates of a new chat may
        # write at once, and the second insert would fail on the key.
        row_key = self._keys.build(key)
        async with self._sessions() as session:
            await upsert(session, FsmStateRow.__table__,
                         {"key": row_key, "user_id": key.user_id, "state": None, "data": "{}", **values},
                         keys=["key"], keep=tuple({"user_id", "state", "data"} - values.keys()))
            # An empty conversation leaves nothing behind.
            await session.execute(delete(FsmStateRow).where(
                FsmStateRow.key == row_key, FsmStateRow.state.is_(None), FsmStateRow.data == "{}"))
            await session.commit()

    async def _read(self, key: StorageKey) -> FsmStateRow | None:
        async with self._read_sessions() as session:
            return await session.get(FsmStateRow, self._keys.build(key))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._write(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._read(key)
        return row.state if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=json.dumps(dict(data), ensure_ascii=False))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._read(key)
        return json.loads(row.data) if row else {}

    async def forget_user(self, user_id: int) -> None:
        """/forget: drop every conversation row of this user."""
        async with self._sessions() as session:
            await session.execute(delete(FsmStateRow).where(FsmStateRow.user_id == user_id))
            await session.commit()

    async def close(self) -> None:
        pass
